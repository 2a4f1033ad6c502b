using Azure.Identity;
using Skybridge.Identity;

namespace Skybridge.Setup.Doctor.Checks;

/// <summary>
/// 1. Is there an Azure credential at all? Asks it for the federation-audience token: "unavailable"
/// (no managed identity, workload identity not configured, not logged in) fails here; a refusal by
/// Entra ID (unknown audience, no app-role assignment) means the credential works and is reported
/// by the next check.
/// </summary>
internal sealed class AzureCredentialCheck() : DoctorCheck(Name, "Azure credential available")
{
    public new const string Name = "azure-credential";

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        var source = Describe(context.Federation.Azure);
        try
        {
            var (_, claims) = await context.Federated.GetEntraTokenAsync(cancellationToken).ConfigureAwait(false);
            context.FederationClaims = claims;
            return CheckOutcome.Pass($"{source}: issued a token.");
        }
        catch (SkybridgeException e) when (e.InnerException is CredentialUnavailableException)
        {
            return CheckOutcome.Fail($"{source}: {e.Message}", e.Fix);
        }
        catch (SkybridgeException e)
        {
            context.FederationTokenError = e;
            return CheckOutcome.Pass($"{source}: answered, but the token request was refused (next check).");
        }
    }

    internal static string Describe(AzureCredentialOptions o)
    {
        var kind = o.Kind switch
        {
            AzureCredentialKind.ManagedIdentity => "managed-identity",
            AzureCredentialKind.WorkloadIdentity => "workload-identity",
            AzureCredentialKind.Environment => "environment",
            AzureCredentialKind.AzureCli => "azure-cli",
            _ => "default chain (environment, workload identity, managed identity, Azure CLI)",
        };
        return "--azure-credential " + kind + (o.ClientId is null ? "" : $" (client id {o.ClientId})");
    }
}
