namespace Skybridge.Transfer.Planning;

/// <summary>
/// A saved plan is applied later, maybe by another process: just before a planned copy or delete,
/// the destination blob is read again and the item is re-decided against what the plan saw. A blob
/// that already records the planned source version was copied by an earlier apply (so an interrupted
/// apply is simply run again); a blob written, replaced or removed by someone else since the plan
/// fails its item instead of being overwritten or deleted unseen. Pure: the caller reads the blob.
/// </summary>
public static class PlanRecheck
{
    /// <summary>The item to execute (<paramref name="planned"/> itself), or a settled skip or failure.</summary>
    /// <param name="planned">A <see cref="ItemAction.Copy"/> or <see cref="ItemAction.Delete"/> item of the plan.</param>
    /// <param name="now">The destination blob as it is now (null: none).</param>
    public static TransferItem Revise(TransferItem planned, DestinationBlob? now)
    {
        if (planned.Action == ItemAction.Copy && planned.Source is { } s && now is not null
            && now.Size == s.Size && now.RecordedSourceETag == CompositeEtag.Normalize(s.ETag))
            return planned with { Action = ItemAction.Skip, Reason = ItemReason.AppliedBefore, Detail = null };
        if (planned.Action == ItemAction.Delete && now is null)
            return planned with { Action = ItemAction.Skip, Reason = ItemReason.GoneBeforeApply, Detail = null };
        return Change(planned.Existing, now) is { } change
            ? planned with { Action = ItemAction.Fail, Reason = ItemReason.ChangedSincePlan, Detail = change }
            : planned;
    }

    /// <summary>What differs between the blob the plan saw and the blob now, or null when it is the same blob.</summary>
    private static string? Change(DestinationBlob? seen, DestinationBlob? now) => (seen, now) switch
    {
        (null, null) => null,
        (null, _) => "a blob was written where the plan saw none",
        (_, null) => "the blob was removed",
        _ when seen.Size != now.Size || seen.LastModified != now.LastModified
               || !(seen.ContentMd5 ?? []).AsSpan().SequenceEqual(now.ContentMd5 ?? []) => "the blob was replaced",
        _ => null,
    };
}
