namespace Skybridge.Transfer;

/// <summary>
/// The entries a copy records with every object it writes (as metadata), which let a later run
/// skip unchanged objects and let verify prove equality with no local state. A destination stores
/// them as given and returns them in its listing (<see cref="DestinationBlob"/> reads them back).
/// </summary>
public static class ProvenanceKeys
{
    /// <summary>Every entry of ours starts with this; a source's own metadata never does (the destination moves it aside).</summary>
    public const string Prefix = "skybridge_";
    /// <summary>The source bucket.</summary>
    public const string SourceBucket = "skybridge_source_bucket";
    /// <summary>The source key, URL-escaped.</summary>
    public const string SourceKey = "skybridge_source_key";
    /// <summary>The source version id copied (versioned buckets only).</summary>
    public const string SourceVersion = "skybridge_source_version";
    /// <summary>The source ETag at copy time: what <see cref="CompareMode.Etag"/> and verify compare.</summary>
    public const string SourceEtag = "skybridge_source_etag";
    /// <summary>The source size in bytes.</summary>
    public const string SourceSize = "skybridge_source_size";
    /// <summary>The source last-modified time (ISO 8601): what <see cref="CompareMode.Mtime"/> and if-newer compare.</summary>
    public const string SourceLastModified = "skybridge_source_last_modified";
    /// <summary>How the bytes were written (<see cref="ServiceSide.TransferModes.Service"/> when the destination fetched them).</summary>
    public const string CopyMode = "skybridge_copy_mode";
    /// <summary>
    /// The proof of a copy made part by part, which left no whole-object Content-MD5 (its name:
    /// "composite-etag", "crc64", or "block-md5-only" for an SSE-KMS/SSE-C source whose ETag proves nothing),
    /// so verify tells such a blob from one whose Content-MD5 was removed.
    /// </summary>
    public const string Proof = "skybridge_proof";
}

/// <summary>How a destination stores a source's metadata and tags under its own rules (Azure: C# identifier keys, index-tag limits).</summary>
public interface IMetadataRules
{
    /// <summary>The object's user metadata made valid for the destination, plus the <see cref="ProvenanceKeys"/> entries.</summary>
    Dictionary<string, string> Build(string bucket, SourceObject source, SourceProperties props, string? versionId);

    /// <summary>The source's tags the destination accepts as they are, and the keys of those it cannot hold (never altered).</summary>
    (Dictionary<string, string> Tags, List<string> Dropped) MapTags(IReadOnlyDictionary<string, string> sourceTags);
}
