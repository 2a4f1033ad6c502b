using System.Text.RegularExpressions;
using Azure;

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
/// A source failure as Azure reports it on Put Blob From URL / Put Block From URL: error code
/// CannotVerifyCopySource, the source's own status in x-ms-copy-source-status-code and its error
/// code in x-ms-copy-source-error-code (service versions from 2025-11-05 repeat both, with the
/// source's message, as CopySourceStatusCode / CopySourceErrorCode / CopySourceErrorMessage in
/// the error body). The destination status itself (403, 404, 409) is not the source's.
/// </summary>
public sealed partial record CopySourceFailure(int DestinationStatus, string? ErrorCode, int? SourceStatus, string? SourceErrorCode)
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

    /// <summary>Reads a from-URL failure; null when the exception is not about the copy source.</summary>
    public static CopySourceFailure? From(RequestFailedException e)
    {
        var raw = e.GetRawResponse();
        string? Header(string name) => raw is not null && raw.Headers.TryGetValue(name, out var v) ? v : null;
        string? body = null;
        try { body = raw?.Content?.ToString(); } catch (Exception) { /* a streamed body: headers only */ }

        var statusText = Header("x-ms-copy-source-status-code") ?? Element(body, "CopySourceStatusCode");
        int? sourceStatus = int.TryParse(statusText, out var s) ? s : null;
        var sourceCode = Header("x-ms-copy-source-error-code") ?? Element(body, "CopySourceErrorCode");
        var code = e.ErrorCode ?? Header("x-ms-error-code") ?? Element(body, "Code");
        if (code != CannotVerifyCopySource && sourceStatus is null) return null;
        return new CopySourceFailure(e.Status, code, sourceStatus, string.IsNullOrWhiteSpace(sourceCode) ? null : sourceCode);
    }

    /// <summary>
    /// The destination refused the from-URL request itself: 501 (not implemented, e.g. an emulator)
    /// or 400 OutOfRangeInput / InvalidHeaderValue (x-ms-copy-source too long or not acceptable).
    /// Streaming the object can still work; null when the failure is something else.
    /// </summary>
    public static string? RefusedFromUrl(RequestFailedException e)
    {
        var raw = e.GetRawResponse();
        var code = e.ErrorCode ?? (raw is not null && raw.Headers.TryGetValue("x-ms-error-code", out var h) ? h : null);
        return (e.Status, code) switch
        {
            (501, _) => $"destination does not support copy from URL (501 {code})",
            (400, "OutOfRangeInput" or "InvalidHeaderValue" or "InvalidSourceUri") => $"destination refused the copy source (400 {code})",
            _ => null,
        };
    }

    private static string? Element(string? xml, string name)
    {
        if (string.IsNullOrEmpty(xml)) return null;
        var m = Regex.Match(xml, $"<{name}>([^<]*)</{name}>");
        return m.Success ? m.Groups[1].Value.Trim() : null;
    }
}

/// <summary>
/// A service-side copy failed because of its source, as Azure reported it. Not fatal for the run;
/// <see cref="StreamInstead"/> says whether (and why) streaming the object could still work, and
/// <see cref="DestinationCannotFetch"/> whether that holds for every object of the run.
/// </summary>
public sealed class CopySourceException(string message, string? streamInstead = null, bool destinationCannotFetch = false, Exception? inner = null,
    bool destinationFailed = false) : Exception(message, inner)
{
    public string? StreamInstead { get; } = streamInstead;
    public bool DestinationCannotFetch { get; } = destinationCannotFetch;
    /// <summary>The destination itself failed the call (5xx after its retries): maybe transient, maybe it cannot do this.</summary>
    public bool DestinationFailed { get; } = destinationFailed;
}
