using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Identity;

/// <summary>
/// Issue 16, item 9: a cached session that the server no longer accepts. The real AWS CLI reads
/// through credential_process = skybridge auth aws-credentials; the cached session token is then
/// damaged in the cache file (what RGW makes of a session whose role was recreated: it refuses it),
/// and the CLI fails with its opaque message. doctor names the cache and the fix; --refresh and
/// auth clear-cache each get the CLI working again.
/// </summary>
[Collection("sandbox")]
public sealed class CredentialCacheSandboxTests(SandboxFixture sandbox) : IAsyncLifetime
{
    private readonly string _temp = Directory.CreateTempSubdirectory("skybridge-cache-it-").FullName;
    private readonly string _prefix = $"cache-tests-{Guid.NewGuid():N}/";

    public async Task InitializeAsync()
    {
        using var admin = sandbox.AdminS3();
        await admin.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = _prefix + "seen.txt", ContentBody = "seen", UseChunkEncoding = false });
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_temp, recursive: true);
        return Task.CompletedTask;
    }

    private string CacheDir => Path.Combine(_temp, "cache", "skybridge", "credentials");

    private Dictionary<string, string?> Env()
    {
        var config = Path.Combine(_temp, "aws-config");
        File.WriteAllText(config, $"[profile skybridge]\ncredential_process = dotnet {SandboxFixture.CliDll} auth aws-credentials\nregion = us-east-1\n");
        return new()
        {
            ["AWS_ACCESS_KEY_ID"] = null, ["AWS_SECRET_ACCESS_KEY"] = null, ["AWS_SESSION_TOKEN"] = null,
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_temp, "no-credentials"),
            ["AWS_CONFIG_FILE"] = config, ["AWS_PROFILE"] = "skybridge",
            ["XDG_CACHE_HOME"] = Path.Combine(_temp, "cache"),
        };
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> AwsListAsync() => sandbox.RunProcessAsync("/usr/bin/aws",
        ["--endpoint-url", sandbox.S3Endpoint, "s3", "ls", $"s3://{sandbox.Bucket}/{_prefix}"], Env());

    private string DamageCachedSession() => DamageCachedSession(CacheDir);

    /// <summary>Replaces the cached session token with one the server refuses; returns the cache file.</summary>
    internal static string DamageCachedSession(string cacheDir)
    {
        var file = Assert.Single(Directory.GetFiles(cacheDir));
        var doc = JsonNode.Parse(File.ReadAllText(file))!;
        var token = doc["Output"]!["SessionToken"]!.GetValue<string>();
        doc["Output"]!["SessionToken"] = token[..^8] + "AAAAAAAA";
        File.WriteAllText(file, doc.ToJsonString());
        return file;
    }

    private static string CachedToken(string file) => JsonNode.Parse(File.ReadAllText(file))!["Output"]!["SessionToken"]!.GetValue<string>();

    [Fact]
    public async Task A_refused_cached_session_is_named_by_doctor_and_refresh_or_clear_cache_get_the_aws_cli_working_again()
    {
        var ok = await AwsListAsync();
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("seen.txt", ok.Stdout);

        var file = DamageCachedSession();
        var damaged = CachedToken(file);
        var refused = await AwsListAsync();
        Assert.NotEqual(0, refused.ExitCode);
        Assert.DoesNotContain("seen.txt", refused.Stdout);

        // doctor: the cached session fails the same S3 call a fresh one passes, so the cache is named with the fix.
        var doctor = await sandbox.RunCliAsync(["doctor", $"s3://{sandbox.Bucket}/{_prefix}", "--output", "json"], Env());
        Assert.Equal(1, doctor.ExitCode);
        using (var json = JsonDocument.Parse(doctor.Stdout))
        {
            var check = json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "credential-cache");
            Assert.Equal("failed", check.GetProperty("status").GetString());
            Assert.Contains($"the cached session in {file} is refused", check.GetProperty("detail").GetString());
            Assert.Contains("while a fresh session is accepted", check.GetProperty("detail").GetString());
            Assert.Contains("skybridge auth clear-cache", check.GetProperty("fix").GetString());
            Assert.Contains("--refresh", check.GetProperty("fix").GetString());
            Assert.Equal("passed", json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "s3-list").GetProperty("status").GetString());
        }
        Assert.DoesNotContain(damaged, doctor.Stdout + doctor.Stderr);

        // Way out 1: --refresh replaces the cached session.
        var refresh = await sandbox.RunCliAsync(["auth", "aws-credentials", "--refresh"], Env());
        Assert.True(refresh.ExitCode == 0, refresh.Stderr);
        Assert.NotEqual(damaged, CachedToken(file));
        var again = await AwsListAsync();
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("seen.txt", again.Stdout);

        // Way out 2: clear-cache removes it; the next AWS CLI call gets a new session.
        DamageCachedSession();
        var clear = await sandbox.RunCliAsync(["auth", "clear-cache"], Env());
        Assert.Equal(0, clear.ExitCode);
        Assert.Contains($"removed 1 cached session(s) from {CacheDir}", clear.Stderr);
        Assert.Empty(Directory.GetFiles(CacheDir));
        var afterClear = await AwsListAsync();
        Assert.True(afterClear.ExitCode == 0, afterClear.Stderr);
        Assert.Contains("seen.txt", afterClear.Stdout);

        var healthy = await sandbox.RunCliAsync(["doctor", $"s3://{sandbox.Bucket}/{_prefix}", "--output", "json"], Env());
        Assert.Equal(0, healthy.ExitCode);
        Assert.Contains("the cached session (valid until", healthy.Stdout);
    }
}
