namespace Skybridge.Identity;

/// <summary>Where the Entra ID token comes from.</summary>
public enum AzureCredentialKind
{
    /// <summary>Non-interactive chain: environment, workload identity, managed identity, Azure CLI.</summary>
    Default,
    /// <summary>The host's managed identity (system-assigned, or user-assigned with <see cref="AzureCredentialOptions.ClientId"/>).</summary>
    ManagedIdentity,
    /// <summary>AKS workload identity: the federated token file named by AZURE_FEDERATED_TOKEN_FILE, traded for an Entra token.</summary>
    WorkloadIdentity,
    /// <summary>Service principal from AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET or certificate.</summary>
    Environment,
    /// <summary>The account signed in to the Azure CLI (az login): for a developer's machine.</summary>
    AzureCli,
}

/// <summary>Selects and configures the Azure credential.</summary>
public sealed record AzureCredentialOptions
{
    /// <summary>Which credential source to use; <see cref="AzureCredentialKind.Default"/> tries the non-interactive chain.</summary>
    public AzureCredentialKind Kind { get; init; } = AzureCredentialKind.Default;

    /// <summary>Client id of a user-assigned managed identity (or of the app for workload identity).</summary>
    public string? ClientId { get; init; }

    /// <summary>Entra tenant (GUID or domain) to request the token from; null: the credential's own tenant.</summary>
    public string? TenantId { get; init; }

    /// <summary>Parses the <c>--azure-credential</c> value (default, managed-identity, workload-identity, environment, azure-cli, and their short forms; null or empty is default).</summary>
    /// <exception cref="SkybridgeException">Usage error (exit 2) for any other value.</exception>
    public static AzureCredentialKind ParseKind(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "default" => AzureCredentialKind.Default,
        "managed-identity" or "managedidentity" or "msi" => AzureCredentialKind.ManagedIdentity,
        "workload-identity" or "workloadidentity" => AzureCredentialKind.WorkloadIdentity,
        "environment" or "env" => AzureCredentialKind.Environment,
        "azure-cli" or "cli" or "az" => AzureCredentialKind.AzureCli,
        _ => throw SkybridgeException.Usage(
            $"--azure-credential '{value}' is not a known credential source.",
            "Use default, managed-identity, workload-identity, environment or azure-cli."),
    };
}
