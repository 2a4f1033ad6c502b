using System.Web;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Skybridge.Providers.AzureBlob;

namespace Skybridge.Setup.Doctor.Checks;

/// <summary>
/// Check 7 when the destination container does not exist: copy creates it (Create Container if
/// not exists) when its credential may, so a missing container is a warning then and a failure
/// when it may not. Doctor finds out without creating anything:
/// <list type="bullet">
/// <item>a shared key (connection string) may create containers;</item>
/// <item>a SAS says so itself: an account SAS whose resource types (srt) include c and whose
/// permissions (sp) include c or w may; a service SAS (sr=...) is scoped to one container and cannot;</item>
/// <item>an Azure identity is asked with a Delete Container that cannot delete anything: Azure
/// authorises before it looks the container up, so 403 means the identity holds no container
/// rights, and 404 ContainerNotFound means it does (the built-in roles that may delete containers,
/// Storage Blob Data Contributor/Owner, may create them). The request carries
/// If-Unmodified-Since 2000-01-01: had the container been created meanwhile, Azure answers
/// 412 and keeps it.</item>
/// </list>
/// </summary>
public static class ContainerCreation
{
    /// <summary>No container was modified before this: the probe's precondition can never hold for a real one.</summary>
    public static readonly DateTimeOffset NeverModifiedBefore = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<CheckOutcome> MissingAsync(BlobContainerClient container, BlobLocation dst, DoctorContext context, CancellationToken ct)
    {
        var missing = $"the container '{dst.Container}' does not exist in account '{dst.AccountName}'";
        var create = $"az storage container create --auth-mode login --account-name {dst.AccountName} --name {dst.Container}";
        var (mayCreate, evidence) = context.DestinationConnectionString is { } cs ? FromConnectionString(cs)
            : (context.DestinationSas ?? dst.Sas) is { } sas ? FromSas(sas)
            : await ProbeIdentityAsync(container, ct).ConfigureAwait(false);
        return mayCreate switch
        {
            true => CheckOutcome.Warn($"{missing} yet: copy will create it ({evidence}).",
                $"Nothing to do: the first copy or sync creates it. To create it now: {create}."),
            false => CheckOutcome.Fail($"{missing}, and copy could not create it: {evidence}.",
                $"Create it ({create}) with an identity that may, grant 'Storage Blob Data Contributor' on the storage account, or fix the container in DST."),
            null => CheckOutcome.Pass($"{dst.ContainerUri} exists now ({evidence})."),
        };
    }

    /// <summary>True/false: may or may not create; null: the container exists after all.</summary>
    public static async Task<(bool? MayCreate, string Evidence)> ProbeIdentityAsync(BlobContainerClient container, CancellationToken ct)
    {
        try
        {
            await container.DeleteAsync(new BlobRequestConditions { IfUnmodifiedSince = NeverModifiedBefore }, ct).ConfigureAwait(false);
            return (true, "Azure accepted a Delete Container conditioned on never having been modified; the container is gone"); // no real container matches
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (true, "the identity has container rights on the account: a conditional Delete Container was answered 404 ContainerNotFound, not 403");
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            return (false, $"the identity has no container rights on the account (a conditional Delete Container was refused: {e.Status} {e.ErrorCode})");
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return (null, "created meanwhile: a conditional Delete Container was answered 412 and left it alone");
        }
    }

    public static (bool MayCreate, string Evidence) FromSas(string sas)
    {
        var q = HttpUtility.ParseQueryString(sas.TrimStart('?'));
        var sp = q["sp"] ?? "";
        if (q["sr"] is { } sr)
            return (false, $"the SAS is a service SAS (sr={sr}): it is scoped to one container or blob and cannot create the container");
        var srt = q["srt"] ?? "";
        return srt.Contains('c') && (sp.Contains('c') || sp.Contains('w'))
            ? (true, $"the account SAS allows it: srt={srt}, sp={sp}")
            : (false, $"the account SAS does not allow it (srt={srt}, sp={sp}; creating a container needs srt with c and sp with c or w)");
    }

    public static (bool MayCreate, string Evidence) FromConnectionString(string connectionString)
    {
        foreach (var part in connectionString.Split(';'))
            if (part.StartsWith("SharedAccessSignature=", StringComparison.OrdinalIgnoreCase))
                return FromSas(part[(part.IndexOf('=') + 1)..]);
        return (true, "the connection string's shared key may create containers");
    }
}
