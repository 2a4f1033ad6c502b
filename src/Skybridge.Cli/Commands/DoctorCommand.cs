using System.CommandLine;
using Microsoft.Extensions.Logging;
using Skybridge.Providers.AzureBlob;
using Skybridge.Diagnostics;
using Skybridge.Identity;
using Skybridge.Providers.S3;
using Skybridge.Setup.Doctor;

namespace Skybridge.Cli.Commands;

/// <summary>skybridge doctor [SRC] [DST]: every link of the keyless chain, one checklist line each.</summary>
internal static class DoctorCommand
{
    public const string Description =
        "Check every link of the keyless chain and say what to fix: Azure credential, Entra ID token for the audience (claims, clock skew), " +
        "issuer/audience as AWS expects them, STS AssumeRoleWithWebIdentity, S3 list and read on SRC, Azure Storage token, destination container " +
        "reachable and writable (a probe blob is written and deleted), and whether a presigned S3 URL fits Azure's 2 KiB copy-source limit. " +
        "A check is skipped when a link it depends on failed. Nothing secret is printed (no token, key, session token or presigned URL). " +
        "Exit codes: 0 every check that ran passed (warnings allowed); 1 at least one check failed, including authentication and authorisation " +
        "failures (the checklist says which link and how to fix it; doctor does not use 3); 2 bad command line or configuration " +
        "(e.g. no --audience/--role-arn, malformed SRC/DST); 130 interrupted.";

    public static Command Create()
    {
        var locations = new Argument<string[]>("SRC DST")
        {
            Description = "Optional s3://bucket[/prefix] and/or https://account.blob.core.windows.net/container[/prefix], in any order " +
                          "(default: the 'source' / 'destination' settings, SKYBRIDGE_SOURCE / SKYBRIDGE_DESTINATION).",
            Arity = new ArgumentArity(0, 2),
        };
        var noWriteProbe = new Option<bool>("--no-write-probe") { Description = "Do not write and delete a probe blob in the destination." };
        // The destination auth options of copy (same names, so SKYBRIDGE_DEST_SAS etc. work as well).
        var destSas = new Option<string?>("--dest-sas") { Description = "SAS token for the destination instead of the Azure identity (prefer SKYBRIDGE_DEST_SAS)." };
        var destConnectionString = new Option<string?>("--dest-connection-string") { Description = "Storage connection string for the destination (prefer SKYBRIDGE_DEST_CONNECTION_STRING)." };
        var command = new Command("doctor", Description) { locations, noWriteProbe, destSas, destConnectionString };
        command.SetAction(async (ctx, parse, ct) =>
        {
            var (source, destination) = Locations(parse.GetValue(locations) ?? [], ctx.Settings.Get("source"), ctx.Settings.Get("destination"));
            var options = ctx.FederationOptions();
            var sas = ctx.Settings.Get("dest-sas");
            var connectionString = ctx.Settings.Get("dest-connection-string");
            SecretRedactor.Register(sas);
            SecretRedactor.Register(destination?.Sas);
            foreach (var part in (connectionString ?? "").Split(';'))
                if (part.StartsWith("AccountKey=", StringComparison.OrdinalIgnoreCase) || part.StartsWith("SharedAccessSignature=", StringComparison.OrdinalIgnoreCase))
                    SecretRedactor.Register(part[(part.IndexOf('=') + 1)..]);
            var doctor = new DoctorContext
            {
                Federation = options,
                AzureCredential = ctx.AzureCredential(),
                Exchange = StsWebIdentityExchange.Create(options.Region, options.StsEndpoint),
                S3Endpoint = ctx.S3Endpoint(),
                Source = source,
                Destination = destination,
                DestinationSas = sas,
                DestinationConnectionString = connectionString,
                ExpectedIssuer = ctx.Settings.Get("expected-issuer"),
                WriteProbe = !parse.GetValue(noWriteProbe) && !ctx.Settings.GetBool("no-write-probe"),
                Logger = ctx.Logger<DoctorContext>(),
                CredentialCache = new CredentialProcessCache(CredentialProcessCache.DefaultDirectory()),
            };
            var number = 0;
            var report = await DoctorRunner.RunAsync(DoctorChecks.All(), doctor, ct,
                onResult: ctx.Json ? null : r => ctx.Out.WriteLine(DoctorRenderer.Line(r, ++number))).ConfigureAwait(false);
            ctx.Out.WriteLine(ctx.Json ? DoctorRenderer.Json(report) : DoctorRenderer.Summary(report));
            ctx.Logger<DoctorContext>().LogDebug("doctor finished: exit {Code}", report.ExitCode);
            return report.ExitCode;
        });
        return command;
    }

    /// <summary>Sorts the positional arguments by scheme (s3:// is the source, http(s):// the destination); settings fill the gaps.</summary>
    internal static (S3Location? Source, BlobLocation? Destination) Locations(IReadOnlyList<string> args, string? sourceSetting, string? destinationSetting)
    {
        string? src = null, dst = null;
        foreach (var a in args)
        {
            if (a.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
            {
                if (src is not null) throw SkybridgeException.Usage("Two S3 sources were given.", "Pass at most one s3://bucket[/prefix] and one https://... destination.");
                src = a;
            }
            else if (a.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                if (dst is not null) throw SkybridgeException.Usage("Two destinations were given.", "Pass at most one s3://bucket[/prefix] and one https://... destination.");
                dst = a;
            }
            else
            {
                throw SkybridgeException.Usage($"'{a}' is neither an s3:// source nor an https:// destination.",
                    "Usage: skybridge doctor [s3://bucket[/prefix]] [https://account.blob.core.windows.net/container[/prefix]]");
            }
        }
        src ??= sourceSetting;
        dst ??= destinationSetting;
        return (src is null ? null : S3Location.Parse(src), dst is null ? null : BlobLocation.Parse(dst));
    }
}
