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
