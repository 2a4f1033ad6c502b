using System.Runtime.CompilerServices;

namespace Skybridge.Transfer.Planning;

/// <summary>
/// Turns one source prefix and its destination into <see cref="TransferItem"/>s: the two listings
/// merged (<see cref="March"/>), the filter, blob naming and collisions, then the decision (copy /
/// skip / fail, or for verify match / missing / mismatch / deep-verify), and the destination-only
/// blobs. It reads the listings, and the destination for an encoded name (which sorts apart from its
/// key); it writes nothing and reports nothing: whoever consumes the items records them. A resumed
/// job's unfinished objects (<see cref="ITransferJournal.Items"/>) are re-decided first, then the listing
/// continues after the watermark. Items come out in decision order; the caller must consume each
/// before asking for the next (collision checks depend on what was claimed before). A planner can
/// cover one <see cref="KeyRange"/> of the source, so that many planners (or processes) share a bucket.
/// </summary>
public sealed class Planner(IObjectSource source, IBlobDestination destination, TransferOptions options, RunMode mode,
    ITransferJournal? resume = null, KeyRange? range = null)
{
    private readonly KeyRange _range = range ?? KeyRange.All;
    private readonly Dictionary<string, string> _claimedNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _renamed = new(StringComparer.Ordinal);
    private readonly RenamedSourceKeys _renamedKeys = new();
    private INameRules Names => destination.Capabilities.Names;
    private bool Verify => mode == RunMode.Verify;
    private bool WantsExtras => Verify || options.Delete;
    private ResumePoint? Point => mode is RunMode.Copy or RunMode.Sync ? resume?.Partition.Resume : null;

    /// <summary>Source objects that passed the filter, this run and (resumed) the job's earlier runs: the delete guard's "is the source empty?".</summary>
    public long SourcesInScope { get; private set; }

    /// <summary>
    /// True when a blob that looked destination-only belongs to a source key of this run after all:
    /// it is a key's encoded name (listed apart from its key), or a blob an older encoding wrote for
    /// a key renamed now (it records that key). Such a blob is not an extra.
    /// </summary>
    public bool Accounts(DestinationBlob blob) => _renamed.Contains(blob.Name) || _renamedKeys.RecordedBy(blob, source.Bucket);

    /// <summary>Under "encode", a renamed key's blob lives under another name: a blob listed under the raw key is not its blob.</summary>
    private bool MapsElsewhere(SourceObject src)
        => options.NamePolicy == NamePolicy.Encode && Names.Map(Relative(src.Key), destination.Prefix, NamePolicy.Encode).Renamed;

    private string Relative(string key) => key[source.Prefix.Length..];

    /// <summary>The items of this planner's range, in decision order: a resumed job's unfinished objects first, then the merged listings in key order, destination-only blobs (sync --delete, verify) among them.</summary>
    public async IAsyncEnumerable<TransferItem> PlanAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var point = Point;
        SourcesInScope = point?.SourcesInScope ?? 0;
        if (point is not null)
        {
            await foreach (var item in ResumedAsync(point, ct).ConfigureAwait(false)) yield return item;
        }
        await foreach (var entry in March.MergeAsync(
            ListSource(_range.StartAfter(point?.ListedThrough), ct), s => destination.Prefix + Relative(s.Key),
            ListDestination(_range.StartAfter(point?.ListedThrough), ct), d => d.Name, options.ListingReadAhead, ct).ConfigureAwait(false))
        {
            if (entry.Source is { } src)
            {
                var rel = Relative(src.Key);
                if (options.Filter.Includes(rel, src.Size, src.LastModified))
                {
                    SourcesInScope++;
                    yield return await DecideAsync(src, rel, entry.Destination, ItemOrigin.Listing, ct).ConfigureAwait(false);
                }
                else yield return new TransferItem { Action = ItemAction.Excluded, Reason = ItemReason.OutsideFilters, Source = src };
            }
            // Under "encode" a blob can carry the raw spelling of a renamed key: it is not that key's blob.
            if (entry.Destination is { } dst && (entry.Source is null || MapsElsewhere(entry.Source))
                && WantsExtras && options.Filter.IncludesName(dst.Name[destination.Prefix.Length..]))
                yield return Extra(dst, ItemOrigin.Listing);
        }
    }

    private TransferItem Extra(DestinationBlob dst, ItemOrigin origin) => new()
    {
        Action = ItemAction.Extra, Reason = ItemReason.NotInSource, BlobName = dst.Name, Existing = dst, Origin = origin,
        Detail = Names.NotInSource(dst.Name[destination.Prefix.Length..], options.NamePolicy), // names the key an encoded name decodes to
    };

    /// <summary>Decides one source object that passed the filter.</summary>
    private async Task<TransferItem> DecideAsync(SourceObject src, string rel, DestinationBlob? existing, ItemOrigin origin, CancellationToken ct)
    {
        TransferItem Item(ItemAction action, ItemReason reason, string? detail = null, string? blob = null)
            => new() { Action = action, Reason = reason, Detail = detail, Source = src, BlobName = blob, Origin = origin };

        if (src.IsDirectoryMarker) return Item(ItemAction.Skip, ItemReason.DirectoryMarker);
        if (src.IsArchived) return Item(ItemAction.Skip, ItemReason.Archived, src.StorageClass);

        var name = Names.Map(rel, destination.Prefix, options.NamePolicy);
        if (!name.Accepted)
            return Item(options.NamePolicy == NamePolicy.Fail ? ItemAction.Fail : ItemAction.Skip, ItemReason.InvalidName, name.Problem);
        var blob = name.BlobName!;
        string? renamedBecause = null;
        if (name.Renamed)
        {
            _renamed.Add(blob);
            _renamedKeys.Add(src.Key);
            renamedBecause = name.Problem;
            existing = await destination.GetAsync(blob, ct).ConfigureAwait(false);
        }

        // "encode" is injective over all keys, but a name can still meet a blob another mapping
        // wrote (an older encoding, or a run with another --name-policy: "a%2E" from the valid key
        // "a%2E"): never let one overwrite the other. Within this run, copies are still in flight,
        // so remember the names that could meet: encoded names, and names containing '%'.
        if ((name.Renamed || blob.Contains('%')) && !_claimedNames.TryAdd(blob, src.Key))
            return Item(ItemAction.Fail, ItemReason.CollidesInRun, _claimedNames[blob], blob);
        if (existing?.RecordedSourceKey is { } holder && holder != src.Key && existing.RecordedSourceBucket == source.Bucket
            && (name.Renamed || Names.Problem(holder) is not null))
            return Item(ItemAction.Fail, ItemReason.CollidesWithBlob, holder, blob);

        if (Verify)
        {
            var (action, reason, detail) = VerifyDecider.Decide(src, existing, options.DeepVerify);
            return Item(action, reason, detail, blob) with
            {
                Existing = existing,
                // A mismatch is about the bytes, not the name: its wording has no rename note.
                RenamedBecause = action == ItemAction.Mismatch ? null : renamedBecause,
            };
        }
        var decision = options.Decider.Decide(src, existing);
        return Item(decision.Kind == DecisionKind.Skip ? ItemAction.Skip : ItemAction.Copy, decision.Why, blob: blob)
            with { Existing = existing, RenamedBecause = renamedBecause };
    }

    /// <summary>Re-decides the objects an earlier run left unfinished (the destination may have changed, or have the blob already).</summary>
    private async IAsyncEnumerable<TransferItem> ResumedAsync(ResumePoint point, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var u in resume!.Items.UnfinishedAsync(ct).ConfigureAwait(false))
        {
            var src = u.Source;
            var rel = Relative(src.Key);
            DestinationBlob? existing = null;
            TransferItem? settled = null;
            try
            {
                // The journal has the object as it was listed then; it may have changed or gone since.
                if (source.Capabilities.ListAfter is { } resumable)
                {
                    if (await resumable.GetAsync(src.Key, ct).ConfigureAwait(false) is not { } now)
                        settled = new TransferItem { Action = ItemAction.Skip, Reason = ItemReason.NoLongerInSource, Source = src, Origin = ItemOrigin.Resumed };
                    else if (!options.Filter.Includes(rel, now.Size, now.LastModified))
                        settled = new TransferItem { Action = ItemAction.Skip, Reason = ItemReason.NoLongerMatchesFilters, Source = now, Origin = ItemOrigin.Resumed };
                    else src = now;
                }
                // Killed between Put Block List and the journal write: the blob is there, and the decider skips it.
                var name = Names.Map(rel, destination.Prefix, options.NamePolicy);
                if (settled is null && name.Accepted && !name.Renamed) existing = await destination.GetAsync(name.BlobName!, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (!TransferErrors.IsFatal(e) && e is not OperationCanceledException)
            {
                settled = new TransferItem { Action = ItemAction.Fail, Reason = ItemReason.Error, Detail = TransferErrors.Describe(e), Source = src, Origin = ItemOrigin.Resumed };
            }
            yield return settled ?? await DecideAsync(src, rel, existing, ItemOrigin.Resumed, ct).ConfigureAwait(false);
        }
        // Destination-only blobs found before the watermark are not listed again: take them from the journal.
        if (mode == RunMode.Sync && options.Delete && point.ListedThrough is { } through)
        {
            var bound = destination.Prefix + Relative(through);
            await foreach (var d in resume.Items.PendingExtrasAsync(ct).ConfigureAwait(false))
                if (Utf8Ordinal.Instance.Compare(d.Name, bound) <= 0) yield return Extra(d, ItemOrigin.Resumed);
        }
    }

    /// <summary>The source objects after <paramref name="after"/> (S3 StartAfter where the source has it), up to the range's end.</summary>
    private IAsyncEnumerable<SourceObject> ListSource(string? after, CancellationToken ct)
    {
        var listed = after is null ? source.ListAsync(ct) : After(source.Capabilities.ListAfter is { } r ? r.ListAfterAsync(after, ct) : source.ListAsync(ct), o => o.Key, after, ct);
        return _range.Through is { } through ? Through(listed, o => o.Key, through, ct) : listed;
    }

    /// <summary>
    /// The blobs after <paramref name="after"/>'s blob name (List Blobs startFrom where the destination
    /// has it: a range or page late in a big prefix does not relist everything before it), up to the range's end.
    /// </summary>
    private IAsyncEnumerable<DestinationBlob> ListDestination(string? after, CancellationToken ct)
    {
        var from = after is null ? null : destination.Prefix + Relative(after);
        var listed = from is null ? destination.ListAsync(ct)
            : After(destination.Capabilities.ListAfter is { } r ? r.ListAfterAsync(from, ct) : destination.ListAsync(ct), d => d.Name, from, ct);
        return _range.Through is { } through ? Through(listed, d => d.Name, destination.Prefix + Relative(through), ct) : listed;
    }

    /// <summary>Items up to and including <paramref name="through"/>; stops listing at the first one past it (listings are sorted).</summary>
    private static async IAsyncEnumerable<T> Through<T>(IAsyncEnumerable<T> items, Func<T, string> name, string through, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var item in items.WithCancellation(ct).ConfigureAwait(false))
        {
            if (Utf8Ordinal.Instance.Compare(name(item), through) > 0) yield break;
            yield return item;
        }
    }

    private static async IAsyncEnumerable<T> After<T>(IAsyncEnumerable<T> items, Func<T, string> name, string after, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var item in items.WithCancellation(ct).ConfigureAwait(false))
            if (Utf8Ordinal.Instance.Compare(name(item), after) > 0) yield return item;
    }
}
