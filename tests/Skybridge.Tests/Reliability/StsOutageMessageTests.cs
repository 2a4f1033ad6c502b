using System.Net;
using Amazon.SecurityToken;
using Skybridge.Identity;

namespace Skybridge.Tests.Reliability;

/// <summary>
/// An STS outage that outlasts the SDK's retries (issue 8, credential churn on the sandbox) is
/// reported as an outage to wait out, not as a refusal with token claims to debug.
/// </summary>
public sealed class StsOutageMessageTests
{
    private static readonly FederationOptions Options = new() { Audience = "api://aws_azure_federate", RoleArn = "arn:aws:iam::123456789012:role/reader" };
    private static readonly TokenClaims Claims = new() { Issuer = "https://sts.windows.net/t/", Audience = "api://aws_azure_federate", Subject = "s" };

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable")]
    [InlineData(HttpStatusCode.InternalServerError, "InternalFailure")]
    [InlineData(HttpStatusCode.BadRequest, "Throttling")]
    public void Outage_or_throttling_is_not_called_a_refusal(HttpStatusCode status, string code)
    {
        var e = FederationDiagnosis.Explain(new AmazonSecurityTokenServiceException("Service is unavailable. Please try again.") { StatusCode = status, ErrorCode = code },
            Claims, Options, DateTimeOffset.UtcNow);
        Assert.Equal(ErrorKind.Auth, e.Kind);
        Assert.DoesNotContain("refused", e.Message);
        Assert.Contains(code, e.Message);
        Assert.Contains("run the command again", e.Fix);
    }

    [Fact]
    public void A_real_refusal_still_is_one()
    {
        var e = FederationDiagnosis.Explain(new AmazonSecurityTokenServiceException("Access denied") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "AccessDenied" },
            Claims, Options, DateTimeOffset.UtcNow);
        Assert.Contains("refused", e.Message);
    }
}
