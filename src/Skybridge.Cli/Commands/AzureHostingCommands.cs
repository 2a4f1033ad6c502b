using System.CommandLine;
using Skybridge.Setup.Azure;
using static Skybridge.Cli.Commands.SetupCommands;

namespace Skybridge.Cli.Commands;

/// <summary>
/// skybridge setup adf | container-apps-job | broker | aks: ARM templates (and Kubernetes YAML)
/// for running Skybridge from Data Factory and Azure hosting. Printed on stdout, warnings on stderr.
/// </summary>
internal static class AzureHostingCommands
{
    public static IEnumerable<Command> Create() => [Adf(), ContainerAppsJob(), Broker(), Aks()];

    private static Command Adf()
    {
        var cmd = new Command("adf",
            "ARM template for an existing Data Factory: S3 linked service fed by the token broker (TemporarySecurityCredentials, SecureString parameters), " +
            "Blob/ADLS Gen2 linked service with the factory's managed identity, Binary datasets, pipeline SkybridgeCopyWithBroker (Web activity -> broker -> Copy) " +
            "and, with --job-id, pipeline SkybridgeJob (starts a Container Apps job running skybridge and waits for it). Uses the global --audience and --role-arn.");
        var factory = Opt("--factory-name", "The existing Data Factory.");
        var broker = Opt("--broker-url", "The broker's credentials endpoint, https://<host>/v1/credentials (skybridge setup broker).");
        var bucket = Opt("--bucket", "Source S3 bucket.");
        var prefix = Opt("--prefix", "Source key prefix (folder) of the Copy activity.");
        var account = Opt("--storage-account", "Destination storage account.");
        var container = Opt("--container", "Destination container (ADLS Gen2: file system).");
        var destPath = Opt("--dest-path", "Destination folder inside the container.");
        var adls = new Option<bool>("--adls") { Description = "Destination is ADLS Gen2 (AzureBlobFS linked service, dfs endpoint)." };
        var minutes = Opt("--expected-copy-minutes", "Expected Copy activity duration (default 60): sets the credential lifetime (x1.25 + 5 min, 15 min..12 h).");
        var jobId = Opt("--job-id", "Resource id of the Container Apps job (skybridge setup container-apps-job) for pipeline SkybridgeJob.");
        var jobImage = Opt("--job-image", "The job's image (restated in the start request).");
        var jobDest = Opt("--job-destination", "Destination URL for the job's skybridge sync.");
        foreach (var o in new Option[] { factory, broker, bucket, prefix, account, container, destPath, adls, minutes, jobId, jobImage, jobDest })
            cmd.Options.Add(o);
        cmd.SetAction((ctx, parse, ct) =>
        {
            var plan = AdfSetupPlan.Create(new AdfSetupRequest
            {
                FactoryName = parse.GetValue(factory),
                BrokerUrl = parse.GetValue(broker),
                Audience = ctx.Settings.Get("audience"),
                RoleArn = ctx.Settings.Get("role-arn"),
                Bucket = parse.GetValue(bucket),
                Prefix = parse.GetValue(prefix),
                StorageAccount = parse.GetValue(account),
                Container = parse.GetValue(container),
                DestinationPath = parse.GetValue(destPath),
                AdlsGen2 = parse.GetValue(adls),
                ExpectedCopyMinutes = Int("--expected-copy-minutes", parse.GetValue(minutes)),
                JobResourceId = parse.GetValue(jobId),
                JobImage = parse.GetValue(jobImage),
                JobDestinationUrl = parse.GetValue(jobDest),
            });
            return Print(ctx, AdfTemplate.Build(plan).Render(), plan.Warnings);
        });
        return cmd;
    }

    private static Command ContainerAppsJob()
    {
        var cmd = new Command("container-apps-job",
            "ARM template: a Container Apps job (manual trigger) running skybridge sync with a user-assigned identity, Storage Blob Data Contributor on the destination container, " +
            "and with --factory-principal-id a custom role letting that Data Factory start and read the job. Uses the global --audience, --role-arn and --region.");
        var h = new HostingOptions(cmd, "--name", "--image", "--environment-id", "--storage-account", "--container", "--source", "--destination", "--factory-principal-id");
        cmd.SetAction((ctx, parse, ct) => Print(ctx, HostingRecipes.ContainerAppsJob(h.Request(ctx, parse)).Render(), []));
        return cmd;
    }

    private static Command Broker()
    {
        var cmd = new Command("broker",
            "ARM template for the token broker as a Container App (--host container-app, default) or a Function app (--host function), allowing one caller " +
            "(--factory-principal-id) the global --role-arn. Uses the global --tenant-id, --audience and --region.");
        var host = Opt("--host", "container-app (default) | function.");
        cmd.Options.Add(host);
        var h = new HostingOptions(cmd, "--name", "--image", "--environment-id", "--factory-principal-id", "--plan-id", "--host-storage-account");
        cmd.SetAction((ctx, parse, ct) =>
        {
            var kind = parse.GetValue(host)?.Trim().ToLowerInvariant() ?? "container-app";
            if (kind is not ("container-app" or "function"))
                throw SkybridgeException.Usage($"--host '{parse.GetValue(host)}' is not valid.", "Use --host container-app or --host function.");
            return Print(ctx, HostingRecipes.Broker(h.Request(ctx, parse), kind).Render(), []);
        });
        return cmd;
    }

    private static Command Aks()
    {
        var cmd = new Command("aks",
            "AKS workload identity: --format arm (user-assigned identity, federated credential for the cluster's OIDC issuer and service account, container grant) " +
            "or --format yaml (ServiceAccount with the client-id annotation, a Job running skybridge sync). Uses the global --audience, --role-arn and --region.");
        var format = Opt("--format", "arm | yaml.");
        var clientId = Opt("--client-id", "Client id of the identity (the ARM part's identityClientId output), for the YAML's annotation.");
        cmd.Options.Add(format);
        cmd.Options.Add(clientId);
        var h = new HostingOptions(cmd, "--name", "--namespace", "--image", "--oidc-issuer", "--storage-account", "--container", "--source", "--destination");
        cmd.SetAction((ctx, parse, ct) =>
        {
            var request = h.Request(ctx, parse);
            var warnings = new List<string>();
            return parse.GetValue(format)?.Trim().ToLowerInvariant() switch
            {
                "arm" => Print(ctx, AksRecipe.Azure(request).Render(), warnings),
                "yaml" => Print(ctx, AksRecipe.Kubernetes(request, parse.GetValue(clientId), warnings), warnings),
                _ => throw SkybridgeException.Usage("--format is required: arm (the Azure side) or yaml (the Kubernetes side).", "Pass --format arm, deploy it, then --format yaml --client-id <identityClientId>."),
            };
        });
        return cmd;
    }

    private static Task<int> Print(CliContext ctx, string text, IEnumerable<string> warnings)
    {
        foreach (var w in warnings) ctx.Error.WriteLine("warning: " + w);
        ctx.Out.Write(text);
        return Task.FromResult(ExitCodes.Ok);
    }

    /// <summary>The subset of hosting options a command offers, read into one <see cref="HostingRequest"/>.</summary>
    private sealed class HostingOptions
    {
        private static readonly Dictionary<string, string> Descriptions = new()
        {
            ["--name"] = "Name of the app, job or service account.",
            ["--namespace"] = "Kubernetes namespace (default skybridge).",
            ["--image"] = "Container image.",
            ["--environment-id"] = "Resource id of the Container Apps managed environment.",
            ["--storage-account"] = "Destination storage account (same resource group).",
            ["--container"] = "Destination container (the grant's scope).",
            ["--source"] = "Default source, s3://bucket/prefix.",
            ["--destination"] = "Default destination URL.",
            ["--factory-principal-id"] = "Object id of the Data Factory's managed identity.",
            ["--plan-id"] = "Resource id of the Functions hosting plan.",
            ["--host-storage-account"] = "The Functions host's storage account (identity-based).",
            ["--oidc-issuer"] = "The AKS cluster's OIDC issuer URL.",
        };
        private readonly Dictionary<string, Option<string?>> _options = [];

        public HostingOptions(Command cmd, params string[] names)
        {
            foreach (var n in names)
            {
                var o = Opt(n, Descriptions[n]);
                _options[n] = o;
                cmd.Options.Add(o);
            }
        }

        private string? Get(System.CommandLine.ParseResult parse, string name) => _options.TryGetValue(name, out var o) ? parse.GetValue(o) : null;

        public HostingRequest Request(CliContext ctx, System.CommandLine.ParseResult parse) => new()
        {
            Name = Get(parse, "--name"),
            Namespace = Get(parse, "--namespace"),
            Image = Get(parse, "--image"),
            EnvironmentId = Get(parse, "--environment-id"),
            StorageAccount = Get(parse, "--storage-account"),
            Container = Get(parse, "--container"),
            Source = Get(parse, "--source"),
            Destination = Get(parse, "--destination"),
            FactoryPrincipalId = Get(parse, "--factory-principal-id"),
            FunctionPlanId = Get(parse, "--plan-id"),
            FunctionStorageAccount = Get(parse, "--host-storage-account"),
            OidcIssuer = Get(parse, "--oidc-issuer"),
            TenantId = ctx.Settings.Get("tenant-id"),
            Audience = ctx.Settings.Get("audience"),
            RoleArn = ctx.Settings.Get("role-arn"),
            Region = ctx.Settings.Get("region"),
        };
    }
}
