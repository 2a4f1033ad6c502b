using Azure.Core;
using Azure.Identity;

namespace Skybridge.Identity;

/// <summary>
/// Builds the Azure.Identity credential for the chosen source. Azure.Identity owns token
/// acquisition and caching; Skybridge never caches Entra tokens itself.
/// </summary>
public static class AzureCredentialFactory
{
    /// <summary>The Azure.Identity credential for <paramref name="options"/>: managed identity (system- or user-assigned), workload identity (client and tenant from AZURE_CLIENT_ID / AZURE_TENANT_ID when not given), environment, Azure CLI, or the non-interactive default chain.</summary>
    public static TokenCredential Create(AzureCredentialOptions options) => options.Kind switch
    {
        AzureCredentialKind.ManagedIdentity => ManagedIdentity(options.ClientId),
        AzureCredentialKind.WorkloadIdentity => new WorkloadIdentityCredential(new WorkloadIdentityCredentialOptions
        {
            ClientId = options.ClientId ?? Environment.GetEnvironmentVariable("AZURE_CLIENT_ID"),
            TenantId = options.TenantId ?? Environment.GetEnvironmentVariable("AZURE_TENANT_ID"),
            // Instance discovery looks up login.microsoftonline.com metadata first; it is
            // pointless for a known authority and slow or failing on closed networks.
            DisableInstanceDiscovery = true,
        }),
        AzureCredentialKind.Environment => new EnvironmentCredential(),
        AzureCredentialKind.AzureCli => new AzureCliCredential(new AzureCliCredentialOptions { TenantId = options.TenantId }),
        _ => Default(options),
    };

    private static ManagedIdentityCredential ManagedIdentity(string? clientId)
    {
        var options = new ManagedIdentityCredentialOptions(clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId));
        // The default (6 retries with exponential backoff on each IMDS probe) makes a host without
        // any managed identity take over a minute to say so; 3 still rides out IMDS throttling.
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(500);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(4);
        return new ManagedIdentityCredential(options);
    }

    /// <summary>DefaultAzureCredential without anything interactive or developer-tool specific but the Azure CLI.</summary>
    private static TokenCredential Default(AzureCredentialOptions options)
    {
        var credentialOptions = new DefaultAzureCredentialOptions
        {
            ExcludeInteractiveBrowserCredential = true,
            ExcludeVisualStudioCredential = true,
            ExcludeVisualStudioCodeCredential = true,
            ExcludeAzurePowerShellCredential = true,
            ExcludeAzureDeveloperCliCredential = true,
            ExcludeBrokerCredential = true,
            DisableInstanceDiscovery = true,
        };
        if (options.ClientId is not null)
        {
            credentialOptions.ManagedIdentityClientId = options.ClientId;
            credentialOptions.WorkloadIdentityClientId = options.ClientId;
        }
        if (options.TenantId is not null) credentialOptions.TenantId = options.TenantId;
        return new DefaultAzureCredential(credentialOptions);
    }
}
