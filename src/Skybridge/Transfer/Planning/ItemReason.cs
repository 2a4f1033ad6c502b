namespace Skybridge.Transfer.Planning;

/// <summary>
/// Why an item got its action or outcome: a closed set, so summaries group by it and other
/// processes read it without parsing text. <see cref="ReasonText.Render"/> gives the wording the
/// report and summary show (some reasons carry a detail: a storage class, a key, two sizes).
/// </summary>
public enum ItemReason
{
    // Copy (from the decider)
    New,
    OverwriteAlways,
    SourceNewer,
    SizeDiffers,
    Md5Differs,
    SourceModified,
    NoRecordedEtag,
    EtagDiffers,

    // Skip (from the decider)
    ExistsOverwriteNever,
    DestinationNotOlder,
    SameSize,
    SameMd5,
    NotModifiedSince,
    Unchanged,

    /// <summary>Listed, but outside --include/--exclude, the time or the size window.</summary>
    OutsideFilters,

    // Skip or fail (before deciding)
    DirectoryMarker,
    /// <summary>Detail: the storage class.</summary>
    Archived,
    /// <summary>Detail: the name problem.</summary>
    InvalidName,
    /// <summary>Detail: the key that already claimed the name in this run.</summary>
    CollidesInRun,
    /// <summary>Detail: the key recorded on the existing blob.</summary>
    CollidesWithBlob,
    NoLongerInSource,
    NoLongerMatchesFilters,

    // Verify
    NotInDestination,
    /// <summary>Detail: "source N, destination M".</summary>
    VerifySizeDiffers,
    NoContentMd5,
    ContentMd5Differs,
    NoRecordedEtagUseDeep,
    RecordedEtagDiffers,
    SizeAndMd5Equal,
    /// <summary>Detail: set when the blob was copied service-side (bytes not hashed).</summary>
    RecordedEtagEqual,
    /// <summary>Deep verify; detail: what was compared.</summary>
    BytesMatch,
    /// <summary>Deep verify; detail: what differs.</summary>
    BytesDiffer,

    // Destination-only blobs
    /// <summary>Detail: the wording with the key an encoded name decodes to, when it does.</summary>
    NotInSource,
    /// <summary>Detail: the guard that refused the deletes.</summary>
    DeleteRefused,

    /// <summary>A failure; detail: its one-line, secret-free description.</summary>
    Error,
}

/// <summary>The user-facing wording of each <see cref="ItemReason"/> (report, summary, journal).</summary>
internal static class ReasonText
{
    public static string Render(ItemReason reason, string? detail = null) => reason switch
    {
        ItemReason.New => "new",
        ItemReason.OverwriteAlways => "overwrite always",
        ItemReason.SourceNewer => "source newer",
        ItemReason.SizeDiffers => "size differs",
        ItemReason.Md5Differs => "MD5 differs",
        ItemReason.SourceModified => "source modified",
        ItemReason.NoRecordedEtag => "destination has no source ETag",
        ItemReason.EtagDiffers => "ETag differs",
        ItemReason.ExistsOverwriteNever => "exists (overwrite never)",
        ItemReason.DestinationNotOlder => "destination not older",
        ItemReason.SameSize => "same size",
        ItemReason.SameMd5 => "same MD5",
        ItemReason.NotModifiedSince => "same size, not modified since",
        ItemReason.Unchanged => "unchanged (same size and ETag)",
        ItemReason.OutsideFilters => "outside the filters",
        ItemReason.DirectoryMarker => "directory marker",
        ItemReason.Archived => $"archived ({detail}): restore it first",
        ItemReason.InvalidName => "invalid blob name: " + detail,
        ItemReason.CollidesInRun => $"blob name collides with key '{detail}' of this run",
        ItemReason.CollidesWithBlob => $"blob name collides with the blob copied from key '{detail}'",
        ItemReason.NoLongerInSource => "no longer in the source",
        ItemReason.NoLongerMatchesFilters => "no longer matches the filters",
        ItemReason.NotInDestination => "not in destination",
        ItemReason.VerifySizeDiffers => $"size differs ({detail})",
        ItemReason.NoContentMd5 => "destination has no Content-MD5",
        ItemReason.ContentMd5Differs => "Content-MD5 differs from the source MD5",
        ItemReason.NoRecordedEtagUseDeep => "destination does not record the source ETag (use --deep)",
        ItemReason.RecordedEtagDiffers => "source ETag differs from the one recorded at copy time",
        ItemReason.SizeAndMd5Equal => "size and MD5 equal",
        ItemReason.RecordedEtagEqual => "size equal, source ETag recorded at copy" + detail,
        ItemReason.NotInSource => detail ?? "not in source",
        ItemReason.DeleteRefused => "delete refused: " + detail,
        _ => detail ?? reason.ToString(),
    };
}
