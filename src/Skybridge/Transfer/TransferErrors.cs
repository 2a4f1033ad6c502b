using Skybridge.Diagnostics;

namespace Skybridge.Transfer;

/// <summary>
/// How the engine treats a failure, by its <see cref="ErrorKind"/> alone (the providers raise
/// <see cref="SkybridgeException"/>s; no SDK type is known here): authentication / authorisation
/// ends the run, every other failure fails its object with a one-line, secret-free reason.
/// </summary>
public static class TransferErrors
{
    /// <summary>Authentication/authorisation failures end the run instead of failing object after object.</summary>
    public static bool IsFatal(Exception e) => e switch
    {
        AggregateException a => a.InnerExceptions.Any(IsFatal),
        SkybridgeException { Kind: ErrorKind.Auth } => true,
        SkybridgeException => false,
        _ => e.InnerException is { } inner && IsFatal(inner),
    };

    /// <summary>A one-line, secret-free reason for a per-object failure.</summary>
    public static string Describe(Exception e)
        => SecretRedactor.Redact(e is SkybridgeException ? e.Message : $"{e.GetType().Name}: {FirstLine(e.Message)}");

    /// <summary>The fix of a failure that outlasted the SDK's retries.</summary>
    public const string Rerun = "The service is throttling or unavailable: run the same command again later (objects already copied are skipped); lower --concurrency if it keeps throttling.";

    internal static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
