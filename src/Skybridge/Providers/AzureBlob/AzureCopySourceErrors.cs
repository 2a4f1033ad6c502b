using System.Text.RegularExpressions;
using Azure;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Providers.AzureBlob;

/// <summary>
/// Reads Azure's answer to a failed Put Blob From URL / Put Block From URL: error code
/// CannotVerifyCopySource, the source's own status in x-ms-copy-source-status-code and its error
/// code in x-ms-copy-source-error-code (service versions from 2025-11-05 repeat both, with the
/// source's message, as CopySourceStatusCode / CopySourceErrorCode / CopySourceErrorMessage in the
/// error body), and the from-URL refusals of the destination itself.
/// </summary>
public static partial class AzureCopySourceErrors
{
    /// <summary>The failure as the engine's error type: a <see cref="CopyFromUrlException"/> for what is about the from-URL copy, else the general mapping.</summary>
    public static Exception Map(RequestFailedException e)
    {
        var code = e.ErrorCode ?? Header(e, "x-ms-error-code");
        var source = From(e);
        var refused = RefusedFromUrl(e);
        // Azure's own evaluation of x-ms-source-if-match (instead of passing it on to the source).
        var conditionNotMet = e.Status == 412 && code == "SourceConditionNotMet";
        if (source is not null || refused is not null || conditionNotMet || e.Status >= 500)
            return new CopyFromUrlException(e.Status, code, $"Azure {e.Status} {code}: {Transfer.TransferErrors.FirstLine(e.Message)}", e)
            {
                SourceFailure = source,
                RefusedFromUrl = refused,
                SourceConditionNotMet = conditionNotMet,
            };
        return (Exception?)AzureErrors.Map(e) ?? e;
    }

    /// <summary>Reads a from-URL failure; null when the exception is not about the copy source.</summary>
    public static CopySourceFailure? From(RequestFailedException e)
    {
        string? body = null;
        try { body = e.GetRawResponse()?.Content?.ToString(); } catch (Exception) { /* a streamed body: headers only */ }

        var statusText = Header(e, "x-ms-copy-source-status-code") ?? Element(body, "CopySourceStatusCode");
        int? sourceStatus = int.TryParse(statusText, out var s) ? s : null;
        var sourceCode = Header(e, "x-ms-copy-source-error-code") ?? Element(body, "CopySourceErrorCode");
        var code = e.ErrorCode ?? Header(e, "x-ms-error-code") ?? Element(body, "Code");
        if (code != CopySourceFailure.CannotVerifyCopySource && sourceStatus is null) return null;
        return new CopySourceFailure(e.Status, code, sourceStatus, string.IsNullOrWhiteSpace(sourceCode) ? null : sourceCode);
    }

    /// <summary>
    /// The destination refused the from-URL request itself: 501 (not implemented, e.g. an emulator)
    /// or 400 OutOfRangeInput / InvalidHeaderValue (x-ms-copy-source too long or not acceptable).
    /// Streaming the object can still work; null when the failure is something else.
    /// </summary>
    public static string? RefusedFromUrl(RequestFailedException e)
    {
        var code = e.ErrorCode ?? Header(e, "x-ms-error-code");
        return (e.Status, code) switch
        {
            (501, _) => $"destination does not support copy from URL (501 {code})",
            (400, "OutOfRangeInput" or "InvalidHeaderValue" or "InvalidSourceUri") => $"destination refused the copy source (400 {code})",
            _ => null,
        };
    }

    /// <summary>Runs a from-URL call; its failure comes out mapped.</summary>
    public static async Task Call(Func<Task> call)
    {
        try { await call().ConfigureAwait(false); }
        catch (RequestFailedException e) { throw Map(e); }
        catch (Exception e) when (AzureErrors.Map(e) is { } mapped) { throw mapped; }
    }

    private static string? Header(RequestFailedException e, string name)
        => e.GetRawResponse() is { } raw && raw.Headers.TryGetValue(name, out var v) ? v : null;

    private static string? Element(string? xml, string name)
    {
        if (string.IsNullOrEmpty(xml)) return null;
        var m = Regex.Match(xml, $"<{name}>([^<]*)</{name}>");
        return m.Success ? m.Groups[1].Value.Trim() : null;
    }
}
