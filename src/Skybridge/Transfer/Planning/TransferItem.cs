namespace Skybridge.Transfer.Planning;

/// <summary>What the planner decided for one entry of the merged listings.</summary>
public enum ItemAction
{
    /// <summary>Listed, but outside the filters: only counted and passed by the listing watermark.</summary>
    Excluded,
    /// <summary>Copy the object to <see cref="TransferItem.BlobName"/>.</summary>
    Copy,
    /// <summary>Leave it: unchanged, or not copyable here (the reason says which).</summary>
    Skip,
    /// <summary>Count it as failed without trying: a name collision, a name the destination cannot hold under <see cref="NamePolicy.Fail"/>, or an error while planning.</summary>
    Fail,
    /// <summary>Verify: the listings show the blob equals the source.</summary>
    Match,
    /// <summary>Verify: no blob for the source object.</summary>
    Missing,
    /// <summary>Verify: the listings show the blob differs.</summary>
    Mismatch,
    /// <summary>Verify --deep / --hash: read the blob back (and maybe the source) to decide.</summary>
    DeepVerify,
    /// <summary>A destination-only blob: an extra for verify, a delete candidate for sync --delete.</summary>
    Extra,
    /// <summary>Delete a destination-only blob (sync --delete, after the guards passed).</summary>
    Delete,
}

/// <summary>Where an item came from: this run's listing, or a resumed job's unfinished objects.</summary>
public enum ItemOrigin
{
    /// <summary>Planned from this run's listings.</summary>
    Listing,
    /// <summary>An object a resumed job had planned but not finished.</summary>
    Resumed,
}

/// <summary>
/// One self-contained unit of work: everything needed to execute it (the source object as listed,
/// the destination name, the blob found there) and why it was decided. Serializable
/// (<see cref="TransferItemJson"/>), so the process that executes it need not be the one that planned it.
/// </summary>
public sealed record TransferItem
{
    /// <summary>Payload version: bump it when a field changes meaning, so an older reader refuses instead of guessing.</summary>
    public int Version { get; init; } = CurrentVersion;
    /// <summary>The payload version this build writes and the newest it reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>What to do with the entry.</summary>
    public required ItemAction Action { get; init; }
    /// <summary>Why (its wording comes from the reason and <see cref="Detail"/>).</summary>
    public required ItemReason Reason { get; init; }
    /// <summary>The parameter of <see cref="Reason"/> (a storage class, a colliding key, sizes), when it has one.</summary>
    public string? Detail { get; init; }
    /// <summary>Set when the key was encoded into another blob name: the problem the encoding avoided.</summary>
    public string? RenamedBecause { get; init; }

    /// <summary>The source object as listed (null for destination-only blobs).</summary>
    public SourceObject? Source { get; init; }
    /// <summary>The blob name (with the destination prefix), or null when the key has no valid name.</summary>
    public string? BlobName { get; init; }
    /// <summary>The blob the destination already has under <see cref="BlobName"/>, if any.</summary>
    public DestinationBlob? Existing { get; init; }
    /// <summary>Whether this run's listing or a resumed job produced the item.</summary>
    public ItemOrigin Origin { get; init; } = ItemOrigin.Listing;

    /// <summary>The decision's wording, with the rename note (what plan, report and journal show).</summary>
    public string Text => ReasonText.Render(Reason, Detail) + (RenamedBecause is null ? "" : $" (renamed: {RenamedBecause})");

    /// <summary>The decision's wording without per-object notes, so the summary can group by it.</summary>
    public string Group => ReasonText.Render(Reason, Detail);

    /// <summary>The name shown for this item: the source key, or the blob name of a destination-only blob.</summary>
    public string Name => Source?.Key ?? BlobName ?? "";
}
