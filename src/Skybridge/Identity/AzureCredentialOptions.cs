namespace Skybridge.Identity;

/// <summary>Where the Entra ID token comes from.</summary>
public enum AzureCredentialKind
{
    /// <summary>Non-interactive chain: environment, workload identity, managed identity, Azure CLI.</summary>
    Default,
    ManagedIdentity,
    WorkloadIdentity,
    /// <summary>Service principal from AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET or certificate.</summary>
    Environment,
    AzureCli,
}

/// <summary>Selects and configures the Azure credential.</summary>
public sealed record AzureCredentialOptions
{
    public AzureCredentialKind Kind { get; init; } = AzureCredentialKind.Default;

    /// <summary>Client id of a user-assigned managed identity (or of the app for workload identity).</summary>
    public string? ClientId { get; init; }

    public string? TenantId { get; init; }

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
