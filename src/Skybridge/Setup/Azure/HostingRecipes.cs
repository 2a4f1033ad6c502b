using System.Text.Json.Nodes;
using static Skybridge.Setup.Azure.ArmTemplate;

namespace Skybridge.Setup.Azure;

/// <summary>The identity and target every hosting recipe shares (raw, unvalidated).</summary>
internal sealed record HostingRequest
{
    public string? Name { get; init; }
    public string? Image { get; init; }
    public string? EnvironmentId { get; init; }
    public string? TenantId { get; init; }
    public string? Audience { get; init; }
    public string? RoleArn { get; init; }
    public string? Region { get; init; }
    public string? StorageAccount { get; init; }
    public string? Container { get; init; }
    public string? Source { get; init; }
    public string? Destination { get; init; }
    /// <summary>Object id of the Data Factory's managed identity (job: may start it; broker: may call it).</summary>
    public string? FactoryPrincipalId { get; init; }
    public string? FunctionPlanId { get; init; }
    public string? FunctionStorageAccount { get; init; }
    public string? OidcIssuer { get; init; }
    public string? Namespace { get; init; }
}

/// <summary>
/// Deployment recipes for running Skybridge in Azure: the Container Apps job (user-assigned
/// identity), the token broker (Container App or Function app) and their role assignments. Each is
/// an ARM template built with <see cref="ArmTemplate"/>; AKS workload identity is in <see cref="AksRecipe"/>.
/// </summary>
internal static class HostingRecipes
{
    internal const string Identities = "Microsoft.ManagedIdentity/userAssignedIdentities";
    internal const string IdentityApi = "2024-11-30";
    private const string AppApi = "2025-07-01";
    private const string AuthorizationApi = "2022-04-01";
    private const string RoleAssignments = "Microsoft.Authorization/roleAssignments";
    public const string StorageBlobDataOwnerId = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";

    /// <summary>A Container Apps job (manual trigger) that runs skybridge with its own user-assigned identity; optionally lets a factory start it.</summary>
    public static ArmTemplate ContainerAppsJob(HostingRequest r)
    {
        var name = ResourceName("--name", r.Name, "skybridge-copy");
        var t = new ArmTemplate("Skybridge as a Container Apps job with a user-assigned managed identity; the identity may write the destination container, and (optionally) a Data Factory may start the job.");
        t.Parameter("jobName", "string", name, "Name of the Container Apps job (and of its identity, with -identity).");
        t.LocationParameter();
        t.Parameter("environmentId", "string", Required("--environment-id", r.EnvironmentId, "the Container Apps environment the job runs in", "Pass --environment-id /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.App/managedEnvironments/<env>."), "Resource id of the Container Apps managed environment.");
        t.Parameter("image", "string", Required("--image", r.Image, "the container image with the skybridge CLI", "Pass --image <registry>/skybridge:<tag>."), "Container image with the skybridge CLI (entrypoint skybridge).");
        IdentityParameters(t, r);
        t.Parameter("source", "string", Required("--source", r.Source, "what the job copies by default (the Data Factory pipeline may override it per run)", "Pass --source s3://<bucket>/<prefix>."), "Default source (s3://bucket/prefix).");
        t.Parameter("destination", "string", Required("--destination", r.Destination, "where the job copies to by default", "Pass --destination https://<account>.blob.core.windows.net/<container>/<path>."), "Default destination URL.");
        StorageParameters(t, r);

        var identityRef = $"resourceId('{Identities}', concat({P("jobName")}, '-identity'))";
        var identityId = Expr(identityRef);
        t.Resource(UserAssignedIdentity(Expr($"concat({P("jobName")}, '-identity')")));
        var job = NewResource("Microsoft.App/jobs", AppApi, Param("jobName"), new JsonObject
        {
            ["environmentId"] = Param("environmentId"),
            ["configuration"] = new JsonObject
            {
                ["triggerType"] = "Manual",
                // One attempt per execution: skybridge retries per request itself, and a rerun (sync) copies only what is missing.
                ["replicaRetryLimit"] = 0,
                ["replicaTimeout"] = 86400,
                ["manualTriggerConfig"] = new JsonObject { ["parallelism"] = 1, ["replicaCompletionCount"] = 1 },
            },
            ["template"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "skybridge",
                    ["image"] = Param("image"),
                    ["args"] = new JsonArray("sync", Param("source"), Param("destination"), "--output", "json"),
                    ["env"] = SkybridgeEnvironment(Expr($"reference({identityRef}, '{IdentityApi}').clientId")),
                    ["resources"] = new JsonObject { ["cpu"] = 1, ["memory"] = "2Gi" },
                }),
            },
        }, identityId);
        job["location"] = Param("location");
        job["identity"] = new JsonObject { ["type"] = "UserAssigned", ["userAssignedIdentities"] = new JsonObject { [identityId] = new JsonObject() } };
        t.Resource(job);
        t.Resource(ContainerGrant(Expr($"reference({identityRef}, '{IdentityApi}').principalId"), "job-identity", identityId));

        var jobRef = $"resourceId('Microsoft.App/jobs', {P("jobName")})";
        var jobId = Expr(jobRef);
        if (!string.IsNullOrWhiteSpace(r.FactoryPrincipalId))
        {
            t.Parameter("factoryPrincipalId", "string", SetupValidation.ObjectId("--factory-principal-id", r.FactoryPrincipalId), "Object id of the Data Factory's system-assigned managed identity (may start and read this job, nothing else).");
            // No built-in role is this narrow: start, read the job and its executions.
            var roleName = Expr($"guid(resourceGroup().id, {P("jobName")}, 'skybridge-job-starter')");
            var roleId = Expr($"resourceId('Microsoft.Authorization/roleDefinitions', guid(resourceGroup().id, {P("jobName")}, 'skybridge-job-starter'))");
            t.Resource(NewResource("Microsoft.Authorization/roleDefinitions", AuthorizationApi, roleName, new JsonObject
            {
                ["roleName"] = Expr($"concat('Skybridge job starter (', {P("jobName")}, ')')"),
                ["description"] = "Start a Skybridge Container Apps job and read its executions (Data Factory pipeline SkybridgeJob).",
                ["type"] = "CustomRole",
                ["permissions"] = new JsonArray(new JsonObject
                {
                    ["actions"] = new JsonArray("Microsoft.App/jobs/read", "Microsoft.App/jobs/start/action", "Microsoft.App/jobs/*/read"),
                    ["notActions"] = new JsonArray(),
                }),
                ["assignableScopes"] = new JsonArray("[resourceGroup().id]"),
            }));
            var assignment = NewResource(RoleAssignments, AuthorizationApi, Expr($"guid({jobRef}, {P("factoryPrincipalId")}, 'skybridge-job-starter')"), new JsonObject
            {
                ["roleDefinitionId"] = roleId,
                ["principalId"] = Param("factoryPrincipalId"),
                ["principalType"] = "ServicePrincipal",
            }, jobId, roleId);
            assignment["scope"] = Expr($"format('Microsoft.App/jobs/{{0}}', {P("jobName")})");
            t.Resource(assignment);
        }
        t.Output("jobResourceId", "string", jobId);
        t.Output("identityPrincipalId", "string", Expr($"reference({identityRef}, '{IdentityApi}').principalId"));
        t.Output("identityClientId", "string", Expr($"reference({identityRef}, '{IdentityApi}').clientId"));
        return t;
    }

    /// <summary>The token broker as a Container App (external https ingress) or a Function app; it needs no identity of its own for AWS.</summary>
    public static ArmTemplate Broker(HostingRequest r, string host)
    {
        var name = ResourceName("--name", r.Name, "skybridge-broker");
        var tenant = SetupValidation.TenantId(r.TenantId);
        var t = new ArmTemplate($"The Skybridge token broker as {(host == "function" ? "an Azure Functions app" : "a Container App")}: Data Factory's Web activity trades its managed identity token for temporary AWS credentials. It holds no secret.");
        t.Parameter("brokerName", "string", name, "Name of the broker app.");
        t.LocationParameter();
        t.Parameter("tenantId", "string", tenant, "Entra ID tenant whose tokens the broker accepts (issuer https://sts.windows.net/<tenant>/).");
        t.Parameter("audience", "string", SetupValidation.Audience(r.Audience, 1), "Federation audience (the Web activity's resource).");
        t.Parameter("callerObjectId", "string", SetupValidation.ObjectId("--factory-principal-id", Required("--factory-principal-id", r.FactoryPrincipalId, "the allow-listed caller: the Data Factory's managed identity object id", "Pass --factory-principal-id <object id> (az datafactory show -n <factory> -g <rg> --query identity.principalId -o tsv).")), "Object id of the Data Factory's managed identity: the only caller.");
        t.Parameter("roleArn", "string", Required("--role-arn", r.RoleArn, "the role the caller may assume", "Pass --role-arn arn:aws:iam::<account>:role/<name>."), "IAM role the caller may assume.");
        t.Parameter("region", "string", string.IsNullOrWhiteSpace(r.Region) ? "us-east-1" : r.Region.Trim(), "AWS region of STS.");
        var settings = new (string Name, string Value)[]
        {
            ("Broker__TenantId", Param("tenantId")),
            ("Broker__Audience", Param("audience")),
            ("Broker__Region", Param("region")),
            ("Broker__Callers__0__ObjectId", Param("callerObjectId")),
            ("Broker__Callers__0__RoleArns__0", Param("roleArn")),
        };

        if (host == "function")
        {
            t.Parameter("planId", "string", Required("--plan-id", r.FunctionPlanId, "the App Service / Flex Consumption plan the function app runs on", "Pass --plan-id /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Web/serverfarms/<plan>."), "Resource id of the hosting plan.");
            t.Parameter("hostStorageAccount", "string", SetupValidation.StorageAccount(Required("--host-storage-account", r.FunctionStorageAccount, "the Functions host's own storage account (reached with the app's identity, no connection string)", "Pass --host-storage-account <name> (in this resource group).")), "Storage account of the Functions host (identity-based AzureWebJobsStorage).");
            var siteRef = $"resourceId('Microsoft.Web/sites', {P("brokerName")})";
            var siteId = Expr(siteRef);
            var appSettings = new JsonArray(
            [
                .. new (string, string)[]
                {
                    ("FUNCTIONS_EXTENSION_VERSION", "~4"),
                    ("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated"),
                    ("AzureWebJobsStorage__accountName", Param("hostStorageAccount")),
                }.Concat(settings).Select(s => (JsonNode)new JsonObject { ["name"] = s.Item1, ["value"] = s.Item2 }),
            ]);
            var site = NewResource("Microsoft.Web/sites", "2024-11-01", Param("brokerName"), new JsonObject
            {
                ["serverFarmId"] = Param("planId"),
                ["httpsOnly"] = true,
                ["siteConfig"] = new JsonObject
                {
                    ["linuxFxVersion"] = "DOTNET-ISOLATED|10.0",
                    ["minTlsVersion"] = "1.2",
                    ["ftpsState"] = "Disabled",
                    ["appSettings"] = appSettings,
                },
            });
            site["kind"] = "functionapp,linux";
            site["location"] = Param("location");
            site["identity"] = new JsonObject { ["type"] = "SystemAssigned" };
            t.Resource(site);
            var hostGrant = NewResource(RoleAssignments, AuthorizationApi, Expr($"guid({siteRef}, 'host-storage')"), new JsonObject
            {
                ["roleDefinitionId"] = Expr($"subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{StorageBlobDataOwnerId}')"),
                ["principalId"] = Expr($"reference({siteRef}, '2024-11-01', 'full').identity.principalId"),
                ["principalType"] = "ServicePrincipal",
            }, siteId);
            hostGrant["scope"] = Expr($"format('Microsoft.Storage/storageAccounts/{{0}}', {P("hostStorageAccount")})");
            t.Resource(hostGrant);
            t.Output("brokerUrl", "string", Expr($"concat('https://', reference({siteRef}, '2024-11-01').defaultHostName, '/v1/credentials')"));
            return t;
        }

        t.Parameter("environmentId", "string", Required("--environment-id", r.EnvironmentId, "the Container Apps environment", "Pass --environment-id <managed environment resource id>."), "Resource id of the Container Apps managed environment.");
        t.Parameter("image", "string", Required("--image", r.Image, "the broker's container image (src/Skybridge.Broker/Dockerfile)", "Pass --image <registry>/skybridge-broker:<tag>."), "Broker container image.");
        var appRef = $"resourceId('Microsoft.App/containerApps', {P("brokerName")})";
        var app = NewResource("Microsoft.App/containerApps", AppApi, Param("brokerName"), new JsonObject
        {
            ["environmentId"] = Param("environmentId"),
            ["configuration"] = new JsonObject
            {
                // TLS ends at the ingress; plain http is refused (allowInsecure false).
                ["ingress"] = new JsonObject { ["external"] = true, ["targetPort"] = 8080, ["transport"] = "auto", ["allowInsecure"] = false },
            },
            ["template"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "broker",
                    ["image"] = Param("image"),
                    ["env"] = new JsonArray([.. settings.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["value"] = s.Value })]),
                    // The schema types cpu as an integer; a fraction of a core goes through json() (ARM's decimal).
                    ["resources"] = new JsonObject { ["cpu"] = Expr("json('0.5')"), ["memory"] = "1Gi" },
                    ["probes"] = new JsonArray(new JsonObject { ["type"] = "Liveness", ["httpGet"] = new JsonObject { ["path"] = "/healthz", ["port"] = 8080 } }),
                }),
                ["scale"] = new JsonObject { ["minReplicas"] = 1, ["maxReplicas"] = 3 },
            },
        });
        app["location"] = Param("location");
        t.Resource(app);
        t.Output("brokerUrl", "string", Expr($"concat('https://', reference({appRef}, '{AppApi}').configuration.ingress.fqdn, '/v1/credentials')"));
        return t;
    }

    /// <summary>The environment skybridge reads (audience, role, region, which identity).</summary>
    internal static JsonArray SkybridgeEnvironment(string clientIdValue) => new(
    [
        .. new (string, string)[]
        {
            ("SKYBRIDGE_AUDIENCE", Param("audience")),
            ("SKYBRIDGE_ROLE_ARN", Param("roleArn")),
            ("SKYBRIDGE_REGION", Param("region")),
            ("SKYBRIDGE_AZURE_CREDENTIAL", "managed-identity"),
            ("SKYBRIDGE_CLIENT_ID", clientIdValue),
            ("AZURE_CLIENT_ID", clientIdValue),
        }.Select(e => (JsonNode)new JsonObject { ["name"] = e.Item1, ["value"] = e.Item2 }),
    ]);

    internal static void IdentityParameters(ArmTemplate t, HostingRequest r)
    {
        t.Parameter("audience", "string", SetupValidation.Audience(r.Audience, 1), "Federation audience (SKYBRIDGE_AUDIENCE).");
        t.Parameter("roleArn", "string", Required("--role-arn", r.RoleArn, "the IAM role skybridge assumes", "Pass --role-arn arn:aws:iam::<account>:role/<name> (its trust pins sub = the identity's principal id, an output of this template)."), "IAM role (SKYBRIDGE_ROLE_ARN).");
        t.Parameter("region", "string", string.IsNullOrWhiteSpace(r.Region) ? "us-east-1" : r.Region.Trim(), "AWS region (SKYBRIDGE_REGION).");
    }

    internal static void StorageParameters(ArmTemplate t, HostingRequest r)
    {
        t.Parameter("storageAccount", "string", SetupValidation.StorageAccount(Required("--storage-account", r.StorageAccount, "the destination account (in this resource group) the identity may write", "Pass --storage-account <name>.")), "Destination storage account (same resource group).");
        t.Parameter("container", "string", SetupValidation.Container(Required("--container", r.Container, "the destination container, the scope of the grant", "Pass --container <name>.")), "Destination container: the grant's scope.");
    }

    /// <summary>Storage Blob Data Contributor on the destination container only.</summary>
    internal static JsonObject ContainerGrant(string principalIdExpression, string salt, params string[] dependsOn)
    {
        var grant = NewResource(RoleAssignments, AuthorizationApi, Expr($"guid(resourceGroup().id, {P("storageAccount")}, {P("container")}, '{salt}')"), new JsonObject
        {
            ["roleDefinitionId"] = Expr($"subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{AzureAppSetupPlan.StorageBlobDataContributorId}')"),
            ["principalId"] = principalIdExpression,
            ["principalType"] = "ServicePrincipal",
        }, dependsOn);
        grant["scope"] = Expr($"format('Microsoft.Storage/storageAccounts/{{0}}/blobServices/default/containers/{{1}}', {P("storageAccount")}, {P("container")})");
        return grant;
    }

    internal static string Required(string option, string? value, string what, string fix) =>
        string.IsNullOrWhiteSpace(value) ? throw SkybridgeException.Usage($"{option} is required: {what}.", fix) : value.Trim();

    private static string ResourceName(string option, string? value, string fallback)
    {
        var n = string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
        if (n.Length is < 2 or > 32 || !n.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') || !char.IsAsciiLetterLower(n[0]) || n.EndsWith('-') || n.Contains("--"))
            throw SkybridgeException.Usage($"{option} '{n}' is not a valid Container Apps / Functions name: 2-32 lower-case letters, digits and single hyphens, starting with a letter.", $"Pass e.g. {option} {fallback}.");
        return n;
    }

    internal static JsonObject UserAssignedIdentity(string name) => new()
    {
        ["type"] = Identities,
        ["apiVersion"] = IdentityApi,
        ["name"] = name,
        ["location"] = Param("location"),
        ["properties"] = new JsonObject(),
    };
}
