namespace Skybridge;

/// <summary>The documented process exit codes, shared by every command.</summary>
public static class ExitCodes
{
    /// <summary>Everything asked for was done (or, for verify/doctor, everything checked out).</summary>
    public const int Ok = 0;
    /// <summary>The run went through but some objects failed (or verify/doctor found differences).</summary>
    public const int SomeFailed = 1;
    /// <summary>Bad command line, configuration or input: nothing was changed.</summary>
    public const int Usage = 2;
    /// <summary>Authentication or authorisation failed (Entra ID, STS, S3 or Azure Storage refused us).</summary>
    public const int Auth = 3;
    /// <summary>Interrupted (Ctrl-C / SIGINT / SIGTERM); state was left consistent.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code of a failure of this kind, for the programs (CLI, broker) that end on one.</summary>
    public static int For(ErrorKind kind) => kind switch
    {
        ErrorKind.Usage => Usage,
        ErrorKind.Auth => Auth,
        _ => SomeFailed,
    };
}
