using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Skybridge.Diagnostics;
using Skybridge.Identity;

namespace Skybridge.Setup.Doctor.Checks;

/// <summary>
/// 11. Is the session that 'auth aws-credentials' hands out from its cache still accepted? A role
/// deleted and recreated (or its sessions revoked) leaves a cached session AWS refuses until it
/// expires, and the AWS CLI then shows only "argument of type 'NoneType' is not iterable". The
/// same S3 call (ListObjectsV2 on SRC, else ListBuckets) is made with the cached session and, if
/// that is refused, with the fresh session of check 4: only a refusal of the cached one alone
/// names the cache as the cause. (RGW has no STS GetCallerIdentity, so the test is an S3 call.)
/// </summary>
public sealed class CachedSessionCheck() : DoctorCheck(Name, "Cached AWS session (auth aws-credentials)", StsExchangeCheck.Name)
{
    public new const string Name = "credential-cache";

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        if (context.CredentialCache is not { } cache) return CheckOutcome.Pass("no credential cache in use.");
        var key = CredentialProcessCache.KeyFor(context.Federation);
        if (cache.TryRead(key) is not { } cached)
            return CheckOutcome.Pass($"no cached session for these settings in {cache.DirectoryPath}: the next 'auth aws-credentials' asks STS.");
        // Its secrets come from disk, not from an exchange that registered them: the SDK's trace log must not show them.
        SecretRedactor.Register(cached.SecretAccessKey);
        SecretRedactor.Register(cached.SessionToken);
        var what = context.Source is { } src ? $"ListObjectsV2 on s3://{src.Bucket}" : "ListBuckets";
        var refused = await RefusalAsync(context.S3ClientFor(new SessionAWSCredentials(cached.AccessKeyId, cached.SecretAccessKey, cached.SessionToken)),
            context.Source, cancellationToken).ConfigureAwait(false);
        if (refused is null)
            return CheckOutcome.Pass($"the cached session (valid until {cached.Expiration:u}) is accepted ({what}).");
        var freshRefused = await RefusalAsync(context.S3Client(), context.Source, cancellationToken).ConfigureAwait(false);
        if (freshRefused is not null)
            return CheckOutcome.Pass($"the cached session is answered like a fresh one ({what}: {freshRefused}): not a cache problem; see the S3 checks.");
        return CheckOutcome.Fail(
            $"the cached session in {cache.PathFor(key)} is refused ({what}: {refused}) while a fresh session is accepted: AWS tools using " +
            $"'credential_process = skybridge auth aws-credentials' fail until it expires at {cached.Expiration:u} " +
            "(the AWS CLI may show only \"argument of type 'NoneType' is not iterable\").",
            "Run 'skybridge auth clear-cache' (or 'skybridge auth aws-credentials --refresh' once): the next call gets a new session.");
    }

    /// <summary>Null when the call succeeds, else "status code" of the refusal.</summary>
    private static async Task<string?> RefusalAsync(IAmazonS3 s3, Providers.S3.S3Location? source, CancellationToken ct)
    {
        try
        {
            if (source is { } src)
                await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = src.Bucket, Prefix = src.Prefix, MaxKeys = 1 }, ct).ConfigureAwait(false);
            else
                await s3.ListBucketsAsync(new ListBucketsRequest(), ct).ConfigureAwait(false);
            return null;
        }
        catch (AmazonServiceException e)
        {
            return $"{(int)e.StatusCode} {e.ErrorCode ?? "(no error code)"}";
        }
    }
}
