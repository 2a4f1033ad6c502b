namespace Skybridge.Transfer;

/// <summary>
/// The read side, as small as rclone's fs.Fs: list in key order, read a byte range pinned to an
/// ETag, and two optional look-ups (part sizes for multipart ETags, tags).
/// </summary>
public interface IObjectSource
{
    /// <summary>Human-readable location, e.g. s3://bucket/prefix/ (no secrets).</summary>
    string Describe { get; }

    /// <summary>Bucket name recorded in provenance metadata.</summary>
    string Bucket { get; }

    /// <summary>Key prefix listed ("" or ending in '/'); relative names are the key minus this prefix.</summary>
    string Prefix { get; }

    /// <summary>What the source offers beyond this contract (resumable listing, presigning, checksums, limits).</summary>
    SourceCapabilities Capabilities { get; }

    /// <summary>Every object under <see cref="Prefix"/> in UTF-8 binary key order, paged, never all in memory.</summary>
    IAsyncEnumerable<SourceObject> ListAsync(CancellationToken ct);

    /// <summary>
    /// Reads exactly <paramref name="destination"/>.Length bytes at <paramref name="offset"/>, only if the
    /// object still has <see cref="SourceObject.ETag"/> (else <see cref="SourceChangedException"/>).
    /// Returns the object's properties (every GET carries them).
    /// </summary>
    Task<SourceProperties> ReadAsync(SourceObject obj, long offset, Memory<byte> destination, CancellationToken ct);

    /// <summary>
    /// Sizes of parts 1..<paramref name="partCount"/> of a multipart object (to rebuild its ETag), or
    /// null when the server cannot tell (it ignores partNumber).
    /// </summary>
    Task<IReadOnlyList<long>?> GetPartSizesAsync(SourceObject obj, int partCount, CancellationToken ct);

    /// <summary>The object's tags (empty when none).</summary>
    Task<IReadOnlyDictionary<string, string>> GetTagsAsync(SourceObject obj, CancellationToken ct);
}

/// <summary>The object changed (ETag no longer matches) between listing and reading, or mid-copy.</summary>
public sealed class SourceChangedException(string key, Exception? inner = null)
    : SkybridgeException(ErrorKind.SourceChanged, $"source object '{key}' changed during the copy (ETag no longer matches); it will be copied by the next run", inner: inner);

/// <summary>A source's listing that can start after a key (S3 ListObjectsV2 StartAfter): <see cref="SourceCapabilities.ListAfter"/>.</summary>
public interface IResumableSource
{
    /// <summary>Objects with keys after <paramref name="startAfter"/> (UTF-8 binary order), in key order.</summary>
    IAsyncEnumerable<SourceObject> ListAfterAsync(string startAfter, CancellationToken ct);

    /// <summary>One object as a listing would show it now, or null when it no longer exists.</summary>
    Task<SourceObject?> GetAsync(string key, CancellationToken ct);
}

/// <summary>
/// A source's listing of one level of its key hierarchy (S3 ListObjectsV2 with delimiter '/'):
/// <see cref="SourceCapabilities.Folders"/>. Partition discovery cuts a key space at its folders
/// without listing every key.
/// </summary>
public interface IFolderListing
{
    /// <summary>
    /// The level under <paramref name="prefix"/> (a full key prefix, "" or ending in '/'): its objects
    /// and its folders (common prefixes, ending in '/'), merged in UTF-8 binary order, paged, never all
    /// in memory. With <paramref name="startAfter"/>: only objects after it and folders that can hold
    /// keys after it (a folder the key lies in is listed).
    /// </summary>
    IAsyncEnumerable<FolderEntry> ListLevelAsync(string prefix, string? startAfter, CancellationToken ct);
}

/// <summary>One entry of a level listing: an object key, or a folder (a common prefix ending in '/').</summary>
public readonly record struct FolderEntry(string Name, bool IsFolder);
