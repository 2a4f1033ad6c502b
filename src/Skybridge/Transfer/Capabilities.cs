using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Transfer;

/// <summary>Digests a source's metadata carries, which a copy can be proved against without reading the source twice.</summary>
[Flags]
public enum SourceChecksums
{
    /// <summary>No digest: a copy is proved only by hashing what passes through.</summary>
    None = 0,
    /// <summary>A single-part object's ETag is the MD5 of its bytes (S3: unless SSE-KMS / SSE-C).</summary>
    EtagMd5 = 1,
    /// <summary>A multipart object's ETag is md5(concat(part MD5s))-N.</summary>
    MultipartEtag = 2,
    /// <summary>
    /// Objects may carry a full-object CRC-64/NVME (<see cref="SourceProperties.Crc64Nvme"/>, read by
    /// <see cref="SourceCapabilities.Head"/>): AWS S3 keeps one for objects uploaded since early 2025.
    /// </summary>
    Crc64Nvme = 4,
}

/// <summary>
/// What a source offers beyond <see cref="IObjectSource"/>'s small contract (rclone's Features):
/// optional abilities as nullable feature objects, limits and checksums as values. The engine
/// picks its strategies from these; nothing else asks "is it an S3 source?".
/// </summary>
public sealed record SourceCapabilities
{
    /// <summary>Listing can start after a key (a resumed job does not relist what it decided).</summary>
    public IResumableSource? ListAfter { get; init; }
    /// <summary>One level of the key hierarchy at a time (folders and objects): partitions cut at folders.</summary>
    public IFolderListing? Folders { get; init; }
    /// <summary>Presigned, version-pinned URLs another service can fetch: service-side copies.</summary>
    public IPresigningSource? Presigner { get; init; }
    /// <summary>Which digests the listing's ETags carry.</summary>
    public SourceChecksums Checksums { get; init; }
    /// <summary>Largest object the source can hold (S3: 5 TiB).</summary>
    public long MaxObjectSize { get; init; } = long.MaxValue;
    /// <summary>An object's whole body as one stream (one GET): what a one-request write reads from.</summary>
    public IStreamingSource? Streams { get; init; }
    /// <summary>An object's properties without its bytes (one HEAD), checksums included: where a full-object CRC64 comes from.</summary>
    public IObjectHead? Head { get; init; }
}

/// <summary>Reads an object's properties, pinned to its listed ETag, without its body (<see cref="SourceCapabilities.Head"/>).</summary>
public interface IObjectHead
{
    /// <summary>
    /// The object's properties with the full-object checksums the source keeps
    /// (<see cref="SourceProperties.Crc64Nvme"/>); <see cref="SourceChangedException"/> when the ETag no longer matches.
    /// </summary>
    Task<SourceProperties> HeadAsync(SourceObject obj, CancellationToken ct);
}

/// <summary>Opens an object's whole body, pinned to its listed ETag, as one forward-only stream (<see cref="SourceCapabilities.Streams"/>).</summary>
public interface IStreamingSource
{
    /// <summary>The body and the object's properties; <see cref="SourceChangedException"/> when the ETag no longer matches.</summary>
    Task<SourceBody> OpenAsync(SourceObject obj, CancellationToken ct);
}

/// <summary>An open object body; disposing it ends the response.</summary>
public sealed class SourceBody(Stream content, SourceProperties properties, IDisposable? response = null) : IAsyncDisposable
{
    /// <summary>The object's bytes, read once, front to back.</summary>
    public Stream Content => content;
    /// <summary>The object's properties, as the GET reported them (encryption, metadata, version).</summary>
    public SourceProperties Properties => properties;

    /// <summary>Ends the response (a body not read to its end is abandoned).</summary>
    public async ValueTask DisposeAsync()
    {
        await content.DisposeAsync().ConfigureAwait(false);
        response?.Dispose();
    }
}

/// <summary>Writes a whole object in one request from a forward-only stream (Azure Put Blob, up to <see cref="DestinationCapabilities.MaxSinglePut"/>).</summary>
public interface IStreamedPut
{
    /// <summary>
    /// One Put Blob of exactly <paramref name="length"/> bytes read once from <paramref name="content"/>;
    /// with <see cref="BlobWrite.VerifyOnArrival"/> its <see cref="BlobWrite.ContentMd5"/> is the
    /// transactional MD5 the service checks. The stream cannot be rewound: a failed request is not
    /// replayed here (the caller reopens the source and tries again).
    /// </summary>
    Task PutAsync(string name, Stream content, long length, BlobWrite write, CancellationToken ct);
}

/// <summary>Lists the blocks staged for a blob and not committed (Get Block List), so a resumed copy keeps them.</summary>
public interface IStagedBlockListing
{
    /// <summary>The blob's uncommitted blocks; empty when there are none.</summary>
    Task<IReadOnlyList<StagedBlock>> GetUncommittedBlocksAsync(string name, CancellationToken ct);
}

/// <summary>
/// How a destination names the blocks of one object. IDs must be deterministic for a source version
/// and a cut (a resumed copy recognises what an interrupted one staged) and unmistakable for another's.
/// </summary>
public interface IBlockIdScheme
{
    /// <summary>The id of block <paramref name="index"/> of a source with <paramref name="sourceEtag"/> cut in blocks of <paramref name="blockSize"/>: stable, so a resumed run finds the blocks it staged.</summary>
    string IdOf(int index, string sourceEtag, long blockSize);
}

/// <summary>
/// What a destination offers beyond <see cref="IBlobDestination"/> (Azure DataMovement's resources
/// that publish their limits): the block planner and the engine read these instead of constants.
/// </summary>
public sealed record DestinationCapabilities
{
    /// <summary>Largest object written in one request (Azure Put Blob: 5000 MiB).</summary>
    public long MaxSinglePut { get; init; } = long.MaxValue;
    /// <summary>Largest staged block (Azure: 4000 MiB).</summary>
    public long MaxBlockSize { get; init; } = long.MaxValue;
    /// <summary>Most blocks in one committed object (Azure: 50,000).</summary>
    public int MaxBlocks { get; init; } = int.MaxValue;
    /// <summary>The destination's names for staged blocks (Azure: <c>AzureBlockBlob.BlockId</c>).</summary>
    public required IBlockIdScheme BlockIds { get; init; }
    /// <summary>The destination's naming rules and reversible encoder (--name-policy).</summary>
    public required INameRules Names { get; init; }
    /// <summary>How the destination holds a source's metadata and tags.</summary>
    public required IMetadataRules Metadata { get; init; }
    /// <summary>The destination can pull bytes from a URL itself (Put Blob / Block From URL): service-side copies.</summary>
    public ICopyFromUrlDestination? CopyFromUrl { get; init; }
    /// <summary>Longest source URL <see cref="CopyFromUrl"/> accepts (Azure x-ms-copy-source: 2 KiB).</summary>
    public int CopySourceUrlLimit { get; init; } = PresignPolicy.CopySourceLimit;
    /// <summary>Uncommitted blocks can be listed, so a resumed copy keeps what an interrupted one staged.</summary>
    public IStagedBlockListing? StagedBlocks { get; init; }
    /// <summary>Listing can start after a name (a planned page or key range does not relist the blobs before it).</summary>
    public IResumableDestination? ListAfter { get; init; }
    /// <summary>The listing carries each blob's metadata (no extra call per blob to decide "unchanged").</summary>
    public bool ListingCarriesMetadata { get; init; }
    /// <summary>Writes can carry a transactional MD5 the service checks (Content-MD5 on Put Block / Put Blob).</summary>
    public bool TransactionalMd5 { get; init; }
    /// <summary>Whole objects can be written in one request from a stream (no buffering, no blocks).</summary>
    public IStreamedPut? StreamedPut { get; init; }
    /// <summary>
    /// Put Block can carry a transactional CRC-64/NVME the service checks on arrival (Azure:
    /// x-ms-content-crc64); null where it cannot (Azurite refuses it): then blocks carry an MD5.
    /// </summary>
    public ICrc64Staging? TransactionalCrc64 { get; init; }
}

/// <summary>Put Block with a transactional CRC64 (<see cref="DestinationCapabilities.TransactionalCrc64"/>).</summary>
public interface ICrc64Staging
{
    /// <summary>Stages the block; the service refuses it (nothing staged) unless its bytes have <paramref name="crc"/>.</summary>
    Task StageBlockAsync(string name, string blockId, ReadOnlyMemory<byte> content, Crc64 crc, CancellationToken ct);
}
