using Skybridge.Transfer;
using Skybridge.Transfer.Planning;

namespace Skybridge.Distributed;

/// <summary>
/// Cuts a key range of a source into partitions without listing every key, so it scales to a
/// billion: one level of folders at a time (delimiter '/', <see cref="SourceCapabilities.Folders"/>).
/// A level with at least as many entries as partitions wanted is grouped into even runs of entries;
/// one with fewer shares the partitions among its folders, each split again by its own folders
/// (recursively, a single folder is descended into). Where a range has no folder structure (or the
/// source cannot list by level) it is cut into even key ranges from a sample of its first keys
/// (<see cref="Partitioner"/>); keys past the sample fall in its last range, which the partition
/// re-splits when its planning passes N pages (<see cref="PartitionOrchestration"/>). No range is
/// cut smaller than <c>minPerPartition</c> sampled keys. The ranges
/// returned tile <c>within</c> exactly: every key of it in one range.
/// </summary>
/// <param name="source">The source, at its prefix.</param>
/// <param name="batchSize">Objects per batch: a key-range cut samples up to 10 batches per partition wanted.</param>
/// <param name="sampleLimit">Most keys listed for one key-range cut.</param>
/// <param name="minPerPartition">Fewest sampled keys worth a partition of their own: the first cut
/// honours --partitions (1), a re-split hands on no piece smaller than a batch.</param>
internal sealed class PartitionDiscovery(IObjectSource source, int batchSize, int sampleLimit, int minPerPartition)
{
    /// <summary>Folder levels descended at most (a key space deeper than this is cut by key ranges below it).</summary>
    public const int MaxDepth = 8;

    /// <summary>Entries of one level read at most (10 listing pages); the rest of a level is the last entry's range.</summary>
    public const int MaxLevelEntries = 10_000;

    /// <summary>Batches sampled per partition wanted by a key-range cut: bounds the listing a cut costs.</summary>
    private const int SampleBatchesPerPartition = 10;

    private readonly int _minPerPartition = Math.Max(1, minPerPartition);

    /// <summary>Up to <paramref name="wanted"/> ranges that tile <paramref name="within"/>.</summary>
    public Task<IReadOnlyList<KeyRange>> SplitAsync(KeyRange within, int wanted, CancellationToken ct)
        => SplitAsync(source.Prefix, within, wanted, 0, null, ct);

    private async Task<IReadOnlyList<KeyRange>> SplitAsync(string prefix, KeyRange within, int wanted, int depth, List<Unit>? listed, CancellationToken ct)
    {
        if (wanted <= 1) return [within];
        if (source.Capabilities.Folders is not { } folders || depth >= MaxDepth) return await KeySplitAsync(prefix, within, wanted, ct).ConfigureAwait(false);

        var units = listed ?? await LevelAsync(folders, prefix, within, ct).ConfigureAwait(false);
        if (!units.Any(u => u.Folder is not null)) return await KeySplitAsync(prefix, within, wanted, ct).ConfigureAwait(false);
        if (units is [{ Folder: { } only }]) return await SplitAsync(only, within, wanted, depth + 1, null, ct).ConfigureAwait(false);

        if (units.Count >= wanted)
        {
            // Enough entries: even runs of them (sizes unknown; a big run re-splits when its planning passes N pages).
            var ranges = new List<KeyRange>(wanted);
            for (int i = 1; i <= wanted; i++)
            {
                var first = units[(int)((long)(i - 1) * units.Count / wanted)];
                var last = units[(int)((long)i * units.Count / wanted) - 1];
                ranges.Add(new KeyRange(first.Range.After, last.Range.Through));
            }
            return ranges;
        }

        // Fewer entries than partitions: each run of objects is one; the folders share the rest by
        // their size (the entries of their own level, listed now and reused below), the big ones split again.
        var inside = new List<List<Unit>>(); // the folders' own levels, in the folders' order
        foreach (var unit in units.Where(u => u.Folder is not null))
            inside.Add(await LevelAsync(folders, unit.Folder!, unit.Range, ct).ConfigureAwait(false));
        var shares = Share(Math.Max(0, wanted - units.Count(u => u.Folder is null)), inside.Select(level => Math.Max(1L, level.Sum(u => u.Count))).ToList());
        var result = new List<KeyRange>();
        int nth = 0;
        foreach (var unit in units)
        {
            if (unit.Folder is not { } folder) { result.Add(unit.Range); continue; }
            result.AddRange(await SplitAsync(folder, unit.Range, shares[nth], depth + 1, inside[nth], ct).ConfigureAwait(false));
            nth++;
        }
        return result;
    }

    /// <summary><paramref name="total"/> partitions shared in proportion to the weights (largest remainders get the rest).</summary>
    internal static int[] Share(int total, IReadOnlyList<long> weights)
    {
        double sum = weights.Sum();
        var exact = weights.Select(w => total * (w / sum)).ToArray();
        var shares = exact.Select(e => (int)Math.Floor(e)).ToArray();
        foreach (var i in Enumerable.Range(0, weights.Count).OrderByDescending(i => exact[i] - shares[i]).ThenBy(i => i).Take(total - shares.Sum()))
            shares[i]++;
        return shares;
    }

    /// <summary>An entry of a level: a folder (all its keys) or a run of <see cref="Count"/> consecutive objects, and the range that holds it.</summary>
    private sealed record Unit(string? Folder, KeyRange Range, long Count = 1);

    /// <summary>
    /// The level under <paramref name="prefix"/> within the range, as units tiling it: a folder's range
    /// ends at <see cref="FolderEnd"/>, a run of objects' at its last key, the last unit's at the range's end.
    /// </summary>
    private static async Task<List<Unit>> LevelAsync(IFolderListing folders, string prefix, KeyRange within, CancellationToken ct)
    {
        var units = new List<Unit>();
        var after = within.After;
        bool inObjects = false;
        int read = 0;
        await foreach (var entry in folders.ListLevelAsync(prefix, within.After, ct).ConfigureAwait(false))
        {
            if (within.Through is { } through && Utf8Ordinal.Instance.Compare(entry.Name, through) > 0) break; // a folder after the end holds only later keys
            if (++read > MaxLevelEntries) break;
            var end = entry.IsFolder ? FolderEnd(entry.Name) : entry.Name;
            if (within.Through is { } t && Utf8Ordinal.Instance.Compare(end, t) >= 0) end = t;
            if (after is not null && Utf8Ordinal.Instance.Compare(end, after) <= 0) continue; // an object named as the last folder's end: in that folder's range already
            if (!entry.IsFolder && inObjects) units[^1] = units[^1] with { Range = units[^1].Range with { Through = end }, Count = units[^1].Count + 1 };
            else units.Add(new Unit(entry.IsFolder ? entry.Name : null, new KeyRange(after, end)));
            inObjects = !entry.IsFolder;
            after = end;
            if (end == within.Through) break;
        }
        if (units.Count > 0) units[^1] = units[^1] with { Range = units[^1].Range with { Through = within.Through } };
        return units;
    }

    /// <summary>
    /// A cut after every key of a folder and before the next entry of its level: the folder's name with
    /// its trailing '/' raised to '0' ("a/" -> "a0"). Keys under "a/" sort below it; the next entry sorts
    /// at or above it (an object named exactly "a0" falls in the folder's range, which is still a tiling).
    /// </summary>
    internal static string FolderEnd(string folder) => folder[..^1] + "0";

    /// <summary>Even key-range cuts of a range from a sample of its first keys (no folder structure to cut at).</summary>
    private async Task<IReadOnlyList<KeyRange>> KeySplitAsync(string prefix, KeyRange within, int wanted, CancellationToken ct)
    {
        int limit = (int)Math.Min(sampleLimit, (long)wanted * Math.Max(1, batchSize) * SampleBatchesPerPartition);
        var sample = new List<string>();
        await foreach (var o in ListAsync(within, ct).ConfigureAwait(false))
        {
            sample.Add(o.Key);
            if (sample.Count >= limit) break;
        }
        int n = Math.Min(wanted, sample.Count / _minPerPartition);
        if (n <= 1) return [within];
        var cuts = Partitioner.Split(sample, prefix, n);
        if (cuts.Count < 2) return [within];
        // The sample's cuts are open at both ends: the first and last range keep the range's own ends.
        cuts = [cuts[0] with { After = within.After }, .. cuts.Skip(1).Take(cuts.Count - 2), cuts[^1] with { Through = within.Through }];
        return cuts;
    }

    /// <summary>The range's keys in order, listed after its start where the source can.</summary>
    private async IAsyncEnumerable<SourceObject> ListAsync(KeyRange within, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var listed = within.After is { } after && source.Capabilities.ListAfter is { } resumable ? resumable.ListAfterAsync(after, ct) : source.ListAsync(ct);
        await foreach (var o in listed.WithCancellation(ct).ConfigureAwait(false))
        {
            if (within.Through is { } t && Utf8Ordinal.Instance.Compare(o.Key, t) > 0) yield break;
            if (within.Contains(o.Key)) yield return o;
        }
    }
}
