using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Providers.AzureBlob;

/// <summary>
/// Service-side writes over Azure.Storage.Blobs: Put Blob From URL (SyncUploadFromUri), Put Block
/// From URL (StageBlockFromUri with x-ms-source-range) and Put Block List. Every fetch carries
/// x-ms-source-if-match with the listed ETag, so Azure never copies a newer version than the one
/// decided on. Works with any destination authorisation (Entra token, SAS, shared key); the source
/// needs none beyond its presigned URL.
/// </summary>
public sealed class AzureCopyFromUrlDestination(BlobContainerClient container) : ICopyFromUrlDestination
{
    /// <inheritdoc/>
    public Uri Endpoint => container.Uri;

    /// <inheritdoc/>
    public async Task PutFromUrlAsync(string name, PresignedUrl source, string sourceEtag, byte[]? sourceMd5, BlobWrite write, CancellationToken ct)
    {
        var options = new BlobSyncUploadFromUriOptions
        {
            HttpHeaders = Headers(write),
            Metadata = write.Metadata,
            Tags = write.Tags.Count > 0 ? write.Tags : null,
            AccessTier = Tier(write.AccessTier),
            SourceConditions = new BlobRequestConditions { IfMatch = new ETag(Quote(sourceEtag)) },
            // x-ms-source-content-md5: the service compares it with the bytes it fetched.
            ContentHash = sourceMd5,
            CopySourceBlobProperties = false,
        };
        await AzureCopySourceErrors.Call(() => container.GetBlockBlobClient(name).SyncUploadFromUriAsync(source.Url, options, ct)).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<Crc64?> StageBlockFromUrlAsync(string name, string blockId, PresignedUrl source, string sourceEtag, long offset, long length, CancellationToken ct)
    {
        var options = new StageBlockFromUriOptions
        {
            SourceRange = new HttpRange(offset, length),
            SourceConditions = new RequestConditions { IfMatch = new ETag(Quote(sourceEtag)) },
        };
        BlockInfo? block = null;
        await AzureCopySourceErrors.Call(async () => block = (await container.GetBlockBlobClient(name).StageBlockFromUriAsync(source.Url, blockId, options, ct).ConfigureAwait(false)).Value)
            .ConfigureAwait(false);
        // The CRC64 the service computed from what it fetched (x-ms-content-crc64, Azure's byte order).
        return block?.ContentCrc64 is { } crc ? AzureCrc64.FromBytes(crc) : null;
    }

    /// <inheritdoc/>
    public Task CommitAsync(string name, IReadOnlyList<string> blockIds, BlobWrite write, CancellationToken ct)
        => AzureBlobDestination.Commit(container, name, blockIds, write, ct);

    private static string Quote(string etag) => "\"" + CompositeEtag.Normalize(etag) + "\"";

    private static BlobHttpHeaders Headers(BlobWrite w) => AzureBlobDestination.Headers(w);

    private static AccessTier? Tier(string? tier) => AzureBlobDestination.Tier(tier);
}
