namespace Skybridge.Transfer.ServiceSide;

/// <summary>A source Azure can read by itself: presigned GET URLs pinned to an object version, plus a HEAD for properties.</summary>
public interface IPresigningSource
{
    /// <summary>The S3 endpoint the URLs point at (to judge whether Azure can reach it).</summary>
    Uri Endpoint { get; }

    /// <summary>A fresh presigned GET URL for <paramref name="obj"/> (its version when listed with one), expiring no later than its credential session.</summary>
    Task<PresignedUrl> PresignAsync(SourceObject obj, CancellationToken ct);

    /// <summary>Properties of the object, only if it still has <see cref="SourceObject.ETag"/> (else <see cref="SourceChangedException"/>).</summary>
    Task<SourceProperties> HeadAsync(SourceObject obj, CancellationToken ct);
}

/// <summary>A destination that can pull bytes from a URL itself (Azure Put Blob From URL / Put Block From URL).</summary>
public interface ICopyFromUrlDestination
{
    /// <summary>The Blob endpoint (to judge whether it can reach the source).</summary>
    Uri Endpoint { get; }

    /// <summary>
    /// Put Blob From URL: the whole source in one call, with properties, metadata and tags.
    /// <paramref name="sourceMd5"/>, when given, is checked by the service against the bytes it fetched.
    /// The source is fetched only if its ETag is still <paramref name="sourceEtag"/>.
    /// </summary>
    Task PutFromUrlAsync(string name, PresignedUrl source, string sourceEtag, byte[]? sourceMd5, BlobWrite write, CancellationToken ct);

    /// <summary>
    /// Put Block From URL: bytes [offset, offset+length) of the source, only if its ETag is still
    /// <paramref name="sourceEtag"/>. Returns the block's CRC64 as the service computed it from the
    /// bytes it fetched (Azure: x-ms-content-crc64 of the response), or null when it did not say.
    /// </summary>
    Task<Crc64?> StageBlockFromUrlAsync(string name, string blockId, PresignedUrl source, string sourceEtag, long offset, long length, CancellationToken ct);

    /// <summary>Put Block List with headers, metadata, tags, and Content-MD5 unless it is unknown (empty: a multipart source).</summary>
    Task CommitAsync(string name, IReadOnlyList<string> blockIds, BlobWrite write, CancellationToken ct);
}
