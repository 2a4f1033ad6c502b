namespace Skybridge.Transfer;

/// <summary>What a blob is written with: HTTP headers, Content-MD5, metadata, index tags, tier.</summary>
public sealed record BlobWrite
{
    /// <summary>Content-Type header; null: none.</summary>
    public string? ContentType { get; init; }
    /// <summary>Content-Encoding header; null: none.</summary>
    public string? ContentEncoding { get; init; }
    /// <summary>Content-Language header; null: none.</summary>
    public string? ContentLanguage { get; init; }
    /// <summary>Content-Disposition header; null: none.</summary>
    public string? ContentDisposition { get; init; }
    /// <summary>Cache-Control header; null: none.</summary>
    public string? CacheControl { get; init; }
    /// <summary>MD5 of the whole content (16 bytes), stored as the blob's Content-MD5 so a later verify can compare it.</summary>
    public required byte[] ContentMd5 { get; init; }
    /// <summary>Blob metadata (already mapped to the destination's rules), provenance keys included.</summary>
    public IDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    /// <summary>Blob index tags (already mapped to the destination's rules); empty: none.</summary>
    public IDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    /// <summary>Access tier (Hot, Cool, Cold, Archive); null: the account's default.</summary>
    public string? AccessTier { get; init; }
    /// <summary>Put Blob only: send <see cref="ContentMd5"/> as a transactional MD5, so the service refuses bytes that changed on the way.</summary>
    public bool VerifyOnArrival { get; init; } = true;
}

/// <summary>
/// The write side: list in name order, one-shot put, staged blocks + commit, delete, read back.
/// Implementations let the SDK own retries; every failure surfaces as an exception.
/// </summary>
public interface IBlobDestination
{
    /// <summary>Human-readable location without any SAS or key.</summary>
    string Describe { get; }

    /// <summary>What the destination offers beyond this contract (limits, from-URL copies, staged-block listing).</summary>
    DestinationCapabilities Capabilities { get; }

    /// <summary>Blob-name prefix ("" or ending in '/').</summary>
    string Prefix { get; }

    /// <summary>Every blob under <see cref="Prefix"/> in UTF-8 binary name order, with metadata.</summary>
    IAsyncEnumerable<DestinationBlob> ListAsync(CancellationToken ct);

    /// <summary>One blob's properties, or null when it does not exist.</summary>
    Task<DestinationBlob?> GetAsync(string name, CancellationToken ct);

    /// <summary>Writes the whole blob <paramref name="name"/> in one request (replacing any blob of that name).</summary>
    Task PutAsync(string name, ReadOnlyMemory<byte> content, BlobWrite write, CancellationToken ct);

    /// <summary>Put Block, with a transactional MD5 when <paramref name="blockMd5"/> is given (the service rejects the block if the bytes differ).</summary>
    Task StageBlockAsync(string name, string blockId, ReadOnlyMemory<byte> content, byte[]? blockMd5, CancellationToken ct);

    /// <summary>Commits the staged blocks <paramref name="blockIds"/>, in order, as the blob <paramref name="name"/>: until then readers see the old blob or none.</summary>
    Task CommitAsync(string name, IReadOnlyList<string> blockIds, BlobWrite write, CancellationToken ct);

    /// <summary>Deletes the blob <paramref name="name"/> (sync --delete).</summary>
    Task DeleteAsync(string name, CancellationToken ct);

    /// <summary>Opens the blob's content for reading (deep verify).</summary>
    Task<Stream> OpenReadAsync(string name, CancellationToken ct);

    /// <summary>Creates the container if it does not exist (no-op when it does or when not permitted to check).</summary>
    Task EnsureContainerAsync(CancellationToken ct);
}

/// <summary>
/// A destination's listing that can start at a name (Azure List Blobs <c>startFrom</c>):
/// <see cref="DestinationCapabilities.ListAfter"/>. A planner that covers one page or one key range
/// lists the destination from there instead of from the prefix's start, dropping every name before
/// it (quadratic over a partition's pages, and over the partitions of one prefix).
/// </summary>
public interface IResumableDestination
{
    /// <summary>Blobs under the prefix with names after <paramref name="after"/> (UTF-8 binary order, exclusive), in that order, with metadata.</summary>
    IAsyncEnumerable<DestinationBlob> ListAfterAsync(string after, CancellationToken ct);
}
