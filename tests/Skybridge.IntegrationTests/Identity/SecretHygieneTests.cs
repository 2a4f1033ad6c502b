using System.Text.RegularExpressions;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Identity;

/// <summary>
/// At Trace level every identity command's stderr (logs, SDK traces, errors) is scanned for the
/// secrets of that very run: the Entra token (any JWT), the AWS secret key and session token.
/// </summary>
[Collection("sandbox")]
public sealed partial class SecretHygieneTests(SandboxFixture sandbox)
{
    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.")]
    private static partial Regex AnyJwt();

    [Fact]
    public async Task Trace_logs_of_the_credential_exchange_hold_no_secret()
    {
        var home = Directory.CreateTempSubdirectory("skybridge-hygiene-").FullName;
        try
        {
            var r = await sandbox.RunCliAsync(["auth", "aws-credentials", "--no-cache", "--log-level", "trace"],
                new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = home });
            Assert.True(r.ExitCode == 0, r.Stderr);
            var secret = Field(r.Stdout, "SecretAccessKey");
            var session = Field(r.Stdout, "SessionToken");
            Assert.Contains("trce", r.Stderr); // trace output really was produced
            Assert.DoesNotContain(secret, r.Stderr);
            Assert.DoesNotContain(session, r.Stderr);
            Assert.DoesNotMatch(AnyJwt(), r.Stderr);
        }
        finally
        {
            Directory.Delete(home, true);
        }
    }

    [Fact]
    public async Task Token_command_shows_claims_never_the_token_unless_raw()
    {
        var r = await sandbox.RunCliAsync(["auth", "token", "--log-level", "trace"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("aud                 api://skybridge-sandbox", r.Stdout);
        Assert.DoesNotMatch(AnyJwt(), r.Stdout + r.Stderr);

        var raw = await sandbox.RunCliAsync(["auth", "token", "--raw", "--log-level", "trace"]);
        Assert.Matches(AnyJwt(), raw.Stdout);
        Assert.DoesNotMatch(AnyJwt(), raw.Stderr);
    }

    [Fact]
    public async Task Failures_at_trace_level_hold_no_token()
    {
        await sandbox.ResetEntraAsync();
        try
        {
            await sandbox.ConfigureEntraAsync(new { audienceOverride = "api://wrong" });
            var r = await sandbox.RunCliAsync(["auth", "aws-credentials", "--no-cache", "--log-level", "trace"]);
            Assert.Equal(3, r.ExitCode);
            Assert.DoesNotMatch(AnyJwt(), r.Stdout + r.Stderr);
        }
        finally
        {
            await sandbox.ResetEntraAsync();
        }
    }

    private static string Field(string json, string name)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.GetProperty(name).GetString()!;
    }
}
