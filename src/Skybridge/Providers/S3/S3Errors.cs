using Amazon.Runtime;

namespace Skybridge.Providers.S3;

/// <summary>
/// S3's answers as the engine's one error type: the kind from the HTTP status, and the wording of
/// a per-object reason ("S3 503 SlowDown: Please reduce your request rate."). The SDK has already
/// retried throttling and 5xx with back-off when an exception gets here.
/// </summary>
internal static class S3Errors
{
    public static SkybridgeException Map(AmazonServiceException e)
    {
        var status = (int)e.StatusCode;
        var kind = status switch
        {
            401 or 403 => ErrorKind.Auth,
            404 => ErrorKind.NotFound,
            412 => ErrorKind.SourceChanged,
            0 or 408 or 429 or >= 500 => ErrorKind.Transient,
            _ => ErrorKind.Failed,
        };
        var fix = kind switch
        {
            ErrorKind.Auth => "Check the role's permissions for this bucket/prefix; 'skybridge doctor' tests every link.",
            ErrorKind.Transient => Transfer.TransferErrors.Rerun,
            _ => "Check the source and the S3 endpoint; 'skybridge doctor' tests every link.",
        };
        return new SkybridgeException(kind, $"S3 {status} {e.ErrorCode}: {Transfer.TransferErrors.FirstLine(e.Message)}", fix, e);
    }
}
