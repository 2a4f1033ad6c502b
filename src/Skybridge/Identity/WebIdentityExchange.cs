using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Skybridge.Identity;

/// <summary>Short-lived AWS credentials obtained for one web identity token.</summary>
public sealed record FederatedSession(ImmutableCredentials Credentials, DateTimeOffset Expiration, string? AssumedRoleArn, string? SubjectFromToken);

/// <summary>Trades a web identity token for AWS credentials (seam for tests and other STS flavours).</summary>
public interface IWebIdentityExchange
{
    /// <summary>Calls AssumeRoleWithWebIdentity with <paramref name="webIdentityToken"/> for <paramref name="roleArn"/>, asking for a session of <paramref name="duration"/>.</summary>
    /// <exception cref="Amazon.Runtime.AmazonServiceException">STS refused (the caller explains it with the token's claims).</exception>
    Task<FederatedSession> ExchangeAsync(string webIdentityToken, string roleArn, string sessionName, TimeSpan duration, CancellationToken cancellationToken);
}

/// <summary>
/// AssumeRoleWithWebIdentity through AWSSDK.SecurityToken: an unsigned form POST, so the token
/// travels in the request body, never in a URL.
/// </summary>
public sealed class StsWebIdentityExchange(IAmazonSecurityTokenService sts) : IWebIdentityExchange
{
    /// <summary>An exchange against the regional STS endpoint of <paramref name="region"/>, or against <paramref name="endpoint"/> (S3-compatible servers, the sandbox) when given. The call is unsigned: the token is the only proof.</summary>
    public static StsWebIdentityExchange Create(string region, Uri? endpoint)
    {
        var config = new AmazonSecurityTokenServiceConfig();
        if (endpoint is null)
        {
            // SDK v4 uses the regional endpoint (sts.<region>.amazonaws.com) by default: lower
            // latency and no dependency on the global us-east-1 endpoint.
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        else
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = region;
        }
        // The call is unsigned: the web identity token is the only proof, and no AWS key exists.
        return new StsWebIdentityExchange(new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), config));
    }

    /// <inheritdoc/>
    public async Task<FederatedSession> ExchangeAsync(string webIdentityToken, string roleArn, string sessionName, TimeSpan duration, CancellationToken cancellationToken)
    {
        var response = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = roleArn,
            RoleSessionName = sessionName,
            WebIdentityToken = webIdentityToken,
            DurationSeconds = (int)duration.TotalSeconds,
        }, cancellationToken).ConfigureAwait(false);
        var c = response.Credentials ?? throw new AmazonClientException("STS answered without credentials.");
        var expiration = c.Expiration is { } e ? new DateTimeOffset(DateTime.SpecifyKind(e, e.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : e.Kind)) : DateTimeOffset.UtcNow.Add(duration);
        return new FederatedSession(
            new ImmutableCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken),
            expiration.ToUniversalTime(),
            response.AssumedRoleUser?.Arn,
            response.SubjectFromWebIdentityToken);
    }
}
