using System.Runtime.CompilerServices;
using Azure;
using Azure.Core;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Skybridge.Transfer;

namespace Skybridge.Blob;

/// <summary>
/// <see cref="IBlobDestination"/> over Azure.Storage.Blobs: flat listing with metadata, Put Blob
/// and Put Block (with a transactional MD5 when asked), Put Block List with Content-MD5/properties/metadata/tags.
/// The SDK's retry policy (exponential back-off) handles transient failures.
/// </summary>
public sealed class AzureBlobDestination(BlobContainerClient container, BlobLocation location) : IBlobDestination
{
    public string Describe => location.ToString();
    public string Prefix => location.Prefix;
    public BlobContainerClient Container => container;

    /// <summary>Keyless by default (TokenCredential); a SAS (in the URL or given apart) or a connection string when supplied.</summary>
    public static AzureBlobDestination Create(BlobLocation location, TokenCredential? credential, string? sas = null, string? connectionString = null,
        Action<BlobClientOptions>? configure = null)
    {
        var options = new BlobClientOptions();
        options.Retry.NetworkTimeout = TimeSpan.FromMinutes(5);
        configure?.Invoke(options);
        BlobContainerClient client;
        RefuseBearerOverPlainHttp(location, credential, sas, connectionString);
        if (!string.IsNullOrEmpty(connectionString) && (!string.IsNullOrEmpty(sas) || location.Sas is not null))
            throw SkybridgeException.Usage("Both a connection string and a SAS were given for the destination: it is not clear which to use.",
                "Give one of --dest-connection-string (SKYBRIDGE_DEST_CONNECTION_STRING) and --dest-sas / a SAS in the URL (SKYBRIDGE_DEST_SAS).");
        if (!string.IsNullOrEmpty(connectionString))
            client = new BlobContainerClient(connectionString, location.Container, options);
        else if (!string.IsNullOrEmpty(sas))
            client = new BlobContainerClient(location.ContainerUri, new AzureSasCredential(sas.TrimStart('?')), options);
        else if (location.Sas is not null)
            client = new BlobContainerClient(location.ContainerUriWithSas, options);
        else if (credential is not null)
            client = new BlobContainerClient(location.ContainerUri, credential, options);
        else
            throw SkybridgeException.Usage("No way to authenticate to the destination.", "Use an Azure identity (default), --dest-sas, or --dest-connection-string.");
        return new AzureBlobDestination(client, location);
    }

    /// <summary>
    /// An Entra token and a SAS are bearer secrets: over plain http anyone on the path can read and
    /// replay them. The SDK refuses a token only at the first request (an ArgumentException after a
    /// job was created); a SAS it would send. Both are refused here, before anything runs. A
    /// connection string's shared key signs requests without being sent, so it may use http (Azurite).
    /// </summary>
    private static void RefuseBearerOverPlainHttp(BlobLocation location, TokenCredential? credential, string? sas, string? connectionString)
    {
        if (location.ContainerUri.Scheme != Uri.UriSchemeHttp || !string.IsNullOrEmpty(connectionString)) return;
        var what = !string.IsNullOrEmpty(sas) || location.Sas is not null ? "a SAS" : credential is not null ? "an Azure identity's token" : null;
        if (what is null) return;
        throw SkybridgeException.Usage(
            $"The destination {location} is plain http: {what} would cross the network readable by anyone on the path.",
            "Use the https URL (https://ACCOUNT.blob.core.windows.net/CONTAINER; the emulator: Azurite with --cert/--key --oauth basic), " +
            "or, for an emulator over http, --dest-connection-string (its shared key signs requests and is never sent).");
    }

    public async IAsyncEnumerable<DestinationBlob> ListAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var pages = container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = Prefix }, ct).AsPages(pageSizeHint: 5000);
        await using var e = pages.GetAsyncEnumerator(ct);
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync().ConfigureAwait(false)) yield break;
            }
            catch (RequestFailedException x) when (x.Status == 404)
            {
                yield break; // no container yet: nothing at the destination
            }
            foreach (var b in e.Current.Values)
                yield return new DestinationBlob(b.Name, b.Properties.ContentLength ?? 0, NullIfEmpty(b.Properties.ContentHash),
                    b.Properties.LastModified ?? DateTimeOffset.MinValue, (IReadOnlyDictionary<string, string>?)b.Metadata ?? new Dictionary<string, string>());
        }
    }

    public async Task<DestinationBlob?> GetAsync(string name, CancellationToken ct)
    {
        try
        {
            var p = (await container.GetBlobClient(name).GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value;
            return new DestinationBlob(name, p.ContentLength, NullIfEmpty(p.ContentHash), p.LastModified, (IReadOnlyDictionary<string, string>)p.Metadata);
        }
        catch (RequestFailedException x) when (x.Status == 404)
        {
            return null;
        }
    }

    public async Task PutAsync(string name, ReadOnlyMemory<byte> content, BlobWrite write, CancellationToken ct)
    {
        var options = new BlobUploadOptions
        {
            HttpHeaders = Headers(write),
            Metadata = write.Metadata,
            Tags = write.Tags.Count > 0 ? write.Tags : null,
            AccessTier = Tier(write.AccessTier),
            // When asked, Content-MD5 on the request: the service refuses the write if the bytes it got
            // differ (the blob's own Content-MD5 is set either way, by the headers). The SDK computes
            // it: it refuses a precalculated one on its partitioning upload path.
            TransferValidation = new UploadTransferValidationOptions
            {
                ChecksumAlgorithm = write.VerifyOnArrival ? StorageChecksumAlgorithm.MD5 : StorageChecksumAlgorithm.None,
            },
            // One Put Blob, never split: the caller only sends objects that fit in one block. The SDK
            // uploads in one request only when length < InitialTransferSize (strictly), hence + 1;
            // with = length every object went as Put Block + Put Block List (2 requests).
            TransferOptions = new StorageTransferOptions { InitialTransferSize = content.Length + 1L, MaximumConcurrency = 1 },
        };
        await container.GetBlockBlobClient(name).UploadAsync(BinaryData.FromBytes(content).ToStream(), options, ct).ConfigureAwait(false);
    }

    public async Task StageBlockAsync(string name, string blockId, ReadOnlyMemory<byte> content, byte[]? blockMd5, CancellationToken ct)
    {
        var options = new BlockBlobStageBlockOptions
        {
            TransferValidation = blockMd5 is null
                ? new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.None }
                : new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5, PrecalculatedChecksum = blockMd5 },
        };
        await container.GetBlockBlobClient(name).StageBlockAsync(blockId, BinaryData.FromBytes(content).ToStream(), options, ct).ConfigureAwait(false);
    }

    public async Task CommitAsync(string name, IReadOnlyList<string> blockIds, BlobWrite write, CancellationToken ct)
    {
        var options = new CommitBlockListOptions
        {
            HttpHeaders = Headers(write),
            Metadata = write.Metadata,
            Tags = write.Tags.Count > 0 ? write.Tags : null,
            AccessTier = Tier(write.AccessTier),
        };
        await container.GetBlockBlobClient(name).CommitBlockListAsync(blockIds, options, ct).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string name, CancellationToken ct)
        => await container.GetBlobClient(name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct).ConfigureAwait(false);

    public async Task<Stream> OpenReadAsync(string name, CancellationToken ct)
        => (await container.GetBlobClient(name).DownloadStreamingAsync(cancellationToken: ct).ConfigureAwait(false)).Value.Content;

    public async Task<IReadOnlyList<StagedBlock>> GetUncommittedBlocksAsync(string name, CancellationToken ct)
    {
        try
        {
            var list = (await container.GetBlockBlobClient(name).GetBlockListAsync(BlockListTypes.Uncommitted, cancellationToken: ct).ConfigureAwait(false)).Value;
            return (list.UncommittedBlocks ?? []).Select(b => new StagedBlock(b.Name, b.SizeLong)).ToList();
        }
        catch (RequestFailedException x) when (x.Status == 404)
        {
            return []; // no blob and no staged blocks
        }
    }

    public async Task EnsureContainerAsync(CancellationToken ct)
    {
        try
        {
            await container.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        }
        catch (RequestFailedException x) when (x.Status == 403)
        {
            // Allowed to write blobs but not to create containers (common with a container SAS or
            // a data-plane role): go on; a missing container will show up on the first write.
        }
    }

    private static BlobHttpHeaders Headers(BlobWrite w) => new()
    {
        ContentType = w.ContentType,
        ContentEncoding = w.ContentEncoding,
        ContentLanguage = w.ContentLanguage,
        ContentDisposition = w.ContentDisposition,
        CacheControl = w.CacheControl,
        ContentHash = w.ContentMd5,
    };

    private static AccessTier? Tier(string? tier) => string.IsNullOrEmpty(tier) ? (AccessTier?)null : new AccessTier(tier); // a bare null would go through AccessTier's implicit string conversion and throw

    private static byte[]? NullIfEmpty(byte[]? hash) => hash is { Length: > 0 } ? hash : null;

    /// <summary>Validates --access-tier.</summary>
    public static string? ParseTier(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" => null,
        "hot" => "Hot",
        "cool" => "Cool",
        "cold" => "Cold",
        "archive" => "Archive",
        _ => throw SkybridgeException.Usage($"--access-tier '{value}' is not valid.", "Use hot, cool, cold or archive."),
    };
}
