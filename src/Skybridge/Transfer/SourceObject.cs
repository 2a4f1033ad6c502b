namespace Skybridge.Transfer;

/// <summary>
/// One object as the source listing reports it (S3 ListObjectsV2): enough to decide copy/skip
/// without reading it. <see cref="ETag"/> is unquoted.
/// </summary>
public sealed record SourceObject(
    string Key,
    long Size,
    string ETag,
    DateTimeOffset LastModified,
    string? StorageClass = null,
    string? VersionId = null)
{
    /// <summary>A 0-byte key ending in '/': what consoles create for "folders". Not data.</summary>
    public bool IsDirectoryMarker => Size == 0 && Key.EndsWith('/');

    /// <summary>Objects that cannot be read without a restore (Glacier Flexible Retrieval, Deep Archive).</summary>
    public bool IsArchived => StorageClass is "GLACIER" or "DEEP_ARCHIVE";

    /// <summary>The S3 ETag is a plain MD5 of the bytes (single PUT, no SSE-KMS/SSE-C): 32 hex digits.</summary>
    public bool ETagIsMd5 => CompositeEtag.IsPlainMd5(ETag);

    /// <summary>Number of parts of a multipart upload ("…-N"), or null for a single-part object.</summary>
    public int? MultipartCount => CompositeEtag.PartCount(ETag);
}

/// <summary>HTTP properties and user metadata that travel with an object (read from the GET response).</summary>
public sealed record SourceProperties
{
    /// <summary>Content-Type; null when the object has none.</summary>
    public string? ContentType { get; init; }
    /// <summary>Content-Encoding; null when the object has none.</summary>
    public string? ContentEncoding { get; init; }
    /// <summary>Content-Language; null when the object has none.</summary>
    public string? ContentLanguage { get; init; }
    /// <summary>Content-Disposition; null when the object has none.</summary>
    public string? ContentDisposition { get; init; }
    /// <summary>Cache-Control; null when the object has none.</summary>
    public string? CacheControl { get; init; }
    /// <summary>User metadata (x-amz-meta-*), names without the prefix.</summary>
    public IReadOnlyDictionary<string, string> UserMetadata { get; init; } = new Dictionary<string, string>();
    /// <summary>How many tags the object has (the tags themselves are read only when they are copied); -1 when the response did not say.</summary>
    public int TagCount { get; init; }
    /// <summary>The version read; null when the bucket is not versioned.</summary>
    public string? VersionId { get; init; }
    /// <summary>SSE-KMS / SSE-C objects: their ETag is not an MD5 of the bytes, so it cannot prove integrity.</summary>
    public bool EtagIsNotDigest { get; init; }
    /// <summary>
    /// The object's full-object CRC-64/NVME, when the response carried one (S3: x-amz-checksum-crc64nvme
    /// of type FULL_OBJECT; a COMPOSITE one, a CRC of part CRCs, is not the bytes' CRC and stays null).
    /// </summary>
    public Crc64? Crc64Nvme { get; init; }
}
