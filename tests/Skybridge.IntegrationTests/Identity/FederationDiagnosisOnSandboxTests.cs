using Azure.Core;
using Skybridge.Identity;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Identity;

/// <summary>
/// Each federation failure provoked for real (stand-in knobs, RGW roles) and the CLI's diagnosis
/// asserted: exit code 3, what went wrong with the claims that matter, and the fix.
/// </summary>
[Collection("sandbox")]
public sealed class FederationDiagnosisOnSandboxTests(SandboxFixture sandbox)
{
    private async Task<CliResult> ExchangeWith(object? standIn, params string[] extra)
    {
        await sandbox.ResetEntraAsync();
        try
        {
            if (standIn is not null) await sandbox.ConfigureEntraAsync(standIn);
            return await sandbox.RunCliAsync(["auth", "aws-credentials", "--no-cache", .. extra]);
        }
        finally
        {
            await sandbox.ResetEntraAsync();
        }
    }

    private static void AssertAuthFailure(CliResult r, params string[] expected)
    {
        Assert.Equal(3, r.ExitCode);
        Assert.Empty(r.Stdout); // no half credentials on stdout
        foreach (var e in expected) Assert.Contains(e, r.Stderr);
        Assert.Contains("fix: ", r.Stderr);
    }

    [Fact]
    public async Task Healthy_chain_prints_credential_process_json()
    {
        var r = await ExchangeWith(null);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"Version\":1", r.Stdout);
        Assert.Contains("\"SessionToken\":", r.Stdout);
    }

    [Fact]
    public async Task Wrong_audience() => AssertAuthFailure(await ExchangeWith(new { audienceOverride = "api://someone-else" }),
        "audience 'api://someone-else'", "expected 'api://skybridge-sandbox'");

    [Fact]
    public async Task Issuer_not_registered() => AssertAuthFailure(
        await ExchangeWith(new { issuerOverride = "http://127.0.0.1:17090/00000000-0000-0000-0000-000000000000/" }),
        "no OIDC provider is registered for the issuer 'http://127.0.0.1:17090/00000000-0000-0000-0000-000000000000/'");

    [Fact]
    public async Task Issuer_mismatch_is_pinpointed_when_the_registered_issuer_is_given()
    {
        var r = await sandbox.RunCliAsync(["auth", "aws-credentials", "--no-cache"],
            new Dictionary<string, string?> { ["SKYBRIDGE_EXPECTED_ISSUER"] = sandbox.Issuer.TrimEnd('/') });
        // The exchange itself succeeds (RGW has the slash form registered); a wrong expectation is not an error...
        Assert.Equal(0, r.ExitCode);
        // ...but a token of another issuer against it is explained precisely.
        await sandbox.ResetEntraAsync();
        try
        {
            await sandbox.ConfigureEntraAsync(new { tokenVersion = 2 });
            r = await sandbox.RunCliAsync(["auth", "aws-credentials", "--no-cache"],
                new Dictionary<string, string?> { ["SKYBRIDGE_EXPECTED_ISSUER"] = sandbox.Issuer });
        }
        finally
        {
            await sandbox.ResetEntraAsync();
        }
        AssertAuthFailure(r, $"differs from the registered provider URL '{sandbox.Issuer}'", "this is a v2 token");
    }

    [Fact]
    public async Task V2_token_against_the_v1_provider() => AssertAuthFailure(await ExchangeWith(new { tokenVersion = 2 }),
        "this is a v2 token", "/v2.0", "accessTokenAcceptedVersion");

    [Fact]
    public async Task Trust_policy_refusing_the_subject() => AssertAuthFailure(
        await ExchangeWith(new { subjectOverride = "00000000-aaaa-bbbb-cccc-000000000000" }, "--role-arn", sandbox.PinnedRoleArn),
        "trust policy does not admit this identity (sub=00000000-aaaa-bbbb-cccc-000000000000", "--subject 00000000-aaaa-bbbb-cccc-000000000000");

    [Fact]
    public async Task Unknown_role() => AssertAuthFailure(await ExchangeWith(null, "--role-arn", "arn:aws:iam:::role/does-not-exist"),
        "the role does not exist", "Check --role-arn");

    [Fact]
    public async Task No_managed_identity_on_this_host()
    {
        var r = await sandbox.RunCliAsync(["auth", "aws-credentials", "--no-cache", "--azure-credential", "managed-identity"],
            new Dictionary<string, string?>
            {
                ["IDENTITY_ENDPOINT"] = null, ["IDENTITY_HEADER"] = null, ["MSI_ENDPOINT"] = null,
                // IMDS on a closed loopback port: what a host without a managed identity looks like.
                ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://127.0.0.1:9",
            }, timeout: TimeSpan.FromMinutes(2));
        AssertAuthFailure(r, "no managed identity is available on this host");
    }

    [Fact]
    public async Task Bad_input_is_a_usage_error_before_any_call()
    {
        var r = await sandbox.RunCliAsync(["auth", "aws-credentials", "--duration", "60"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--duration 60 is out of range", r.Stderr);
        r = await sandbox.RunCliAsync(["auth", "aws-credentials", "--role-arn", "not-an-arn"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is not an IAM role ARN", r.Stderr);
    }

    [Fact]
    public async Task Expired_token_is_refused_by_sts_and_explained()
    {
        var expired = await sandbox.MintTokenAsync(sandbox.Audience, expOffset: -120);
        var credentials = new FederatedAwsCredentials(
            new FederationOptions { Audience = sandbox.Audience, RoleArn = sandbox.RoleArn, StsEndpoint = new Uri(sandbox.StsEndpoint) },
            new StaticToken(expired), StsWebIdentityExchange.Create("us-east-1", new Uri(sandbox.StsEndpoint)));
        var e = await Assert.ThrowsAsync<SkybridgeException>(() => credentials.ExchangeAsync());
        Assert.Equal(ErrorKind.Auth, e.Kind);
        Assert.Contains("the Entra token expired at", e.Message);
        Assert.DoesNotContain(expired, e.ToString());
    }

    [Fact]
    public async Task Token_signed_by_an_unknown_key_is_refused()
    {
        var rogue = await sandbox.MintTokenAsync(sandbox.Audience, rogue: true);
        var credentials = new FederatedAwsCredentials(
            new FederationOptions { Audience = sandbox.Audience, RoleArn = sandbox.RoleArn, StsEndpoint = new Uri(sandbox.StsEndpoint) },
            new StaticToken(rogue), StsWebIdentityExchange.Create("us-east-1", new Uri(sandbox.StsEndpoint)));
        var e = await Assert.ThrowsAsync<SkybridgeException>(() => credentials.ExchangeAsync());
        Assert.Equal(ErrorKind.Auth, e.Kind);
        Assert.DoesNotContain(rogue, e.ToString());
    }

    private sealed class StaticToken(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext r, CancellationToken c) => new(token, DateTimeOffset.UtcNow.AddHours(1));
        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext r, CancellationToken c) => ValueTask.FromResult(GetToken(r, c));
    }
}
