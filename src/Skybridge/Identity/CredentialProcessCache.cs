using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skybridge.Identity;

/// <summary>
/// The AWS credential_process document (Version 1), and an on-disk cache of it so that repeated
/// AWS CLI invocations reuse one STS session until it nears expiry. Files are 0600 in a 0700
/// directory under the user's cache dir and are replaced atomically, like the AWS CLI's own cache.
/// </summary>
public sealed class CredentialProcessCache(string directory, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>$XDG_CACHE_HOME/skybridge/credentials, else ~/.cache/skybridge/credentials.</summary>
    public static string DefaultDirectory()
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root)) root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "skybridge", "credentials");
    }

    /// <summary>
    /// A cache key from everything that changes which session STS returns (no secrets involved): the
    /// identity (credential kind and client id), tenant, audience, role, session name, duration, region
    /// and STS endpoint. Without --client-id / --tenant-id the Azure SDK takes them (and a workload
    /// identity's token file) from AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_FEDERATED_TOKEN_FILE, so
    /// those count too: another identity never gets this one's session.
    /// </summary>
    public static string KeyFor(FederationOptions o, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var identity = string.Join("\n", "v2", o.Audience, o.RoleArn, o.RoleSessionName, o.Duration.TotalSeconds, o.Region, o.StsEndpoint,
            o.Azure.Kind, o.Azure.ClientId ?? environment("AZURE_CLIENT_ID"), o.Azure.TenantId ?? environment("AZURE_TENANT_ID"),
            environment("AZURE_FEDERATED_TOKEN_FILE"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..KeyLength];
    }

    private const int KeyLength = 32;

    /// <summary>The cache file for <paramref name="key"/> (shown in diagnoses; it holds secrets, never its content).</summary>
    public string PathFor(string key) => Path.Combine(directory, key + ".json");

    /// <summary>The cache directory.</summary>
    public string DirectoryPath => directory;

    /// <summary>
    /// Removes every cached session (and any temporary file a crashed write left), and nothing else
    /// in the directory: only names this cache writes. Returns how many sessions were removed.
    /// </summary>
    public int Clear()
    {
        if (!Directory.Exists(directory)) return 0;
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            var stem = name.Split('.')[0];
            if (stem.Length != KeyLength || !stem.All(char.IsAsciiHexDigitLower) || !(name.EndsWith(".json", StringComparison.Ordinal) || name.EndsWith(".tmp", StringComparison.Ordinal)))
                continue;
            File.Delete(file);
            if (name.EndsWith(".json", StringComparison.Ordinal)) removed++;
        }
        return removed;
    }

    /// <summary>Cached credentials with enough life left to hand out, else null.</summary>
    public CredentialProcessOutput? TryRead(string key)
    {
        var path = PathFor(key);
        if (!File.Exists(path)) return null;
        try
        {
            var cached = JsonSerializer.Deserialize(File.ReadAllText(path), CredentialJson.Default.CachedCredentials);
            if (cached is null) return null;
            var lifetime = cached.Output.Expiration - cached.ObtainedAt;
            // Hand out only while at least a third of the session (at most 15 min, the AWS CLI's
            // own refresh window) is left, so the caller does not immediately ask again.
            var needed = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(15).Ticks, lifetime.Ticks / 3));
            return cached.Output.Expiration - _clock.GetUtcNow() > needed ? cached.Output : null;
        }
        catch (JsonException)
        {
            return null; // a damaged cache file is simply replaced
        }
    }

    /// <summary>Stores <paramref name="output"/> under <paramref name="key"/>: a 0600 file replaced atomically, in a 0700 directory created if missing.</summary>
    public void Write(string key, CredentialProcessOutput output)
    {
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var json = JsonSerializer.Serialize(new CachedCredentials(output, _clock.GetUtcNow()), CredentialJson.Default.CachedCredentials);
        SecretFile.WriteAtomically(PathFor(key), json);
    }

    internal sealed record CachedCredentials(CredentialProcessOutput Output, DateTimeOffset ObtainedAt);
}

/// <summary>The exact JSON shape the AWS CLI and SDKs expect from a credential_process.</summary>
public sealed record CredentialProcessOutput(
    [property: JsonPropertyName("Version")] int Version,
    [property: JsonPropertyName("AccessKeyId")] string AccessKeyId,
    [property: JsonPropertyName("SecretAccessKey")] string SecretAccessKey,
    [property: JsonPropertyName("SessionToken")] string SessionToken,
    [property: JsonPropertyName("Expiration"), JsonConverter(typeof(UtcIso8601Converter))] DateTimeOffset Expiration)
{
    /// <summary>The document for <paramref name="s"/>'s credentials and expiry.</summary>
    public static CredentialProcessOutput From(FederatedSession s)
        => new(1, s.Credentials.AccessKey, s.Credentials.SecretKey, s.Credentials.Token, s.Expiration.ToUniversalTime());

    /// <summary>The JSON the AWS tools read from the process's stdout; it holds the secret key and session token.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, CredentialJson.Default.CredentialProcessOutput);
}

/// <summary>ISO-8601 in UTC with a Z suffix ("2026-11-28T13:00:00Z"), the form AWS tools document.</summary>
internal sealed class UtcIso8601Converter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => DateTimeOffset.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
        => writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
}

[JsonSerializable(typeof(CredentialProcessOutput))]
[JsonSerializable(typeof(CredentialProcessCache.CachedCredentials))]
internal sealed partial class CredentialJson : JsonSerializerContext;

/// <summary>Writes files that hold secrets: mode 0600 from creation, atomic replace (never a half-written file).</summary>
internal static class SecretFile
{
    public static void WriteAtomically(string path, string content)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            {
                writer.Write(content);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
