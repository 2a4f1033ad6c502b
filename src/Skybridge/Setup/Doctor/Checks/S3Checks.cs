using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Skybridge.Providers.S3;
using S3Location = Skybridge.Providers.S3.S3Location;

namespace Skybridge.Setup.Doctor.Checks;

/// <summary>5a. ListObjectsV2 (MaxKeys 5) on the source bucket/prefix with the session credentials.</summary>
public sealed class S3ListCheck() : DoctorCheck(Name, "S3 list source", StsExchangeCheck.Name)
{
    public new const string Name = "s3-list";

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        if (context.Source is not { } src) return CheckOutcome.Skip("no source given (SRC s3://bucket/prefix, or the 'source' setting).");
        try
        {
            var page = await context.S3Client().ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = src.Bucket, Prefix = src.Prefix, MaxKeys = 5,
            }, cancellationToken).ConfigureAwait(false);
            var objects = (page.S3Objects ?? []).Where(o => !o.Key.EndsWith('/')).ToList();
            if (objects.Count == 0)
                return CheckOutcome.Pass($"{src}: listing allowed; no objects under the prefix (nothing to read).");
            context.FirstObjectKey = objects[0].Key;
            context.FirstObjectSize = objects[0].Size ?? 0;
            var more = page.IsTruncated == true ? "+" : "";
            return CheckOutcome.Pass($"{src}: listing allowed; {objects.Count}{more} object(s), first '{objects[0].Key}' ({context.FirstObjectSize} bytes).");
        }
        catch (AmazonS3Exception e)
        {
            return S3Diagnosis.Explain(e, "s3:ListBucket", src, S3Diagnosis.BucketArn(src), context.Federation.RoleArn, context.S3Endpoint);
        }
        catch (AmazonClientException e)
        {
            return S3Diagnosis.Unreachable(e, context.S3Endpoint);
        }
        catch (HttpRequestException e)
        {
            return S3Diagnosis.Unreachable(e, context.S3Endpoint);
        }
    }
}

/// <summary>5b. Reads one byte of the first listed object (GET with Range: bytes=0-0; HEAD for an empty object).</summary>
public sealed class S3ReadCheck() : DoctorCheck(Name, "S3 read source object", S3ListCheck.Name)
{
    public new const string Name = "s3-read";

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        var src = context.Source!;
        if (context.FirstObjectKey is not { } key) return CheckOutcome.Skip($"no object under {src} to read.");
        try
        {
            if (context.FirstObjectSize == 0)
            {
                await context.S3Client().GetObjectMetadataAsync(src.Bucket, key, cancellationToken).ConfigureAwait(false);
                return CheckOutcome.Pass($"HEAD s3://{src.Bucket}/{key} allowed (empty object).");
            }
            using var response = await context.S3Client().GetObjectAsync(new GetObjectRequest
            {
                BucketName = src.Bucket, Key = key, ByteRange = new ByteRange(0, 0),
            }, cancellationToken).ConfigureAwait(false);
            var buffer = new byte[1];
            await using var body = response.ResponseStream;
            var n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return CheckOutcome.Pass($"GET s3://{src.Bucket}/{key} (bytes=0-0) allowed; read {n} byte.");
        }
        catch (AmazonS3Exception e)
        {
            return S3Diagnosis.Explain(e, "s3:GetObject", src, S3Diagnosis.ObjectArn(src), context.Federation.RoleArn, context.S3Endpoint);
        }
        catch (AmazonClientException e)
        {
            return S3Diagnosis.Unreachable(e, context.S3Endpoint);
        }
    }
}

/// <summary>Maps S3 refusals to the missing permission on the exact ARN.</summary>
public static class S3Diagnosis
{
    public static string BucketArn(S3Location src) => $"arn:aws:s3:::{src.Bucket}";
    public static string ObjectArn(S3Location src) => $"arn:aws:s3:::{src.Bucket}/{src.Prefix}*";

    public static CheckOutcome Explain(AmazonS3Exception e, string action, S3Location src, string arn, string roleArn, S3Endpoint endpoint)
    {
        var code = e.ErrorCode ?? e.StatusCode.ToString();
        var setup = $"'skybridge setup aws --bucket {src.Bucket}{(src.Prefix.Length > 0 ? " --prefix " + src.Prefix.TrimEnd('/') : "")}' generates a least-privilege policy.";
        if (e.StatusCode == HttpStatusCode.Forbidden || code is "AccessDenied" or "AllAccessDisabled")
        {
            if ((e.Message ?? "").Contains("KMS", StringComparison.OrdinalIgnoreCase))
                return CheckOutcome.Fail($"{code} on {src}: the object is encrypted with a KMS key the role may not use ({DoctorRunner.FirstLine(e.Message)}).",
                    $"Allow kms:Decrypt on the bucket's key for {roleArn} (via S3 only); {setup.Replace("policy.", "policy (--kms-key-arn).")}");
            var condition = action == "s3:ListBucket" && src.Prefix.Length > 0 ? $" (a s3:prefix condition, if any, must allow '{src.Prefix}*')" : "";
            return CheckOutcome.Fail($"{code}: the role {roleArn} may not {action} on {arn}.",
                $"Allow {action} on {arn}{condition} in the role's permission policy (and check the bucket policy does not deny it); {setup}");
        }
        if (code is "NoSuchBucket")
            return CheckOutcome.Fail($"the bucket '{src.Bucket}' does not exist at {Where(endpoint)}.", "Check the bucket name in SRC, --region and --s3-endpoint.");
        if (code is "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException" || e.StatusCode == HttpStatusCode.MovedPermanently)
            return CheckOutcome.Fail($"{code}: the bucket '{src.Bucket}' is not in {endpoint.Region}.", "Pass the bucket's region with --region.");
        if (code is "NoSuchKey")
            return CheckOutcome.Fail($"the object vanished between list and read ({code}).", "Run the doctor again; the source is changing.");
        return CheckOutcome.Fail($"S3 refused {action} on {arn}: {code} {DoctorRunner.FirstLine(e.Message)}", $"Check the role's policy for {action} on {arn}.");
    }

    public static CheckOutcome Unreachable(Exception e, S3Endpoint endpoint)
        => CheckOutcome.Fail($"S3 at {Where(endpoint)} could not be reached: {DoctorRunner.FirstLine(e.Message)}",
            "Check --s3-endpoint / --region and the network path to S3 (proxy, firewall, VPC endpoint).");

    private static string Where(S3Endpoint endpoint) => endpoint.ServiceUrl?.ToString() ?? $"AWS region {endpoint.Region}";
}
