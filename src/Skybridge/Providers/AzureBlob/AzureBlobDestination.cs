using System.Runtime.CompilerServices;
using Azure;
using Azure.Core;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Skybridge.Transfer;

namespace Skybridge.Providers.AzureBlob;

/// <summary>
/// <see cref="IBlobDestination"/> over Azure.Storage.Blobs: flat listing with metadata, Put Blob
/// and Put Block (with a transactional MD5 when asked), Put Block List with Content-MD5/properties/metadata/tags.
/// The SDK's retry policy (exponential back-off) handles transient failures.
/// </summary>
public sealed class AzureBlobDestination(BlobContainerClient container, BlobLocation location) : IBlobDestination, IStagedBlockListing
{
    public string Describe => location.ToString();
    public string Prefix => location.Prefix;
    public BlobContainerClient Container => container;

    /// <summary>
    /// Keyless by default (TokenCredential); a SAS (in the URL or given apart) or a connection string when supplied.
    /// The from-URL calls get their own client with short retries: in auto mode a failing from-URL call
    /// falls back to streaming (which has the full retry policy) instead of backing off for ~30 s.
    /// </summary>
    public static AzureBlobDestination Create(BlobLocation location, TokenCredential? credential, string? sas = null, string? connectionString = null,
        Action<BlobClientOptions>? configure = null)
    {
        RefuseBearerOverPlainHttp(location, credential, sas, connectionString);
        if (!string.IsNullOrEmpty(connectionString) && (!string.IsNullOrEmpty(sas) || location.Sas is not null))
            throw SkybridgeException.Usage("Both a connection string and a SAS were given for the destination: it is not clear which to use.",
                "Give one of --dest-connection-string (SKYBRIDGE_DEST_CONNECTION_STRING) and --dest-sas / a SAS in the URL (SKYBRIDGE_DEST_SAS).");
        if (string.IsNullOrEmpty(connectionString) && string.IsNullOrEmpty(sas) && location.Sas is null && credential is null)
            throw SkybridgeException.Usage("No way to authenticate to the destination.", "Use an Azure identity (default), --dest-sas, or --dest-connection-string.");

        BlobContainerClient Client(Action<BlobClientOptions> retries)
        {
            var options = new BlobClientOptions();
            options.Retry.NetworkTimeout = TimeSpan.FromMinutes(5);
            retries(options);
            configure?.Invoke(options);
            if (!string.IsNullOrEmpty(connectionString)) return new BlobContainerClient(connectionString, location.Container, options);
            if (!string.IsNullOrEmpty(sas)) return new BlobContainerClient(location.ContainerUri, new AzureSasCredential(sas.TrimStart('?')), options);
            if (location.Sas is not null) return new BlobContainerClient(location.ContainerUriWithSas, options);
            return new BlobContainerClient(location.ContainerUri, credential!, options);
        }
        return new AzureBlobDestination(Client(_ => { }), location)
        {
            FromUrl = new AzureCopyFromUrlDestination(Client(o =>
            {
                o.Retry.MaxRetries = 2;
                o.Retry.Delay = TimeSpan.FromMilliseconds(200);
                o.Retry.MaxDelay = TimeSpan.FromSeconds(2);
            })),
        };
    }

    /// <summary>Put Blob / Put Block From URL for service-side copies (null: this destination is written by streaming only).</summary>
    public AzureCopyFromUrlDestination? FromUrl { get; init; }

    /// <summary>Azure block blobs' published limits; from-URL copies and staged-block listing where configured.</summary>
    public DestinationCapabilities Capabilities => _capabilities ??= AzureBlockBlob.Limits with
    {
        CopyFromUrl = FromUrl,
        CopySourceUrlLimit = Transfer.ServiceSide.PresignPolicy.CopySourceLimit,
        StagedBlocks = this,
        ListingCarriesMetadata = true,
        TransactionalMd5 = true,
    };
    private DestinationCapabilities? _capabilities;

    /// <summary>
    /// An Entra token and a SAS are bearer secrets: over plain http anyone on the path can read and
    /// replay them. The SDK refuses a token only at the first request (an ArgumentException after a
    /// job was created); a SAS it would send. Both are refused here, before anything runs. A
    /// connection string's shared key signs requests without being sent, so it may use http (Azurite).
    /// </summary>
    private static void RefuseBearerOverPlainHttp(BlobLocation location, TokenCredential? credential, string? sas, string? connectionString)
    {
        if (location.ContainerUri.Scheme != Uri.UriSchemeHttp || !string.IsNullOrEmpty(connectionString)) return;
        // A SAS to a loopback endpoint (a local emulator or sink) never leaves this host; the SDK refuses a token over http anywhere.
        var sasOnTheWire = (!string.IsNullOrEmpty(sas) || location.Sas is not null) && !IsLoopback(location.ContainerUri);
        var what = sasOnTheWire ? "a SAS" : credential is not null && string.IsNullOrEmpty(sas) && location.Sas is null ? "an Azure identity's token" : null;
        if (what is null) return;
        throw SkybridgeException.Usage(
            $"The destination {location} is plain http: {what} would cross the network readable by anyone on the path.",
            "Use the https URL (https://ACCOUNT.blob.core.windows.net/CONTAINER; the emulator: Azurite with --cert/--key --oauth basic), " +
            "or, for an emulator over http, --dest-connection-string (its shared key signs requests and is never sent).");
    }

    private static bool IsLoopback(Uri uri)
        => uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>Azure lists names in UTF-16 order; the contract (and S3) is UTF-8 order, which <see cref="Utf16ListingOrder"/> restores.</summary>
    public IAsyncEnumerable<DestinationBlob> ListAsync(CancellationToken ct) => Utf16ListingOrder.InUtf8Order(ListAsAzureOrdersAsync(ct), b => b.Name, ct);

    private async IAsyncEnumerable<DestinationBlob> ListAsAzureOrdersAsync([EnumeratorCancellation] CancellationToken ct)
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
            catch (Exception x) when (AzureErrors.Map(x) is { } mapped)
            {
                throw mapped;
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
        catch (Exception x) when (AzureErrors.Map(x) is { } mapped)
        {
            throw mapped;
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
        await AzureErrors.Call(() => container.GetBlockBlobClient(name).UploadAsync(BinaryData.FromBytes(content).ToStream(), options, ct)).ConfigureAwait(false);
    }

    public async Task StageBlockAsync(string name, string blockId, ReadOnlyMemory<byte> content, byte[]? blockMd5, CancellationToken ct)
    {
        var options = new BlockBlobStageBlockOptions
        {
            TransferValidation = blockMd5 is null
                ? new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.None }
                : new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5, PrecalculatedChecksum = blockMd5 },
        };
        await AzureErrors.Call(() => container.GetBlockBlobClient(name).StageBlockAsync(blockId, BinaryData.FromBytes(content).ToStream(), options, ct)).ConfigureAwait(false);
    }

    public Task CommitAsync(string name, IReadOnlyList<string> blockIds, BlobWrite write, CancellationToken ct) => Commit(container, name, blockIds, write, ct);

    /// <summary>Put Block List with the write's headers, metadata, tags and tier (shared with the from-URL destination).</summary>
    internal static Task Commit(BlobContainerClient container, string name, IReadOnlyList<string> blockIds, BlobWrite write, CancellationToken ct)
    {
        var options = new CommitBlockListOptions
        {
            HttpHeaders = Headers(write),
            Metadata = write.Metadata,
            Tags = write.Tags.Count > 0 ? write.Tags : null,
            AccessTier = Tier(write.AccessTier),
        };
        return AzureErrors.Call(() => container.GetBlockBlobClient(name).CommitBlockListAsync(blockIds, options, ct));
    }

    public async Task DeleteAsync(string name, CancellationToken ct)
        => await AzureErrors.Call(() => container.GetBlobClient(name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct)).ConfigureAwait(false);

    public async Task<Stream> OpenReadAsync(string name, CancellationToken ct)
        => (await AzureErrors.Call(() => container.GetBlobClient(name).DownloadStreamingAsync(cancellationToken: ct)).ConfigureAwait(false)).Value.Content;

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
        catch (Exception x) when (AzureErrors.Map(x) is { } mapped)
        {
            throw mapped;
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
        catch (Exception x) when (AzureErrors.Map(x) is { } mapped)
        {
            throw mapped;
        }
    }

    internal static BlobHttpHeaders Headers(BlobWrite w) => new()
    {
        ContentType = w.ContentType,
        ContentEncoding = w.ContentEncoding,
        ContentLanguage = w.ContentLanguage,
        ContentDisposition = w.ContentDisposition,
        CacheControl = w.CacheControl,
        ContentHash = w.ContentMd5.Length > 0 ? w.ContentMd5 : null, // unknown for a multipart source copied service-side
    };

    internal static AccessTier? Tier(string? tier) => string.IsNullOrEmpty(tier) ? (AccessTier?)null : new AccessTier(tier); // a bare null would go through AccessTier's implicit string conversion and throw

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
