using Skybridge.Transfer.Planning;

namespace Skybridge.Distributed;

/// <summary>
/// Cuts a sample of a range's listing (its first keys, in order) into <see cref="KeyRange"/>s at
/// even counts, each cut moved to the nearest "folder" edge (where the first path segment after the
/// prefix changes) when one lies within half a partition: the key-range cut of
/// <see cref="PartitionDiscovery"/> where a range has no folders to cut at. Keys past the sample fall
/// in the last range (the sample size bounds how even the cut is; that range re-splits later).
/// </summary>
internal static class Partitioner
{
    public static IReadOnlyList<KeyRange> Split(IReadOnlyList<string> sample, string prefix, int partitions)
    {
        if (partitions <= 1 || sample.Count < 2) return [KeyRange.All];
        int n = Math.Min(partitions, sample.Count);
        int window = sample.Count / (2 * n);
        var cuts = new List<string>();
        for (int i = 1; i < n; i++)
        {
            int ideal = (int)((long)i * sample.Count / n) - 1;
            int at = FolderEdgeNear(sample, prefix, ideal, window) ?? ideal;
            if (at >= sample.Count - 1) at = sample.Count - 2; // the last range keeps at least the sample's last key
            var cut = sample[at];
            if (cuts.Count == 0 || Transfer.Utf8Ordinal.Instance.Compare(cut, cuts[^1]) > 0) cuts.Add(cut);
        }
        var ranges = new List<KeyRange>();
        string? after = null;
        foreach (var cut in cuts)
        {
            ranges.Add(new KeyRange(after, cut));
            after = cut;
        }
        ranges.Add(new KeyRange(after, null));
        return ranges;
    }

    /// <summary>The index nearest <paramref name="ideal"/> after which the first path segment changes, within the window.</summary>
    private static int? FolderEdgeNear(IReadOnlyList<string> keys, string prefix, int ideal, int window)
    {
        for (int d = 0; d <= window; d++)
            foreach (var j in new[] { ideal + d, ideal - d })
                if (j >= 0 && j + 1 < keys.Count && FirstSegment(keys[j], prefix) != FirstSegment(keys[j + 1], prefix)
                    && FirstSegment(keys[j], prefix) is { } s && s.EndsWith('/'))
                    return j;
        return null;
    }

    private static string FirstSegment(string key, string prefix)
    {
        var rel = key.Length >= prefix.Length ? key[prefix.Length..] : key;
        var slash = rel.IndexOf('/');
        return slash < 0 ? rel : rel[..(slash + 1)];
    }
}
