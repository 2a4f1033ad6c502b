using Azure.Identity;

namespace Skybridge.Identity;

/// <summary>Explains why no Entra token could be had: no managed identity, wrong client id, unknown audience.</summary>
public static class AzureCredentialDiagnosis
{
    /// <summary>Azure.Identity reports a host without managed identity as a failure when every probe (IMDS v1/v2, App Service) finds nothing.</summary>
    private static bool IsNoManagedIdentity(string message)
        => message.Contains("Managed Identity sources are unavailable", StringComparison.OrdinalIgnoreCase)
           || message.Contains("No Managed Identity endpoint found", StringComparison.OrdinalIgnoreCase);

    public static SkybridgeException Explain(Exception error, FederationOptions options)
    {
        var first = error.Message.Split('\n', 2)[0].Trim();
        var source = options.Azure.Kind;
        if (error is CredentialUnavailableException || IsNoManagedIdentity(first))
        {
            var what = source switch
            {
                AzureCredentialKind.ManagedIdentity => "no managed identity is available on this host",
                AzureCredentialKind.WorkloadIdentity => "workload identity is not configured (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID)",
                AzureCredentialKind.AzureCli => "the Azure CLI is not installed or not logged in",
                AzureCredentialKind.Environment => "AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET are not set",
                _ => "no Azure credential source is available (environment, workload identity, managed identity, Azure CLI)",
            };
            return SkybridgeException.Auth($"Cannot get an Entra ID token: {what}. ({Shorten(first)})",
                source == AzureCredentialKind.ManagedIdentity
                    ? "Enable a system-assigned identity on this VM/App Service/container, or pass --client-id for a user-assigned one; elsewhere use --azure-credential azure-cli after 'az login'."
                    : "Run where a managed identity exists, configure workload identity, or 'az login'; choose the source with --azure-credential.", error);
        }
        var hint = first.Contains("AADSTS500011", StringComparison.Ordinal) || first.Contains("resource principal", StringComparison.OrdinalIgnoreCase)
            ? $"No app registration in the tenant has the identifier URI '{options.ExpectedTokenAudience}'. Create it (skybridge setup azure) or fix --audience."
            : first.Contains("AADSTS501051", StringComparison.Ordinal) || first.Contains("not assigned", StringComparison.OrdinalIgnoreCase)
                ? "The app requires role assignment and this identity has none: assign the app role to the identity (skybridge setup azure --assign-to)."
                : "Check --client-id, --tenant-id and --audience; 'skybridge doctor' tests every link.";
        return SkybridgeException.Auth($"Entra ID refused the token request for '{options.Scope}': {first}", hint, error);
    }

    /// <summary>Azure.Identity repeats every retry's error; the first sentence is enough to act on.</summary>
    private static string Shorten(string message)
    {
        var cut = message.IndexOf(" Exception: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.Length > 300 ? message[..300] + "..." : message;
    }
}
