namespace Skybridge;

/// <summary>
/// A failure the user can act on: what went wrong, why, and how to fix it, with the exit code
/// the CLI returns for it. Messages never carry secrets (tokens, keys, signatures).
/// </summary>
public class SkybridgeException : Exception
{
    public SkybridgeException(int exitCode, string message, string? fix = null, Exception? inner = null)
        : base(message, inner)
    {
        ExitCode = exitCode;
        Fix = fix;
    }

    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; }

    /// <summary>What the user should do about it, when we know.</summary>
    public string? Fix { get; }

    public static SkybridgeException Usage(string message, string? fix = null) => new(ExitCodes.Usage, message, fix);
    public static SkybridgeException Auth(string message, string? fix = null, Exception? inner = null) => new(ExitCodes.Auth, message, fix, inner);
}
