namespace Skybridge.Transfer.Execution;

/// <summary>What proved a copied object equal to its source (the strongest check that applied).</summary>
public enum ProofKind
{
    /// <summary>Not a copy, or nothing compared the written bytes with anything.</summary>
    None,
    /// <summary>Only the per-block transactional MD5s: each hop was checked, not the source's identity.</summary>
    BlockMd5Only,
    /// <summary>Copied service-side without a digest Azure could check (multi-block or multipart source).</summary>
    ServiceUnverified,
    /// <summary>The whole-object MD5 computed here equals the source's plain-MD5 ETag.</summary>
    Md5,
    /// <summary>The multipart ETag rebuilt from the bytes read equals the source's.</summary>
    MultipartEtag,
    /// <summary>Azure compared the source MD5 with the bytes it fetched (Put Blob From URL).</summary>
    ServiceMd5,
    /// <summary>
    /// Streamed in one Put Blob whose transactional Content-MD5 is the source's plain-MD5 ETag: the
    /// destination checked the bytes on arrival (a mismatch commits nothing); nothing hashed here.
    /// </summary>
    Md5ByDestination,
    /// <summary>
    /// A multipart source copied in blocks that are its parts: each part's MD5 was computed once, by
    /// the worker that staged it (in parallel), and sent as that block's transactional MD5; the
    /// multipart ETag rebuilt from those MD5s equals the source's, checked before the commit. No
    /// whole-object MD5 exists (the blob records the proof instead of a Content-MD5).
    /// </summary>
    CompositeEtag,
    /// <summary>
    /// Streamed in blocks, each block's CRC-64/NVME computed once by the worker that staged it (in
    /// parallel) and sent as its transactional CRC64 where the destination checks one (else the
    /// block carries an MD5); the blocks' CRCs combined equal the source's full-object CRC64
    /// (S3 x-amz-checksum-crc64nvme, FULL_OBJECT), checked before the commit.
    /// </summary>
    Crc64,
}

/// <summary>The names the report, the summary and the JSON output give each <see cref="ProofKind"/>.</summary>
public static class ProofNames
{
    /// <summary>"md5-by-destination", "composite-etag", "crc64", "md5", "multipart-etag", "service-md5", "block-md5-only", "service-unverified" or "unverified".</summary>
    public static string Of(ProofKind proof) => proof switch
    {
        ProofKind.CompositeEtag => "composite-etag",
        ProofKind.Crc64 => "crc64",
        ProofKind.Md5 => "md5",
        ProofKind.MultipartEtag => "multipart-etag",
        ProofKind.Md5ByDestination => "md5-by-destination",
        ProofKind.ServiceMd5 => "service-md5",
        ProofKind.BlockMd5Only => "block-md5-only",
        ProofKind.ServiceUnverified => "service-unverified",
        _ => "unverified",
    };
}

/// <summary>
/// The result of one <see cref="Planning.TransferItem"/>: its final state, the report's wording, what
/// proved it and how the bytes travelled. Serializable with the item (<see cref="Planning.TransferItemJson"/>).
/// </summary>
public sealed record ItemOutcome
{
    /// <summary>Payload version (that of <see cref="Planning.TransferItem.CurrentVersion"/>): a newer one is refused when read.</summary>
    public int Version { get; init; } = Planning.TransferItem.CurrentVersion;
    /// <summary>The final state of the item, as the report shows it.</summary>
    public required Outcome Status { get; init; }
    /// <summary>The full, secret-free wording for the report and the summary.</summary>
    public required string Reason { get; init; }
    /// <summary>The MD5 the report shows: what the copy wrote, or the blob's Content-MD5.</summary>
    public byte[]? Md5 { get; init; }
    /// <summary>The source version copied (when the source has versions).</summary>
    public string? VersionId { get; init; }
    /// <summary>Copies: what the copier proved and wrote (the journal records it).</summary>
    public CopyResult? Copy { get; init; }
    /// <summary>What proved the copy (<see cref="ProofKind.None"/> when the item was not copied).</summary>
    public ProofKind Proof => Copy?.Proof ?? ProofKind.None;
    /// <summary>Bytes this host read from the source or the destination for the item.</summary>
    public long BytesThroughHost { get; init; }
    /// <summary>Bytes Azure fetched from the source itself for the item.</summary>
    public long BytesServiceSide { get; init; }

    /// <summary>A terminal outcome decided without executing anything.</summary>
    public static ItemOutcome Settled(Outcome status, string reason, byte[]? md5 = null) => new() { Status = status, Reason = reason, Md5 = md5 };

    /// <summary>A failure, with its secret-free <paramref name="reason"/>.</summary>
    public static ItemOutcome Failed(string reason) => Settled(Outcome.Failed, reason);
}
