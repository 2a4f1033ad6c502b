using System.CommandLine;
using Skybridge.Setup;
using Skybridge.Setup.Azure;

namespace Skybridge.Cli.Commands;

/// <summary>skybridge setup aws | azure | adf | container-apps-job | broker | aks: configuration generators (they change nothing themselves).</summary>
internal static class SetupCommands
{
    public static Command Create()
    {
        var setup = new Command("setup", "Generate the configuration for both clouds (printed on stdout; nothing is changed).");
        setup.Subcommands.Add(CreateAws());
        setup.Subcommands.Add(CreateAzure());
        foreach (var c in AzureHostingCommands.Create()) setup.Subcommands.Add(c);
        return setup;
    }

    private static Command CreateAws()
    {
        var cmd = new Command("aws",
            "Generate the AWS side: IAM OIDC provider for the Entra ID issuer, the role with its trust policy, and a least-privilege S3 policy. " +
            "Uses the global --tenant-id and --audience (also from SKYBRIDGE_TENANT_ID / SKYBRIDGE_AUDIENCE or the profile).");
        var roleName = Opt("--role-name", "IAM role to create (1-64 of letters, digits, +=,.@_-).");
        var bucket = Opt("--bucket", "Source S3 bucket the role may read.");
        var prefix = Opt("--prefix", "Key prefix (folder) to restrict to, e.g. exports/2024 (default: whole bucket).");
        var subject = Opt("--subject", "The 'sub' claim to pin in the trust policy: the managed identity's object (principal) id. Required unless --allow-any-subject.");
        var allowAny = new Option<bool>("--allow-any-subject") { Description = "Deliberately trust every identity that can get a token for the audience (no sub pin; printed as a warning)." };
        var readOnly = new Option<bool>("--read-only") { Description = "Read-only S3 permissions (default)." };
        var readWrite = new Option<bool>("--read-write") { Description = "Also allow s3:PutObject and s3:DeleteObject under the prefix." };
        var maxSession = Opt("--max-session", "Role MaxSessionDuration in seconds, 3600..43200 (default 3600).");
        var tokenVersion = Opt("--token-version", "Entra ID access token version the app issues: 1 (default; iss https://sts.windows.net/<tid>/, aud = identifier URI) or 2 (iss https://login.microsoftonline.com/<tid>/v2.0, aud = client id GUID).");
        var kms = Opt("--kms-key-arn", "KMS key (arn:aws:kms:<region>:<account>:key/<id>) used for SSE-KMS on the bucket: adds kms:Decrypt via S3 only.");
        var issuerUrl = Opt("--issuer-url", "Issuer URL exactly as tokens carry it; overrides the tenant-derived one (e.g. http://127.0.0.1:17090/<tid>/ for the sandbox).");
        var thumbprint = Opt("--thumbprint", "Optional SHA-1 thumbprint(s) for the provider, comma-separated (AWS no longer needs them for Entra ID; Ceph RGW expects one).");
        var policyName = Opt("--policy-name", "Inline policy name (default skybridge-s3-<read|read-write>-<bucket>).");
        var format = Opt("--format", "cloudformation | terraform | cli | json | rgw (Ceph RGW dialect for the local sandbox).");
        foreach (var o in new Option[] { roleName, bucket, prefix, subject, allowAny, readOnly, readWrite, maxSession, tokenVersion, kms, issuerUrl, thumbprint, policyName, format })
            cmd.Options.Add(o);

        cmd.SetAction((ctx, parse, ct) =>
        {
            var fmt = Format(parse.GetValue(format), ctx.Json ? "json" : null, AwsSetupFormats.All);
            if (parse.GetValue(readOnly) && parse.GetValue(readWrite))
                throw SkybridgeException.Usage("--read-only and --read-write were both given: the policy can only be one of them.", "Keep one (read-only is the default).");
            var request = new AwsFederationRequest
            {
                TenantId = ctx.Settings.Get("tenant-id"),
                Audience = ctx.Settings.Get("audience"),
                RoleName = parse.GetValue(roleName),
                Bucket = parse.GetValue(bucket),
                Prefix = parse.GetValue(prefix),
                Subject = parse.GetValue(subject),
                AllowAnySubject = parse.GetValue(allowAny),
                ReadWrite = parse.GetValue(readWrite),
                MaxSessionSeconds = Int("--max-session", parse.GetValue(maxSession)),
                TokenVersion = Int("--token-version", parse.GetValue(tokenVersion)),
                KmsKeyArn = parse.GetValue(kms),
                IssuerUrl = parse.GetValue(issuerUrl),
                Thumbprints = (parse.GetValue(thumbprint) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                PolicyName = parse.GetValue(policyName),
            };
            var plan = AwsFederationPlan.Create(request, AwsSetupFormats.DialectOf(fmt));
            var text = AwsSetupFormats.Render(plan, fmt);
            foreach (var w in plan.Warnings) ctx.Error.WriteLine("warning: " + w);
            ctx.Out.Write(text);
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    private static Command CreateAzure()
    {
        var cmd = new Command("azure",
            "Generate the Entra ID / Azure side: app registration (identifier URI = audience, token version), app role with assignment required, " +
            "the managed identity's role assignment and Storage Blob Data Contributor on the destination container.");
        var appName = Opt("--app-name", "Display name of the app registration.");
        var identifierUri = Opt("--identifier-uri", "Identifier URI = token audience, e.g. api://aws_azure_federate (same as setup aws --audience).");
        var assignTo = Opt("--assign-to", "Object (principal) id of the managed identity to assign the app role to (and grant on the container).");
        var account = Opt("--storage-account", "Destination storage account name (with --container).");
        var container = Opt("--container", "Destination blob container (the grant's scope).");
        var tokenVersion = Opt("--token-version", "1 (default: requestedAccessTokenVersion null -> v1 tokens, aud = identifier URI) or 2.");
        var roleValue = Opt("--app-role-value", "Value of the app role (default Skybridge.AssumeAwsRole).");
        var format = Opt("--format", "cli (default: az CLI bash script) | graph-json (Microsoft Graph request bodies).");
        foreach (var o in new Option[] { appName, identifierUri, assignTo, account, container, tokenVersion, roleValue, format })
            cmd.Options.Add(o);

        cmd.SetAction((ctx, parse, ct) =>
        {
            var fmt = Format(parse.GetValue(format), ctx.Json ? "graph-json" : "cli", AzureSetupFormats.All);
            var plan = AzureAppSetupPlan.Create(new AzureAppSetupRequest
            {
                AppName = parse.GetValue(appName),
                IdentifierUri = parse.GetValue(identifierUri),
                AssignTo = parse.GetValue(assignTo),
                StorageAccount = parse.GetValue(account),
                Container = parse.GetValue(container),
                TokenVersion = Int("--token-version", parse.GetValue(tokenVersion)),
                AppRoleValue = parse.GetValue(roleValue),
            });
            var text = AzureSetupFormats.Render(plan, fmt);
            foreach (var w in plan.Warnings) ctx.Error.WriteLine("warning: " + w);
            ctx.Out.Write(text);
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    internal static Option<string?> Opt(string name, string description) => new(name) { Description = description };

    private static string Format(string? value, string? fallback, string[] allowed)
    {
        var f = value?.Trim().ToLowerInvariant() ?? fallback;
        if (f is null)
            throw SkybridgeException.Usage("--format is required: the same plan can be written in several formats.", $"Pass --format {string.Join("|", allowed)}.");
        if (!allowed.Contains(f))
            throw SkybridgeException.Usage($"--format '{value}' is not valid here.", $"Use one of: {string.Join(", ", allowed)}.");
        return f;
    }

    internal static int? Int(string option, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value.Trim(), out var v) ? v
            : throw SkybridgeException.Usage($"{option} '{value}' is not a whole number.", $"Pass {option} as a number, e.g. {(option == "--token-version" ? "1" : "3600")}.");
    }
}
