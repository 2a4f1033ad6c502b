namespace Skybridge;

/// <summary>What kind of failure a <see cref="SkybridgeException"/> is: what the engine does with it, and (in the CLI alone) which exit code it gets.</summary>
public enum ErrorKind
{
    /// <summary>Bad command line, configuration or input: nothing was changed.</summary>
    Usage,
    /// <summary>Authentication or authorisation refused (Entra ID, STS, S3 or Azure Storage): ends a run.</summary>
    Auth,
    /// <summary>The object, blob, bucket or container is not there.</summary>
    NotFound,
    /// <summary>The source object changed (its ETag no longer matches) between listing and reading.</summary>
    SourceChanged,
    /// <summary>Throttled, unavailable or a network failure that outlasted the SDK's retries: a re-run may succeed.</summary>
    Transient,
    /// <summary>Bytes did not match what proves them: nothing was committed.</summary>
    Integrity,
    /// <summary>A service refused or failed the request for another reason.</summary>
    Failed,
}

/// <summary>
/// The one failure type the providers raise and the engine handles: what went wrong, why, and how
/// to fix it, with its <see cref="ErrorKind"/>. SDK exceptions stay at the edges (the providers map
/// them; the original is the inner exception). Messages never carry secrets (tokens, keys, signatures).
/// </summary>
public class SkybridgeException : Exception
{
    /// <summary>A failure of <paramref name="kind"/>.</summary>
    /// <param name="kind">What kind of failure it is; decides what the engine does and the CLI's exit code.</param>
    /// <param name="message">What went wrong and why, with names escaped and no secrets.</param>
    /// <param name="fix">What the user should do about it; null when there is nothing to advise.</param>
    /// <param name="inner">The SDK or system exception this one explains, if any.</param>
    public SkybridgeException(ErrorKind kind, string message, string? fix = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Fix = fix;
    }

    /// <summary>What kind of failure this is.</summary>
    public ErrorKind Kind { get; }

    /// <summary>What the user should do about it, when we know.</summary>
    public string? Fix { get; }

    /// <summary>A <see cref="ErrorKind.Usage"/> failure: bad input, nothing changed (exit 2 in the CLI).</summary>
    public static SkybridgeException Usage(string message, string? fix = null) => new(ErrorKind.Usage, message, fix);
    /// <summary>An <see cref="ErrorKind.Auth"/> failure: a refused identity or permission (exit 3 in the CLI).</summary>
    public static SkybridgeException Auth(string message, string? fix = null, Exception? inner = null) => new(ErrorKind.Auth, message, fix, inner);
}
