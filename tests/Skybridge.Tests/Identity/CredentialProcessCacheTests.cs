using Amazon.Runtime;
using Microsoft.Extensions.Time.Testing;
using Skybridge.Identity;

namespace Skybridge.Tests.Identity;

public sealed class CredentialProcessCacheTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "skybridge-cache-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private CredentialProcessOutput Output(TimeSpan lifetime)
        => new(1, "ASIAEXAMPLE", "secret-example-key", "session-token-example", _clock.GetUtcNow() + lifetime);

    [Fact]
    public void Round_trips_and_files_are_owner_only()
    {
        var cache = new CredentialProcessCache(_dir, _clock);
        cache.Write("k", Output(TimeSpan.FromHours(1)));
        Assert.Equal("ASIAEXAMPLE", cache.TryRead("k")!.AccessKeyId);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "k.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir));
        Assert.Single(Directory.GetFiles(_dir)); // no temp files left behind
    }

    [Fact]
    public void Credentials_near_expiry_are_not_handed_out()
    {
        var cache = new CredentialProcessCache(_dir, _clock);
        cache.Write("k", Output(TimeSpan.FromHours(1)));
        _clock.Advance(TimeSpan.FromMinutes(44));
        Assert.NotNull(cache.TryRead("k"));
        _clock.Advance(TimeSpan.FromMinutes(2)); // 14 min left < 15 min
        Assert.Null(cache.TryRead("k"));
    }

    [Fact]
    public void Damaged_cache_file_is_ignored()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "k.json"), "{not json");
        Assert.Null(new CredentialProcessCache(_dir, _clock).TryRead("k"));
    }

    [Fact]
    public void Key_depends_on_role_and_audience()
    {
        var a = new FederationOptions { Audience = "api://a", RoleArn = "arn:aws:iam::123456789012:role/r" };
        Assert.Equal(CredentialProcessCache.KeyFor(a), CredentialProcessCache.KeyFor(a with { }));
        Assert.NotEqual(CredentialProcessCache.KeyFor(a), CredentialProcessCache.KeyFor(a with { RoleArn = "arn:aws:iam::123456789012:role/other" }));
        Assert.NotEqual(CredentialProcessCache.KeyFor(a), CredentialProcessCache.KeyFor(a with { Audience = "api://b" }));
    }

    // Issue 16: everything that changes the session changes the key; nothing else does.
    [Fact]
    public void Key_covers_identity_tenant_audience_role_sts_endpoint_duration_session_name_and_region()
    {
        static string? NoEnv(string _) => null;
        var a = new FederationOptions { Audience = "api://a", RoleArn = "arn:aws:iam::123456789012:role/r" };
        var key = CredentialProcessCache.KeyFor(a, NoEnv);
        Assert.Equal(key, CredentialProcessCache.KeyFor(a with { MaxCredentialAge = TimeSpan.FromMinutes(5), ExpectedIssuer = "https://x/" }, NoEnv));
        FederationOptions[] changed =
        [
            a with { Azure = a.Azure with { Kind = AzureCredentialKind.WorkloadIdentity } },
            a with { Azure = a.Azure with { ClientId = "11111111-1111-1111-1111-111111111111" } },
            a with { Azure = a.Azure with { TenantId = "22222222-2222-2222-2222-222222222222" } },
            a with { Audience = "api://b" },
            a with { RoleArn = "arn:aws:iam::123456789012:role/other" },
            a with { StsEndpoint = new Uri("https://sts.eu-west-1.amazonaws.com") },
            a with { Duration = TimeSpan.FromHours(2) },
            a with { RoleSessionName = "other-session" },
            a with { Region = "eu-west-1" },
        ];
        var keys = changed.Select(o => CredentialProcessCache.KeyFor(o, NoEnv)).Append(key).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Theory]
    [InlineData("AZURE_CLIENT_ID")]
    [InlineData("AZURE_TENANT_ID")]
    [InlineData("AZURE_FEDERATED_TOKEN_FILE")]
    public void Key_covers_the_identity_the_azure_sdk_takes_from_the_environment(string variable)
    {
        var a = new FederationOptions { Audience = "api://a", RoleArn = "arn:aws:iam::123456789012:role/r" };
        Assert.NotEqual(CredentialProcessCache.KeyFor(a, _ => null), CredentialProcessCache.KeyFor(a, v => v == variable ? "other" : null));
    }

    [Fact]
    public void Clear_removes_every_cached_session_and_nothing_else()
    {
        var cache = new CredentialProcessCache(_dir, _clock);
        var options = new FederationOptions { Audience = "api://a", RoleArn = "arn:aws:iam::123456789012:role/r" };
        cache.Write(CredentialProcessCache.KeyFor(options), Output(TimeSpan.FromHours(1)));
        cache.Write(CredentialProcessCache.KeyFor(options with { Audience = "api://b" }), Output(TimeSpan.FromHours(1)));
        File.WriteAllText(Path.Combine(_dir, CredentialProcessCache.KeyFor(options) + ".1a2b3c4d.tmp"), "left by a crash");
        File.WriteAllText(Path.Combine(_dir, "notes.json"), "not ours");
        Assert.Equal(2, cache.Clear());
        Assert.Equal(["notes.json"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        Assert.Null(cache.TryRead(CredentialProcessCache.KeyFor(options)));
        Assert.Equal(0, new CredentialProcessCache(Path.Combine(_dir, "absent")).Clear());
    }

    [Fact]
    public void Credential_process_json_has_the_exact_aws_shape()
    {
        var json = Output(TimeSpan.FromHours(1)).ToJson();
        Assert.Equal("""{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret-example-key","SessionToken":"session-token-example","Expiration":"2026-11-28T13:00:00Z"}""", json);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }
}
