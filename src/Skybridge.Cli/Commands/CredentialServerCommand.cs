using System.CommandLine;
using System.Net;
using Skybridge.Identity;

namespace Skybridge.Cli.Commands;

/// <summary>skybridge auth serve: the container-credentials endpoint for sidecars and unmodified AWS tools.</summary>
internal static class CredentialServerCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port (0 picks a free one).", DefaultValueFactory = _ => 0 };
        var bind = new Option<string>("--bind") { Description = "Address to listen on (loopback only unless --allow-non-loopback).", DefaultValueFactory = _ => "127.0.0.1" };
        var allowNonLoopback = new Option<bool>("--allow-non-loopback") { Description = "Allow binding a non-loopback address (only inside an isolated pod network)." };
        var tokenFile = new Option<string?>("--auth-token-file") { Description = "File holding the authorization token clients must send (default: AWS_CONTAINER_AUTHORIZATION_TOKEN, else a generated one)." };
        var command = new Command("serve", "Serve the AWS container-credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN) on loopback.")
        { port, bind, allowNonLoopback, tokenFile };
        command.SetAction(async (ctx, parse, ct) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(bind), out var address))
                throw SkybridgeException.Usage($"--bind '{parse.GetValue(bind)}' is not an IP address.", "Use 127.0.0.1 or ::1.");
            var path = parse.GetValue(tokenFile);
            if (path is not null && !File.Exists(path))
                throw SkybridgeException.Usage($"--auth-token-file '{path}' does not exist.", "Create it with a random value of at least 16 characters.");
            var token = path is not null ? File.ReadAllText(path).Trim()
                : Environment.GetEnvironmentVariable("AWS_CONTAINER_AUTHORIZATION_TOKEN") is { Length: > 0 } fromEnv ? fromEnv
                : ContainerCredentialsServer.NewAuthorizationToken();
            using var server = new ContainerCredentialsServer(ctx.AwsCredentials(), token, address, parse.GetValue(port),
                parse.GetValue(allowNonLoopback), ctx.Logger<ContainerCredentialsServer>());
            // Fail before announcing the endpoint if the chain is broken, instead of on the first client request.
            await ctx.AwsCredentials().GetCredentialsAsync().WaitAsync(ct).ConfigureAwait(false);
            ctx.Out.WriteLine($"export AWS_CONTAINER_CREDENTIALS_FULL_URI={server.Uri}");
            if (path is null) ctx.Out.WriteLine($"export AWS_CONTAINER_AUTHORIZATION_TOKEN={token}");
            ctx.Out.Flush();
            ctx.Error.WriteLine($"serving AWS credentials on {server.Uri} until interrupted");
            await server.RunAsync(ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
