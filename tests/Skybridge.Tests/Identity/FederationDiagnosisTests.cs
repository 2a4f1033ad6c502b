using System.Net;
using Amazon.SecurityToken.Model;
using Amazon.Runtime;
using Skybridge.Identity;

namespace Skybridge.Tests.Identity;

public class FederationDiagnosisTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly FederationOptions Options = new() { Audience = "api://aws_azure_federate", RoleArn = "arn:aws:iam::123456789012:role/reader" };

    private static TokenClaims Claims(string iss = "https://sts.windows.net/tid/", string aud = "api://aws_azure_federate", string ver = "1.0", DateTimeOffset? exp = null)
        => new() { Issuer = iss, Audience = aud, Subject = "sub-1", ObjectId = "oid-1", AppId = "app-1", Version = ver, ExpiresOn = exp ?? Now.AddHours(1) };

    private static AmazonServiceException Error(string code, string message, HttpStatusCode status = HttpStatusCode.BadRequest)
        => new(message, null, ErrorType.Sender, code, "req-1", status);

    private static SkybridgeException Explain(AmazonServiceException e, TokenClaims c) => FederationDiagnosis.Explain(e, c, Options, Now);

    [Fact]
    public void Wrong_audience_names_both_audiences()
    {
        var e = Explain(Error("InvalidIdentityToken", "Incorrect token audience"), Claims(aud: "api://other"));
        Assert.Equal(ErrorKind.Auth, e.Kind);
        Assert.Contains("'api://other'", e.Message);
        Assert.Contains("expected 'api://aws_azure_federate'", e.Message);
    }

    [Fact]
    public void Wrong_audience_is_found_from_claims_even_when_sts_only_says_access_denied()
        => Assert.Contains("audience", Explain(Error("AccessDenied", "Forbidden", HttpStatusCode.Forbidden), Claims(aud: "api://other")).Message);

    [Fact]
    public void V2_token_audience_mismatch_explains_the_client_id_guid()
    {
        var e = Explain(Error("InvalidIdentityToken", "Incorrect token audience"),
            Claims(iss: "https://login.microsoftonline.com/tid/v2.0", aud: "0b3a1c2d-0000-4000-8000-000000000001", ver: "2.0"));
        Assert.Contains("v2 token", e.Fix);
        Assert.Contains("accessTokenAcceptedVersion", e.Fix);
    }

    [Fact]
    public void Unregistered_issuer_quotes_the_issuer_and_fix()
    {
        var e = Explain(Error("InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://sts.windows.net/tid/"), Claims());
        Assert.Contains("no OIDC provider", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("'https://sts.windows.net/tid/'", e.Fix);
    }

    [Fact]
    public void Issuer_without_trailing_slash_is_called_out()
        => Assert.Contains("must end with a slash",
            Explain(Error("InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://sts.windows.net/tid"), Claims(iss: "https://sts.windows.net/tid")).Message);

    [Fact]
    public void V2_token_against_v1_provider_is_explained()
        => Assert.Contains("v2 token",
            Explain(Error("InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://login.microsoftonline.com/tid/v2.0"),
                Claims(iss: "https://login.microsoftonline.com/tid/v2.0", ver: "2.0")).Message);

    [Fact]
    public void V1_token_against_v2_provider_is_explained()
        => Assert.Contains("v1 token",
            Explain(Error("InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://sts.windows.net/tid/"), Claims()).Message);

    [Fact]
    public void Trust_policy_refusal_names_subject_and_audience()
    {
        var e = Explain(Error("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", HttpStatusCode.Forbidden), Claims());
        Assert.Contains("trust policy", e.Message);
        Assert.Contains("sub=sub-1", e.Message);
        Assert.Contains("sub='sub-1'", e.Fix);
    }

    [Fact]
    public void Expired_token_and_clock_skew_are_distinguished()
    {
        var expired = Explain(Error("ExpiredTokenException", "Token expired"), Claims(exp: Now.AddMinutes(-3)));
        Assert.Contains("expired at", expired.Message);
        var skew = Explain(Error("ExpiredTokenException", "Token expired"), Claims(exp: Now.AddMinutes(30)));
        Assert.Contains("clocks disagree", skew.Message);
        Assert.Contains("NTP", skew.Fix);
    }

    [Fact]
    public void Duration_above_role_maximum()
    {
        var e = Explain(Error("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."), Claims());
        Assert.Contains("maximum session duration", e.Message);
        Assert.Contains("--duration", e.Fix);
    }

    [Fact]
    public void Unknown_role()
        => Assert.Contains("does not exist", Explain(Error("NoSuchEntity", "Role not found", HttpStatusCode.NotFound), Claims()).Message);

    // S3-compatible STS servers (Ceph RGW) answer a bare AccessDenied for every cause: the claims decide.
    private static AmazonServiceException Denied => Error("AccessDenied", "Forbidden", HttpStatusCode.Forbidden);

    [Fact]
    public void Bare_access_denied_with_an_expired_token_says_expired()
        => Assert.Contains("expired at", Explain(Denied, Claims(exp: Now.AddMinutes(-1))).Message);

    [Fact]
    public void Token_from_the_future_is_clock_skew()
    {
        var claims = Claims() with { NotBefore = Now.AddMinutes(20) };
        var e = Explain(Denied, claims);
        Assert.Contains("clocks disagree by 20 min", e.Message);
    }

    [Fact]
    public void Bare_access_denied_with_a_v2_token_explains_v2()
        => Assert.Contains("v2 token", Explain(Denied, Claims(iss: "http://127.0.0.1:17090/tid/v2.0", ver: "2.0")).Message);

    [Fact]
    public void Known_registered_issuer_pinpoints_a_trailing_slash_mismatch()
    {
        var e = FederationDiagnosis.Explain(Denied, Claims(iss: "https://sts.windows.net/tid"), Options with { ExpectedIssuer = "https://sts.windows.net/tid/" }, Now);
        Assert.Contains("only in the trailing slash", e.Message);
        Assert.Contains("must end with a slash", e.Message);
    }

    [Fact]
    public void Known_registered_issuer_of_another_tenant_is_named()
    {
        var e = FederationDiagnosis.Explain(Denied, Claims(iss: "https://sts.windows.net/other/"), Options with { ExpectedIssuer = "https://sts.windows.net/tid/" }, Now);
        Assert.Contains("differs from the registered provider URL 'https://sts.windows.net/tid/'", e.Message);
    }

    [Fact]
    public void Bare_access_denied_otherwise_names_role_trust_policy_and_issuer()
    {
        var e = Explain(Denied, Claims());
        Assert.Contains("the role does not exist", e.Message);
        Assert.Contains("trust policy", e.Message);
        Assert.Contains("--subject sub-1", e.Fix);
    }
}
