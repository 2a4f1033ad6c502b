using System.CommandLine;

namespace Skybridge.Cli.Commands;

/// <summary>skybridge auth token | aws-credentials | serve | token-file</summary>
internal static class AuthCommands
{
    public static Command Create()
    {
        var auth = new Command("auth", "Keyless identity: Entra ID token -> AWS STS credentials, for Skybridge and any AWS tool.");
        return auth;
    }
}
