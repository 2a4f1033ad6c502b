using Amazon.S3;
using Amazon.S3.Model;
using Skybridge.Diagnostics;

namespace Skybridge.Setup.Doctor.Checks;

/// <summary>
/// 8. Could Azure copy straight from S3 (Put Block From URL)? That needs a presigned GET URL that fits
/// in x-ms-copy-source (2 KiB). Presigns a URL for one source object with the session credentials and
/// reports its length only: the URL carries a signature and the session token and is never printed.
/// Too long is a warning, not a failure: copies then stream through this host.
/// </summary>
internal sealed class PresignLengthCheck() : DoctorCheck(Name, "Service-side copy feasibility (presigned URL length)", StsExchangeCheck.Name)
{
    public new const string Name = "presign";

    /// <summary>Azure's limit on the x-ms-copy-source header (Put Block From URL, Copy Blob From URL).</summary>
    public const int CopySourceLimit = 2048;

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        if (context.Source is not { } src) return CheckOutcome.Skip("no source given (SRC s3://bucket/prefix).");
        var key = context.FirstObjectKey ?? src.Prefix + "example-object";
        var which = context.FirstObjectKey is null ? $"placeholder key '{key}' (no object listed)" : $"'{key}'";
        var url = await context.S3Client().GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = src.Bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Expires = context.Clock.GetUtcNow().UtcDateTime.AddHours(1),
            Protocol = context.S3Endpoint.ServiceUrl?.Scheme == "http" ? Protocol.HTTP : Protocol.HTTPS,
        }).ConfigureAwait(false);
        SecretRedactor.Register(url); // never printed; masked should anything echo it
        var tokenLength = context.Session?.Credentials.Token?.Length ?? 0;
        var tokenPart = tokenLength > 0 ? $", {Uri.EscapeDataString(context.Session!.Credentials.Token).Length} of them the escaped session token ({tokenLength} chars raw)" : "";
        var measured = $"presigned GET for {which} is {url.Length} chars{tokenPart}; Azure's x-ms-copy-source limit is {CopySourceLimit}";
        return url.Length <= CopySourceLimit
            ? CheckOutcome.Pass($"{measured}: service-side copy (Put Block From URL) fits, if Azure can reach the S3 endpoint.")
            : CheckOutcome.Warn($"{measured}: too long for service-side copy; copies stream through this host instead.",
                "Nothing to fix for client-side copies. The session token dominates the length; service-side copies need a shorter URL (shorter keys help only a little).");
    }

}
