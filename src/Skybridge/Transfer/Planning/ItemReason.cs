namespace Skybridge.Transfer.Planning;

/// <summary>
/// Why an item got its action or outcome: a closed set, so summaries group by it and other
/// processes read it without parsing text. <see cref="ReasonText.Render"/> gives the wording the
/// report and summary show (some reasons carry a detail: a storage class, a key, two sizes).
/// </summary>
public enum ItemReason
{
    // Copy (from the decider)
    /// <summary>Copy: the destination has no blob of that name.</summary>
    New,
    /// <summary>Copy: <see cref="OverwriteMode.Always"/> replaces whatever is there.</summary>
    OverwriteAlways,
    /// <summary>Copy (<see cref="OverwriteMode.IfNewer"/>): the source was modified after the blob (or the copy it records).</summary>
    SourceNewer,
    /// <summary>Copy: the sizes differ.</summary>
    SizeDiffers,
    /// <summary>Copy (<see cref="CompareMode.Md5"/>): the source's plain-MD5 ETag differs from the blob's Content-MD5.</summary>
    Md5Differs,
    /// <summary>Copy (<see cref="CompareMode.Mtime"/>): the source was modified after the copy the blob records.</summary>
    SourceModified,
    /// <summary>Copy (<see cref="CompareMode.Etag"/>): the blob records no source ETag, so it cannot be shown unchanged.</summary>
    NoRecordedEtag,
    /// <summary>Copy (<see cref="CompareMode.Etag"/>): the source ETag differs from the one recorded on the blob.</summary>
    EtagDiffers,

    // Skip (from the decider)
    /// <summary>Skip: the blob exists and <see cref="OverwriteMode.Never"/> keeps it.</summary>
    ExistsOverwriteNever,
    /// <summary>Skip (<see cref="OverwriteMode.IfNewer"/>): the blob is not older than the source.</summary>
    DestinationNotOlder,
    /// <summary>Skip (<see cref="CompareMode.Size"/>): same size.</summary>
    SameSize,
    /// <summary>Skip (<see cref="CompareMode.Md5"/>): same size and MD5.</summary>
    SameMd5,
    /// <summary>Skip (<see cref="CompareMode.Mtime"/>): same size, and the source not modified since the copy.</summary>
    NotModifiedSince,
    /// <summary>Skip (<see cref="CompareMode.Etag"/>): same size and the same source ETag recorded on the blob.</summary>
    Unchanged,

    /// <summary>Listed, but outside --include/--exclude, the time or the size window.</summary>
    OutsideFilters,

    // Skip or fail (before deciding)
    /// <summary>Skip: a zero-byte key ending in '/' (a console "folder"), which has no blob counterpart.</summary>
    DirectoryMarker,
    /// <summary>Detail: the storage class.</summary>
    Archived,
    /// <summary>Detail: the name problem.</summary>
    InvalidName,
    /// <summary>Detail: the key that already claimed the name in this run.</summary>
    CollidesInRun,
    /// <summary>Detail: the key recorded on the existing blob.</summary>
    CollidesWithBlob,
    /// <summary>Skip on resume: the planned key is gone from the source.</summary>
    NoLongerInSource,
    /// <summary>Skip on resume: the planned object no longer passes the filters (it changed since).</summary>
    NoLongerMatchesFilters,

    // Verify
    /// <summary>Verify: the blob is missing.</summary>
    NotInDestination,
    /// <summary>Detail: "source N, destination M".</summary>
    VerifySizeDiffers,
    /// <summary>Verify: the blob has no Content-MD5 to compare with the source MD5.</summary>
    NoContentMd5,
    /// <summary>Verify: the blob's Content-MD5 differs from the source's MD5: a mismatch.</summary>
    ContentMd5Differs,
    /// <summary>Verify: a multipart source and no recorded ETag on the blob; only a deep (byte) verify can prove it.</summary>
    NoRecordedEtagUseDeep,
    /// <summary>Verify: the source ETag differs from the one the blob recorded at copy time.</summary>
    RecordedEtagDiffers,
    /// <summary>Verify: size and MD5 equal: a match.</summary>
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

    // Applying a saved plan: the destination is checked again just before each copy or delete.
    /// <summary>The blob already records this source version (an earlier apply of the plan copied it).</summary>
    AppliedBefore,
    /// <summary>The blob to delete is gone already.</summary>
    GoneBeforeApply,
    /// <summary>The blob was written or removed after the plan was made; detail: what changed.</summary>
    ChangedSincePlan,
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
        ItemReason.AppliedBefore => "already applied (the blob records this source version)",
        ItemReason.GoneBeforeApply => "no longer in the destination",
        ItemReason.ChangedSincePlan => $"the destination blob changed after the plan was made ({detail}): make a new plan",
        _ => detail ?? reason.ToString(),
    };
}
