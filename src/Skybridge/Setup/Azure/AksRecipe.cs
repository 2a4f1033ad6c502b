using System.Text.Json.Nodes;
using YamlDotNet.Serialization;
using static Skybridge.Setup.Azure.ArmTemplate;

namespace Skybridge.Setup.Azure;

/// <summary>
/// AKS workload identity for skybridge: the Azure side (a user-assigned identity, its federated
/// credential for the cluster's OIDC issuer and the Kubernetes service account, the container
/// grant) as ARM, and the Kubernetes side (ServiceAccount with the client-id annotation, a Job
/// whose pods use workload identity) as YAML.
/// </summary>
internal static class AksRecipe
{
    public const string TokenExchangeAudience = "api://AzureADTokenExchange";
    public const string ClientIdPlaceholder = "<IDENTITY_CLIENT_ID>";

    public static ArmTemplate Azure(HostingRequest r)
    {
        var (ns, sa) = Names(r);
        var t = new ArmTemplate("Skybridge on AKS with workload identity: a user-assigned identity trusted for one Kubernetes service account, allowed to write the destination container.");
        t.Parameter("identityName", "string", sa + "-identity", "Name of the user-assigned identity.");
        t.LocationParameter();
        var issuer = HostingRecipes.Required("--oidc-issuer", r.OidcIssuer, "the cluster's OIDC issuer URL the federated credential trusts", "Pass --oidc-issuer \"$(az aks show -n <cluster> -g <rg> --query oidcIssuerProfile.issuerUrl -o tsv)\".");
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var u) || u.Scheme != Uri.UriSchemeHttps)
            throw SkybridgeException.Usage($"--oidc-issuer '{issuer}' is not an https URL.", "Pass the cluster's oidcIssuerProfile.issuerUrl exactly (trailing slash included).");
        t.Parameter("oidcIssuer", "string", issuer, "The AKS cluster's OIDC issuer URL, exactly as its service account tokens carry it.");
        t.Parameter("serviceAccountSubject", "string", $"system:serviceaccount:{ns}:{sa}", "The Kubernetes service account the identity trusts.");
        HostingRecipes.StorageParameters(t, r);

        var identityRef = $"resourceId('{HostingRecipes.Identities}', {P("identityName")})";
        var identityId = Expr(identityRef);
        t.Resource(HostingRecipes.UserAssignedIdentity(Param("identityName")));
        t.Resource(NewResource($"{HostingRecipes.Identities}/federatedIdentityCredentials", HostingRecipes.IdentityApi, Expr($"concat({P("identityName")}, '/kubernetes')"), new JsonObject
        {
            ["issuer"] = Param("oidcIssuer"),
            ["subject"] = Param("serviceAccountSubject"),
            ["audiences"] = new JsonArray(TokenExchangeAudience),
        }, identityId));
        t.Resource(HostingRecipes.ContainerGrant(Expr($"reference({identityRef}, '{HostingRecipes.IdentityApi}').principalId"), "aks-identity", identityId));
        t.Output("identityClientId", "string", Expr($"reference({identityRef}, '{HostingRecipes.IdentityApi}').clientId"));
        t.Output("identityPrincipalId", "string", Expr($"reference({identityRef}, '{HostingRecipes.IdentityApi}').principalId"));
        return t;
    }

    /// <summary>ServiceAccount + Job as a multi-document YAML stream (kubectl apply -f -).</summary>
    public static string Kubernetes(HostingRequest r, string? clientId, IList<string> warnings)
    {
        var (ns, sa) = Names(r);
        var image = HostingRecipes.Required("--image", r.Image, "the container image with the skybridge CLI", "Pass --image <registry>/skybridge:<tag>.");
        var source = HostingRecipes.Required("--source", r.Source, "what the Job copies", "Pass --source s3://<bucket>/<prefix>.");
        var destination = HostingRecipes.Required("--destination", r.Destination, "where the Job copies to", "Pass --destination https://<account>.blob.core.windows.net/<container>/<path>.");
        var audience = SetupValidation.Audience(r.Audience, 1);
        var roleArn = HostingRecipes.Required("--role-arn", r.RoleArn, "the IAM role skybridge assumes", "Pass --role-arn arn:aws:iam::<account>:role/<name>.");
        var client = string.IsNullOrWhiteSpace(clientId) ? ClientIdPlaceholder : SetupValidation.ObjectId("--client-id", clientId);
        if (client == ClientIdPlaceholder)
            warnings.Add($"No --client-id: replace {ClientIdPlaceholder} with the identityClientId output of the ARM part (--format arm) before applying.");

        var serviceAccount = new Dictionary<string, object>
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new Dictionary<string, object>
            {
                ["name"] = sa,
                ["namespace"] = ns,
                ["annotations"] = new Dictionary<string, object> { ["azure.workload.identity/client-id"] = client },
            },
        };
        var env = new List<object>
        {
            Env("SKYBRIDGE_AUDIENCE", audience),
            Env("SKYBRIDGE_ROLE_ARN", roleArn),
            Env("SKYBRIDGE_REGION", string.IsNullOrWhiteSpace(r.Region) ? "us-east-1" : r.Region.Trim()),
            // The workload identity webhook injects AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE.
            Env("SKYBRIDGE_AZURE_CREDENTIAL", "workload-identity"),
            Env("SKYBRIDGE_JOURNAL", "/var/lib/skybridge/journal.db"),
        };
        var job = new Dictionary<string, object>
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = new Dictionary<string, object> { ["name"] = sa, ["namespace"] = ns },
            ["spec"] = new Dictionary<string, object>
            {
                // Pod retries start over in a fresh pod; skybridge retries requests itself and sync skips what is there.
                ["backoffLimit"] = 1,
                ["template"] = new Dictionary<string, object>
                {
                    ["metadata"] = new Dictionary<string, object> { ["labels"] = new Dictionary<string, object> { ["azure.workload.identity/use"] = "true" } },
                    ["spec"] = new Dictionary<string, object>
                    {
                        ["serviceAccountName"] = sa,
                        ["restartPolicy"] = "Never",
                        ["securityContext"] = new Dictionary<string, object> { ["runAsNonRoot"] = true, ["runAsUser"] = 10001 },
                        ["containers"] = new List<object>
                        {
                            new Dictionary<string, object>
                            {
                                ["name"] = "skybridge",
                                ["image"] = image,
                                ["args"] = new List<object> { "sync", source, destination, "--output", "json" },
                                ["env"] = env,
                                ["resources"] = new Dictionary<string, object>
                                {
                                    ["requests"] = new Dictionary<string, object> { ["cpu"] = "1", ["memory"] = "1Gi" },
                                    ["limits"] = new Dictionary<string, object> { ["memory"] = "2Gi" },
                                },
                                ["securityContext"] = new Dictionary<string, object> { ["allowPrivilegeEscalation"] = false, ["readOnlyRootFilesystem"] = true },
                                ["volumeMounts"] = new List<object> { new Dictionary<string, object> { ["name"] = "state", ["mountPath"] = "/var/lib/skybridge" } },
                            },
                        },
                        ["volumes"] = new List<object> { new Dictionary<string, object> { ["name"] = "state", ["emptyDir"] = new Dictionary<string, object>() } },
                    },
                },
            },
        };
        // Quote strings YAML would read as another type (the label value "true" must stay a string).
        var yaml = new SerializerBuilder().WithQuotingNecessaryStrings().Build();
        return "# Generated by skybridge setup aks --format yaml\n---\n" + yaml.Serialize(serviceAccount) + "---\n" + yaml.Serialize(job);
    }

    private static Dictionary<string, object> Env(string name, string value) => new() { ["name"] = name, ["value"] = value };

    private static (string Namespace, string ServiceAccount) Names(HostingRequest r)
    {
        var ns = string.IsNullOrWhiteSpace(r.Namespace) ? "skybridge" : r.Namespace.Trim();
        var sa = string.IsNullOrWhiteSpace(r.Name) ? "skybridge" : r.Name.Trim();
        foreach (var (option, value) in new[] { ("--namespace", ns), ("--name", sa) })
            if (value.Length > 63 || !value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') || !char.IsAsciiLetterOrDigit(value[0]) || !char.IsAsciiLetterOrDigit(value[^1]))
                throw SkybridgeException.Usage($"{option} '{value}' is not a Kubernetes name: at most 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.", $"Pass e.g. {option} skybridge.");
        return (ns, sa);
    }
}
