using System.CommandLine;
using System.Text.Json;
using Azure.Core;
using Microsoft.Extensions.Logging;
using Skybridge.Identity;

namespace Skybridge.Cli.Commands;

/// <summary>skybridge auth token | aws-credentials | clear-cache | serve | token-file</summary>
internal static class AuthCommands
{
    public static Command Create()
    {
        var auth = new Command("auth", "Keyless identity: Entra ID token -> AWS STS credentials, for Skybridge and any AWS tool.");
        auth.Subcommands.Add(Token());
        auth.Subcommands.Add(AwsCredentials());
        auth.Subcommands.Add(ClearCache());
        auth.Subcommands.Add(CredentialServerCommand.Create());
        auth.Subcommands.Add(TokenFile());
        return auth;
    }

    private static Command Token()
    {
        var raw = new Option<bool>("--raw") { Description = "Print only the raw token to stdout (it is a secret: pipe it, do not log it)." };
        var command = new Command("token", "Get an Entra ID token for the audience and show its decoded claims.") { raw };
        command.SetAction(async (ctx, parse, ct) =>
        {
            var scope = ctx.TokenScope();
            var token = await ctx.AzureCredential().GetTokenAsync(new TokenRequestContext([scope], tenantId: ctx.AzureOptions().TenantId), ct)
                .ConfigureAwait(false);
            if (parse.GetValue(raw))
            {
                ctx.Out.WriteLine(token.Token);
                return ExitCodes.Ok;
            }
            var claims = TokenClaims.Decode(token.Token);
            if (ctx.Json)
            {
                ctx.Out.WriteLine(JsonSerializer.Serialize(claims, CliJson.Default.TokenClaims));
            }
            else
            {
                ctx.Out.WriteLine($"scope requested     {scope}");
                foreach (var (name, value) in new (string, object?)[]
                {
                    ("iss", claims.Issuer), ("aud", claims.Audience), ("sub", claims.Subject), ("oid", claims.ObjectId),
                    ("appid", claims.AppId), ("tid", claims.TenantId), ("ver", claims.Version),
                    ("iat", claims.IssuedAt?.ToString("u")), ("nbf", claims.NotBefore?.ToString("u")), ("exp", claims.ExpiresOn?.ToString("u")),
                })
                    ctx.Out.WriteLine($"{name,-19} {value}");
                ctx.Out.WriteLine("(raw token not shown; use --raw)");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command AwsCredentials()
    {
        var format = new Option<string>("--format") { Description = "json (AWS credential_process, Version 1) or env (export lines).", DefaultValueFactory = _ => "json" };
        var noCache = new Option<bool>("--no-cache") { Description = "Always call STS; do not read or write the on-disk cache." };
        var refresh = new Option<bool>("--refresh")
        {
            Description = "Ignore the cached session and replace it with a new one (when AWS no longer accepts it, e.g. the role was recreated).",
        };
        var command = new Command("aws-credentials",
            "Print temporary AWS credentials as credential_process JSON (for ~/.aws/config) or export lines; cached on disk (0600) until near expiry.")
        { format, noCache, refresh };
        command.SetAction(async (ctx, parse, ct) =>
        {
            var kind = parse.GetValue(format);
            if (kind is not ("json" or "env"))
                throw SkybridgeException.Usage($"--format '{kind}' is not valid.", "Use --format json (credential_process) or --format env.");
            var options = ctx.FederationOptions();
            var cache = new CredentialProcessCache(CredentialProcessCache.DefaultDirectory());
            var key = CredentialProcessCache.KeyFor(options);
            var output = parse.GetValue(noCache) || parse.GetValue(refresh) ? null : cache.TryRead(key);
            var log = ctx.Logger<CredentialProcessCache>();
            if (output is null)
            {
                var session = await ctx.AwsCredentials().ExchangeAsync(ct).ConfigureAwait(false);
                output = CredentialProcessOutput.From(session);
                if (!parse.GetValue(noCache)) cache.Write(key, output);
                log.LogDebug("New STS session, valid until {Expiration:u}", output.Expiration);
            }
            else
            {
                log.LogDebug("Credential cache hit, valid until {Expiration:u}: no STS call", output.Expiration);
            }
            Diagnostics.SecretRedactor.Register(output.SecretAccessKey);
            Diagnostics.SecretRedactor.Register(output.SessionToken);
            if (kind == "env")
            {
                ctx.Out.WriteLine($"export AWS_ACCESS_KEY_ID={output.AccessKeyId}");
                ctx.Out.WriteLine($"export AWS_SECRET_ACCESS_KEY={output.SecretAccessKey}");
                ctx.Out.WriteLine($"export AWS_SESSION_TOKEN={output.SessionToken}");
                ctx.Out.WriteLine($"export AWS_CREDENTIAL_EXPIRATION={output.Expiration.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
            }
            else
            {
                ctx.Out.WriteLine(output.ToJson());
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ClearCache()
    {
        var command = new Command("clear-cache",
            "Delete the sessions 'auth aws-credentials' cached on disk, so the next AWS tool call gets a new one (e.g. after the role was recreated or its sessions revoked).");
        command.SetAction((ctx, parse, ct) =>
        {
            var cache = new CredentialProcessCache(CredentialProcessCache.DefaultDirectory());
            var removed = cache.Clear();
            ctx.Error.WriteLine($"removed {removed} cached session(s) from {cache.DirectoryPath}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static Command TokenFile()
    {
        var path = new Option<string>("--path") { Description = "File to keep filled with a fresh Entra token (written 0600, replaced atomically).", Required = true };
        var watch = new Option<bool>("--watch") { Description = "Keep running and replace the token before it expires (default: write once and exit)." };
        var command = new Command("token-file",
            "Write the Entra token to a file for tools that read AWS_WEB_IDENTITY_TOKEN_FILE (AWS SDKs, CLI, boto3).") { path, watch };
        command.SetAction(async (ctx, parse, ct) =>
        {
            var file = Path.GetFullPath(parse.GetValue(path)!);
            if (!Directory.Exists(Path.GetDirectoryName(file)))
                throw SkybridgeException.Usage($"The directory of --path '{file}' does not exist.", "Create the directory first or choose another path.");
            var writer = new TokenFileWriter(ctx.AzureCredential(), ctx.TokenScope(), ctx.AzureOptions().TenantId, file, TimeProvider.System, ctx.Logger<TokenFileWriter>());
            var expires = await writer.WriteOnceAsync(ct).ConfigureAwait(false);
            ctx.Error.WriteLine($"wrote token to {file} (expires {expires:u}); use AWS_WEB_IDENTITY_TOKEN_FILE={file} with AWS_ROLE_ARN");
            if (!parse.GetValue(watch)) return ExitCodes.Ok;
            await writer.RunAsync(expires, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Only the audience matters for a bare token; no role is needed.</summary>
    private static string TokenScope(this CliContext ctx)
        => Identity.FederationOptions.ScopeFor(ctx.Settings.Require("audience", "it names the app registration to get a token for (e.g. api://aws_azure_federate)"));
}
