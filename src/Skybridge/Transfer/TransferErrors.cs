using System.Net;
using Amazon.Runtime;
using Azure;
using Azure.Identity;
using Skybridge.Diagnostics;

namespace Skybridge.Transfer;

/// <summary>
/// How the engine treats a failure: fatal ones (authentication / authorisation) end the run,
/// every other one fails its object with a one-line, secret-free reason. (Still SDK-aware: the
/// next step is for the providers to raise one domain error type, so the core stops naming SDKs.)
/// </summary>
public static class TransferErrors
{
    /// <summary>Authentication/authorisation failures end the run (exit 3) instead of failing object after object.</summary>
    public static bool IsFatal(Exception e) => e switch
    {
        AggregateException a => a.InnerExceptions.Any(IsFatal),
        AmazonServiceException { StatusCode: HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized } => true,
        RequestFailedException { Status: 401 or 403 } => true,
        AuthenticationFailedException or CredentialUnavailableException => true,
        SkybridgeException { ExitCode: ExitCodes.Auth } => true,
        _ => e.InnerException is { } inner && IsFatal(inner),
    };

    /// <summary>A one-line, secret-free reason for a per-object failure.</summary>
    public static string Describe(Exception e)
    {
        var text = e switch
        {
            SourceChangedException or IntegrityException or ServiceSide.CopySourceException => e.Message,
            AmazonServiceException a => $"S3 {(int)a.StatusCode} {a.ErrorCode}: {FirstLine(a.Message)}",
            RequestFailedException r => $"Azure {r.Status} {r.ErrorCode}: {FirstLine(r.Message)}",
            _ => $"{e.GetType().Name}: {FirstLine(e.Message)}",
        };
        return SecretRedactor.Redact(text);
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
