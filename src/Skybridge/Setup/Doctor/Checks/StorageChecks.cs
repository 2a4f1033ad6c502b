using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs.Models;
using Skybridge.Providers.AzureBlob;
using Skybridge.Identity;

namespace Skybridge.Setup.Doctor.Checks;

/// <summary>6. A token for Azure Storage (https://storage.azure.com/.default) from the same identity.</summary>
public sealed class StorageTokenCheck() : DoctorCheck(Name, "Entra ID token for Azure Storage", AzureCredentialCheck.Name)
{
    public new const string Name = "storage-token";
    public const string Scope = "https://storage.azure.com/.default";

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        AccessToken token;
        try
        {
            token = await context.AzureCredential.GetTokenAsync(new TokenRequestContext([Scope], tenantId: context.Federation.Azure.TenantId), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CredentialUnavailableException or AuthenticationFailedException)
        {
            return CheckOutcome.Fail($"Entra ID refused a token for {Scope}: {DoctorRunner.FirstLine(e.Message)}",
                "The identity must be able to get storage tokens: check --client-id / --tenant-id; 'skybridge doctor' then checks the container role.");
        }
        var claims = TokenClaims.Decode(token.Token);
        context.StorageClaims = claims;
        return CheckOutcome.Pass($"iss={claims.Issuer} aud={claims.Audience} ver={claims.Version ?? "?"} oid={claims.ObjectId} exp={claims.ExpiresOn:u}.");
    }
}

/// <summary>7a. The destination container answers Get Container Properties with this identity (missing: see <see cref="ContainerCreation"/>).</summary>
public sealed class ContainerCheck() : DoctorCheck(Name, "Destination container reachable", StorageTokenCheck.Name)
{
    public new const string Name = "container";

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        if (context.Destination is not { } dst) return CheckOutcome.Skip("no destination given (DST https://account.blob.core.windows.net/container, or the 'destination' setting).");
        var container = context.ContainerClient(dst);
        try
        {
            var p = (await container.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return CheckOutcome.Pass($"{dst.ContainerUri} exists (last modified {p.LastModified:u}); authorised by {context.DestinationAuth}.");
        }
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            var outcome = await ContainerCreation.MissingAsync(container, dst, context, cancellationToken).ConfigureAwait(false);
            context.ContainerMissing = outcome.Status != DoctorStatus.Passed;
            return outcome;
        }
        catch (RequestFailedException e)
        {
            return BlobDiagnosis.Explain(e, "read the container's properties", dst, context.StorageClaims, write: false);
        }
    }
}

/// <summary>7b. A probe blob is written and deleted under the destination prefix (opt out with --no-write-probe).</summary>
public sealed class ContainerWriteCheck() : DoctorCheck(Name, "Destination container writable", ContainerCheck.Name)
{
    public new const string Name = "container-write";
    public const string ProbePrefix = ".skybridge-doctor-probe-";

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        var dst = context.Destination!;
        if (!context.WriteProbe) return CheckOutcome.Skip("--no-write-probe: not tested.");
        if (context.ContainerMissing) return CheckOutcome.Skip("the container does not exist yet: copy creates it before its first write.");
        var name = dst.Prefix + ProbePrefix + Guid.NewGuid().ToString("N");
        var blob = context.ContainerClient(dst).GetBlobClient(name);
        try
        {
            await blob.UploadAsync(BinaryData.FromString("skybridge doctor write probe; safe to delete"), overwrite: false, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            return BlobDiagnosis.Explain(e, "write a blob", dst, context.StorageClaims, write: true);
        }
        try
        {
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            return CheckOutcome.Warn($"wrote probe blob '{name}' but could not delete it ({e.Status} {e.ErrorCode}).",
                $"Delete '{name}' by hand; copies that overwrite or prune need delete permission (Storage Blob Data Contributor).");
        }
        return CheckOutcome.Pass($"wrote and deleted probe blob '{name}'.");
    }
}

/// <summary>Maps Azure Storage refusals to a fix.</summary>
public static class BlobDiagnosis
{
    public static CheckOutcome Explain(RequestFailedException e, string what, BlobLocation dst, TokenClaims? identity, bool write)
    {
        var who = identity?.ObjectId is { } oid ? $"the identity (object id {oid})" : "the identity";
        var role = write ? "Storage Blob Data Contributor" : "Storage Blob Data Reader (Contributor to copy)";
        if (e.Status is 401 or 403)
            return CheckOutcome.Fail($"Azure Storage refused to {what} in {dst.ContainerUri}: {e.Status} {e.ErrorCode}.",
                $"Grant {who} '{role}' on the container (scope .../storageAccounts/{dst.AccountName}/blobServices/default/containers/{dst.Container}); " +
                "'skybridge setup azure' prints the role assignment. Role assignments take a few minutes to apply.");
        if (e.Status == 404 && e.ErrorCode == BlobErrorCode.ContainerNotFound)
            return CheckOutcome.Fail($"the container '{dst.Container}' does not exist in account '{dst.AccountName}'.",
                $"Create it (az storage container create --auth-mode login --account-name {dst.AccountName} --name {dst.Container}) or fix the container in DST.");
        if (e.Status == 404)
            return CheckOutcome.Fail($"{dst.ContainerUri} was not found ({e.ErrorCode ?? "404"}): wrong account or container.", "Check the account and container in DST.");
        if (e.Status == 0)
            return CheckOutcome.Fail($"the storage account at {dst.ContainerUri.GetLeftPart(UriPartial.Authority)} could not be reached: {DoctorRunner.FirstLine(e.Message)}",
                "Check the account name in DST (https://ACCOUNT.blob.core.windows.net/CONTAINER) and the network path (firewall, private endpoint, DNS).");
        return CheckOutcome.Fail($"Azure Storage refused to {what}: {e.Status} {e.ErrorCode} {DoctorRunner.FirstLine(e.Message)}", "Check DST and the identity's role on the container.");
    }
}
