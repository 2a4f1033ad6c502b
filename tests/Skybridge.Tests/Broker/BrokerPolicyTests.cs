using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Broker;

namespace Skybridge.Tests.Broker;

/// <summary>The broker's start-up checks, allow-list decisions and refusal reasons (no sandbox).</summary>
public sealed class BrokerPolicyTests
{
    private const string Tenant = "7f3c1a52-5b0e-4c1e-9d7a-2b8e6f4a9c10";
    private const string Factory = "3b6c9f0e-8a41-4d2b-b7e5-0c9d1e2f3a4b";
    private const string Reader = "arn:aws:iam::123456789012:role/reader";
    private const string Writer = "arn:aws:iam::123456789012:role/writer";

    private static BrokerOptions Options() => new()
    {
        TenantId = Tenant,
        Audience = "api://aws_azure_federate",
        Callers = [new CallerGrant { ObjectId = Factory, RoleArns = [Reader] }, new CallerGrant { AppRole = "Skybridge.Writer", RoleArns = [Writer] }],
    };

    [Fact]
    public void Defaults_are_the_v1_issuer_its_https_discovery_document_and_a_bounded_skew()
    {
        var s = BrokerSettings.From(Options());
        Assert.Equal($"https://sts.windows.net/{Tenant}/", s.Issuer);
        Assert.Equal($"https://sts.windows.net/{Tenant}/.well-known/openid-configuration", s.MetadataAddress.ToString());
        Assert.Equal(TimeSpan.FromSeconds(60), s.ClockSkew);
        var p = new BrokerTokenValidation(s).Parameters;
        Assert.Equal([SecurityAlgorithms.RsaSha256], p.ValidAlgorithms);
        Assert.True(p.RequireSignedTokens && p.RequireExpirationTime && p.ValidateLifetime && p.ValidateAudience && p.ValidateIssuer);
        Assert.Equal(s.Issuer, p.ValidIssuer);
    }

    public static TheoryData<string, string> BadOptions() => new()
    {
        { "http metadata", "is not https" },
        { "issuer of another tenant", "does not name Broker:TenantId" },
        { "no callers", "Broker:Callers is empty" },
        { "caller without role", "names no role ARN" },
        { "caller with both keys", "exactly one of ObjectId or AppRole" },
        { "bad role arn", "is not an IAM role ARN" },
        { "skew too large", "ClockSkewSeconds 600 is out of range" },
        { "no tenant", "Broker:TenantId is required" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_configuration_that_cannot_work_does_not_start(string name, string expected)
    {
        var o = Options();
        switch (name)
        {
            case "http metadata": o.MetadataAddress = "http://127.0.0.1:17090/x/.well-known/openid-configuration"; break;
            case "issuer of another tenant": o.Issuer = "https://sts.windows.net/0d9e8f7a-1b2c-4d3e-8f4a-5b6c7d8e9f00/"; break;
            case "no callers": o.Callers = []; break;
            case "caller without role": o.Callers = [new CallerGrant { ObjectId = Factory }]; break;
            case "caller with both keys": o.Callers = [new CallerGrant { ObjectId = Factory, AppRole = "x", RoleArns = [Reader] }]; break;
            case "bad role arn": o.Callers = [new CallerGrant { ObjectId = Factory, RoleArns = ["reader"] }]; break;
            case "skew too large": o.ClockSkewSeconds = 600; break;
            case "no tenant": o.TenantId = null; break;
        }
        var e = Assert.Throws<SkybridgeException>(() => BrokerSettings.From(o));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains(expected, e.Message);
        Assert.False(string.IsNullOrWhiteSpace(e.Fix));
    }

    [Fact]
    public void Http_metadata_is_accepted_only_when_explicitly_allowed()
    {
        var o = Options();
        o.MetadataAddress = "http://127.0.0.1:17090/x/.well-known/openid-configuration";
        o.AllowHttpMetadata = true;
        Assert.Equal("http", BrokerSettings.From(o).MetadataAddress.Scheme);
    }

    [Fact]
    public void Allow_list_decides_by_object_id_or_app_role_and_refuses_other_roles()
    {
        var policy = BrokerSettings.From(Options()).Callers;
        Assert.Equal(Reader, policy.Decide(new Caller(Factory, []), null).RoleArn);
        Assert.Equal(Reader, policy.Decide(new Caller(Factory.ToUpperInvariant(), []), Reader).RoleArn);
        var refused = policy.Decide(new Caller(Factory, []), Writer);
        Assert.Null(refused.RoleArn);
        Assert.Contains($"may not assume role '{Writer}'", refused.Refusal);
        // A requested ARN is the caller's text: shortened and escaped in the reason, never raw.
        var hostile = policy.Decide(new Caller(Factory, []), "arn:aws:iam::1:role/x\n<script>" + new string('a', 500));
        Assert.DoesNotContain("\n", hostile.Refusal);
        Assert.DoesNotContain("<script>", hostile.Refusal);
        Assert.True(hostile.Refusal!.Length < 300, hostile.Refusal);
        Assert.Equal(Writer, policy.Decide(new Caller(Guid.NewGuid().ToString(), ["Skybridge.Writer"]), null).RoleArn);
        var stranger = policy.Decide(new Caller("someone", ["Other.Role"]), null);
        Assert.Contains("is not on the broker's allow-list", stranger.Refusal);
        Assert.False(string.IsNullOrWhiteSpace(stranger.Fix));
    }

    [Fact]
    public void Caller_comes_from_oid_then_sub_and_session_names_fit_sts()
    {
        var both = new ClaimsPrincipal(new ClaimsIdentity([new Claim("oid", Factory), new Claim("sub", "other"), new Claim("roles", "a")], "test"));
        Assert.Equal(new Caller(Factory, ["a"]).ObjectId, Caller.From(both)!.ObjectId);
        var subOnly = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "abc")], "test"));
        Assert.Equal("abc", Caller.From(subOnly)!.ObjectId);
        Assert.Null(Caller.From(new ClaimsPrincipal(new ClaimsIdentity())));
        var name = CredentialBroker.SessionName(new Caller(Factory, []));
        Assert.Matches(@"^[\w+=,.@-]{2,64}$", name);
        Assert.Contains(Factory, name);
    }

    [Fact]
    public void Refusal_reasons_name_the_claim_but_never_the_token()
    {
        // An unsigned JWT whose audience is wrong: the reason names the audience, not the token.
        const string token = "eyJhbGciOiJub25lIn0.eyJhdWQiOiJhcGk6Ly9vdGhlciIsImlzcyI6Imh0dHBzOi8vZXZpbC8ifQ.";
        var aud = TokenFailure.Describe(new SecurityTokenInvalidAudienceException("IDX10214"), token);
        Assert.Equal("the token's audience 'api://other' is not the broker's audience", aud);
        var iss = TokenFailure.Describe(new SecurityTokenInvalidIssuerException("IDX10205"), token);
        Assert.Equal("the token's issuer 'https://evil/' is not the broker's issuer", iss);
        Assert.DoesNotContain("eyJ", aud + iss);
        Assert.Equal("the token's audience (none) is not the broker's audience", TokenFailure.Describe(new SecurityTokenInvalidAudienceException("x"), "not-a-jwt"));
        Assert.Equal("the token is signed with a key the tenant does not publish", TokenFailure.Describe(new SecurityTokenSignatureKeyNotFoundException("x"), token));
    }
}
