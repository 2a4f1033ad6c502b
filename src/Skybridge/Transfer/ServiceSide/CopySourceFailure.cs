namespace Skybridge.Transfer.ServiceSide;

/// <summary>What kind of source failure Azure reported for a from-URL operation.</summary>
public enum SourceFailureKind
{
    /// <summary>The source refused the presigned URL (401/403: expired, tampered, revoked session, no s3:GetObject).</summary>
    AccessDenied,
    /// <summary>404: the object was deleted after listing.</summary>
    Missing,
    /// <summary>412: the object no longer has the listed ETag (x-ms-source-if-match failed).</summary>
    Changed,
    /// <summary>Azure got no answer from the source at all (it cannot reach the S3 endpoint).</summary>
    Unreachable,
    /// <summary>Any other source status (5xx, 400, ...).</summary>
    Other,
}

/// <summary>
/// A source failure as the destination reports it on a from-URL call: the source's own status and
/// error code (Azure: CannotVerifyCopySource with x-ms-copy-source-status-code / -error-code, read by
/// <see cref="Providers.AzureBlob.AzureCopySourceErrors"/>). The destination status itself (403, 404, 409) is not the source's.
/// </summary>
public sealed record CopySourceFailure(int DestinationStatus, string? ErrorCode, int? SourceStatus, string? SourceErrorCode)
{
    public const string CannotVerifyCopySource = "CannotVerifyCopySource";

    public SourceFailureKind Kind => SourceStatus switch
    {
        401 or 403 => SourceFailureKind.AccessDenied,
        404 => SourceFailureKind.Missing,
        412 => SourceFailureKind.Changed,
        null => SourceFailureKind.Unreachable,
        _ => SourceFailureKind.Other,
    };

    /// <summary>"S3 403 AccessDenied" (or "no answer from the source").</summary>
    public string Source => SourceStatus is { } s ? $"S3 {s}{(SourceErrorCode is { Length: > 0 } c ? " " + c : "")}" : "no answer from the source";
}

/// <summary>
/// A service-side copy failed because of its source, as Azure reported it. Not fatal for the run;
/// <see cref="StreamInstead"/> says whether (and why) streaming the object could still work, and
/// <see cref="DestinationCannotFetch"/> whether that holds for every object of the run.
/// </summary>
public sealed class CopySourceException(string message, string? streamInstead = null, bool destinationCannotFetch = false, Exception? inner = null,
    bool destinationFailed = false) : SkybridgeException(destinationFailed ? ErrorKind.Transient : ErrorKind.Failed, message, inner: inner)
{
    public string? StreamInstead { get; } = streamInstead;
    public bool DestinationCannotFetch { get; } = destinationCannotFetch;
    /// <summary>The destination itself failed the call (5xx after its retries): maybe transient, maybe it cannot do this.</summary>
    public bool DestinationFailed { get; } = destinationFailed;
}

/// <summary>
/// A from-URL call failed, as the destination's adapter describes it without SDK types: a failure of
/// the copy source (<see cref="SourceFailure"/>), the destination refusing from-URL copies themselves
/// (<see cref="RefusedFromUrl"/>), its own check of the source ETag (<see cref="SourceConditionNotMet"/>),
/// or its own 5xx. <see cref="ServiceSideCopier"/> turns it into what the run does next.
/// </summary>
public sealed class CopyFromUrlException(int status, string? errorCode, string message, Exception? inner = null)
    : SkybridgeException(ErrorKind.Failed, message, inner: inner)
{
    public int Status { get; } = status;
    public string? ErrorCode { get; } = errorCode;
    public CopySourceFailure? SourceFailure { get; init; }
    /// <summary>Why the destination refused the from-URL request itself (streaming can still work), or null.</summary>
    public string? RefusedFromUrl { get; init; }
    /// <summary>The destination evaluated x-ms-source-if-match itself and the source no longer matches.</summary>
    public bool SourceConditionNotMet { get; init; }
}
