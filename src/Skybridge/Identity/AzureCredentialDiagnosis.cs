using Azure.Identity;

namespace Skybridge.Identity;

/// <summary>Explains why no Entra token could be had: no managed identity, wrong client id, unknown audience.</summary>
public static class AzureCredentialDiagnosis
{
    /// <summary>Azure.Identity reports a host without managed identity as a failure when every probe (IMDS v1/v2, App Service) finds nothing.</summary>
    private static bool IsNoManagedIdentity(string message)
        => message.Contains("Managed Identity sources are unavailable", StringComparison.OrdinalIgnoreCase)
           || message.Contains("No Managed Identity endpoint found", StringComparison.OrdinalIgnoreCase);

    /// <summary>Turns an Azure.Identity failure (<paramref name="error"/>) into an <see cref="ErrorKind.Auth"/> error that names the credential source of <paramref name="options"/> and says how to fix it.</summary>
    public static SkybridgeException Explain(Exception error, FederationOptions options)
    {
        var first = Reason(error);
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

    /// <summary>
    /// The first line of an Azure.Identity failure, completed by the identity provider's own error
    /// when the first line carries none ("ClientAssertionCredential authentication failed: " with
    /// the AADSTS code only in the inner MSAL exception).
    /// </summary>
    public static string Reason(Exception error)
    {
        var first = error.Message.Split('\n', 2)[0].Trim();
        if (error.InnerException is not { } inner || !first.EndsWith(':')) return first;
        const string marker = "Original exception: ";
        var detail = inner.Message.Contains(marker, StringComparison.Ordinal)
            ? inner.Message[(inner.Message.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..]
            : inner.Message;
        return first + " " + detail.Split('\n', 2)[0].Trim();
    }

    /// <summary>Azure.Identity repeats every retry's error; the first sentence is enough to act on.</summary>
    private static string Shorten(string message)
    {
        var cut = message.IndexOf(" Exception: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.Length > 300 ? message[..300] + "..." : message;
    }
}
