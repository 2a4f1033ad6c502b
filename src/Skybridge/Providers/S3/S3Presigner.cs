using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Skybridge.Identity;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Providers.S3;

/// <summary>
/// Presigned GET URLs for service-side copies, signed with the current (federated, temporary)
/// session: SigV4 query signing (X-Amz-Credential, -Date, -Expires, -Security-Token, -Signature),
/// pinned to the listed version when there is one. A URL never outlives the session that signs it
/// (<see cref="PresignPolicy.Expiry"/>); a session about to end is refreshed first. URLs are never
/// logged: <see cref="PresignedUrl.ToString"/> drops the query, and the redactor masks the signed
/// parameters should one slip into an error message.
/// </summary>
public sealed class S3Presigner : IPresigningSource
{
    private readonly IAmazonS3 _s3;
    private readonly S3Location _location;
    private readonly AWSCredentials _credentials;
    private readonly TimeProvider _clock;
    private readonly Protocol _protocol;

    /// <summary>A presigner for objects of <paramref name="location"/>, signing with <paramref name="credentials"/> (their current session).</summary>
    /// <param name="s3">The client of the source (used to presign and for HEAD).</param>
    /// <param name="location">The bucket and prefix.</param>
    /// <param name="endpoint">Where the URLs point: <see cref="S3Endpoint.ServiceUrl"/>, else https://s3.&lt;region&gt;.amazonaws.com/.</param>
    /// <param name="credentials">The credentials the client signs with; a URL never outlives their session.</param>
    /// <param name="clock">Time source for expiries; null: the system clock.</param>
    public S3Presigner(IAmazonS3 s3, S3Location location, S3Endpoint endpoint, AWSCredentials credentials, TimeProvider? clock = null)
    {
        _s3 = s3;
        _location = location;
        _credentials = credentials;
        _clock = clock ?? TimeProvider.System;
        Endpoint = endpoint.ServiceUrl ?? new Uri($"https://s3.{endpoint.Region}.amazonaws.com/");
        _protocol = Endpoint.Scheme == Uri.UriSchemeHttp ? Protocol.HTTP : Protocol.HTTPS;
    }

    /// <inheritdoc/>
    public Uri Endpoint { get; }

    /// <summary>How long URLs are asked to live (capped by the session): default one hour.</summary>
    public TimeSpan Lifetime { get; init; } = PresignPolicy.DefaultLifetime;

    /// <summary>When the current session ends (null: long-lived keys, no session).</summary>
    private DateTimeOffset? SessionExpiration => (_credentials as FederatedAwsCredentials)?.Current?.Expiration;

    /// <inheritdoc/>
    public async Task<PresignedUrl> PresignAsync(SourceObject obj, CancellationToken ct)
    {
        await _credentials.GetCredentialsAsync().ConfigureAwait(false); // a session exists (and is current) before we read its expiry
        var expiry = PresignPolicy.Expiry(_clock.GetUtcNow(), Lifetime, SessionExpiration);
        if (expiry is null && _credentials is RefreshingAWSCredentials refreshing)
        {
            refreshing.ClearCredentials(); // about to end: one Entra + STS round trip for a fresh session
            await _credentials.GetCredentialsAsync().ConfigureAwait(false);
            expiry = PresignPolicy.Expiry(_clock.GetUtcNow(), Lifetime, SessionExpiration);
        }
        if (expiry is null) throw PresignPolicy.SessionTooShort(SessionExpiration);
        var url = await _s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = _location.Bucket,
            Key = obj.Key,
            VersionId = obj.VersionId,
            Verb = HttpVerb.GET,
            Expires = expiry.Value.UtcDateTime,
            Protocol = _protocol,
        }).ConfigureAwait(false);
        // If the session was refreshed meanwhile the new one ends later: the cap above still holds.
        return new PresignedUrl(new Uri(url), expiry.Value);
    }

    /// <inheritdoc/>
    public async Task<SourceProperties> HeadAsync(SourceObject obj, CancellationToken ct)
    {
        GetObjectMetadataResponse r;
        try
        {
            r = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest
            {
                BucketName = _location.Bucket, Key = obj.Key, VersionId = obj.VersionId, EtagToMatch = "\"" + CompositeEtag.Normalize(obj.ETag) + "\"",
                // The full-object CRC64, when the source keeps one: it proves a copy in blocks Azure fetched.
                ChecksumMode = ChecksumMode.ENABLED,
            }, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            throw new SourceChangedException(obj.Key, e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw SkybridgeException.Auth($"S3 refused to read objects of {_location} ({(int)e.StatusCode} {e.ErrorCode}).",
                $"Grant the role s3:GetObject on arn:aws:s3:::{_location.Bucket}/{_location.Prefix}*; 'skybridge doctor' checks every link of the chain.", e);
        }
        catch (AmazonServiceException e)
        {
            throw S3Errors.Map(e);
        }
        if (CompositeEtag.Normalize(r.ETag) is { Length: > 0 } etag && etag != CompositeEtag.Normalize(obj.ETag))
            throw new SourceChangedException(obj.Key);
        return S3ObjectProperties.From(r);
    }
}
