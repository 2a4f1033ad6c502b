using Skybridge.Distributed;
using Skybridge.Tests.Transfer;
using Skybridge.Transfer;
using Skybridge.Transfer.Planning;

namespace Skybridge.Tests.Distributed;

/// <summary>Partition discovery by folders, recursively, and by key-range cuts where there are none, against the fake bucket.</summary>
public class PartitionDiscoveryTests
{
    private static FakeSource Bucket(IEnumerable<string> keys, string prefix = "", bool folders = true)
    {
        var source = new FakeSource(prefix: prefix) { OffersListAfter = true, OffersFolders = folders };
        foreach (var key in keys) source.Put(key, [7]);
        return source;
    }

    private static Task<IReadOnlyList<KeyRange>> Split(FakeSource source, int wanted, KeyRange? within = null, int minPerPartition = 1, int sample = 100_000)
        => new PartitionDiscovery(source, batchSize: Math.Max(minPerPartition, 1000), sample, minPerPartition).SplitAsync(within ?? KeyRange.All, wanted, CancellationToken.None);

    /// <summary>The ranges tile <paramref name="within"/>: consecutive, its ends kept, every key of it in exactly one range.</summary>
    private static void AssertTiles(IReadOnlyList<KeyRange> ranges, IEnumerable<string> keys, KeyRange? within = null)
    {
        within ??= KeyRange.All;
        Assert.Equal(within.After, ranges[0].After);
        Assert.Equal(within.Through, ranges[^1].Through);
        for (int i = 1; i < ranges.Count; i++)
        {
            Assert.Equal(ranges[i - 1].Through, ranges[i].After);
            Assert.True(Utf8Ordinal.Instance.Compare(ranges[i].After!, ranges[i - 1].After ?? "") > 0 || ranges[i - 1].After is null, $"range {i} does not advance: {ranges[i]}");
        }
        foreach (var key in keys.Where(within.Contains)) Assert.Single(ranges, r => r.Contains(key));
    }

    /// <summary>Every key of each folder lies in one range: the folder was not cut.</summary>
    private static void AssertWhole(IReadOnlyList<KeyRange> ranges, IEnumerable<string> keys, Func<string, string> folderOf)
    {
        foreach (var folder in keys.GroupBy(folderOf))
            Assert.Single(ranges.Where(r => folder.Any(r.Contains)).Distinct());
    }

    [Fact]
    public async Task A_level_with_more_folders_than_partitions_is_grouped_into_even_runs_of_whole_folders_from_one_listing()
    {
        var keys = Enumerable.Range(0, 40).SelectMany(f => Enumerable.Range(0, 5).Select(k => $"f{f:D2}/k{k}")).ToList();
        var source = Bucket(keys);
        var ranges = await Split(source, 8);
        Assert.Equal(8, ranges.Count);
        AssertTiles(ranges, keys);
        AssertWhole(ranges, keys, k => k[..4]);
        foreach (var r in ranges) Assert.Equal(25, keys.Count(r.Contains)); // 5 folders of 5 keys each
        Assert.Equal(1, source.LevelListings); // the top level was enough: no key was listed
        Assert.Contains(ranges, r => r.Contains("zz-added-later")); // keys written after discovery still fall in a range
    }

    [Fact]
    public async Task Fewer_folders_than_partitions_share_them_and_a_big_folder_is_split_again_by_its_own_folders()
    {
        var keys = Enumerable.Range(0, 20).SelectMany(d => Enumerable.Range(0, 10).Select(k => $"big/d{d:D2}/k{k}"))
            .Concat(["readme.txt", "small/a", "small/b", "small/c"]).ToList();
        var ranges = await Split(Bucket(keys), 8);
        AssertTiles(ranges, keys);
        AssertWhole(ranges, keys.Where(k => k.StartsWith("big/", StringComparison.Ordinal)), k => k[..8]); // big/dNN/ stay whole
        Assert.True(ranges.Count(r => keys.Any(k => k.StartsWith("big/", StringComparison.Ordinal) && r.Contains(k))) >= 6, string.Join(" ", ranges)); // big/ took most partitions
        Assert.Single(ranges, r => r.Contains("small/a") && r.Contains("small/c"));
        Assert.InRange(ranges.Count, 8, 9);
    }

    [Fact]
    public async Task The_first_cut_gives_at_least_the_partitions_asked_for_even_when_folders_are_small()
    {
        // The sandbox tests' mixed seed: 7 folders, 4 of them with 48 keys; 8 partitions asked, batches of 40.
        var keys = new[] { "alpha", "beta", "gamma/deep", "delta", "\u00e9t\u00e9" }.SelectMany(f => Enumerable.Range(0, 48).Select(i => $"{f}/obj-{i:D4}.bin"))
            .Concat(["big/blob-00.bin", "multipart/mp-0.bin", "multipart/mp-1.bin"]).ToList();
        var ranges = await new PartitionDiscovery(Bucket(keys), batchSize: 40, sampleLimit: 100_000, minPerPartition: 1).SplitAsync(KeyRange.All, 8, CancellationToken.None);
        Assert.True(ranges.Count >= 8, string.Join(" ", ranges));
        AssertTiles(ranges, keys);
        // A re-split hands on no piece smaller than a batch: 48 keys stay one range.
        Assert.Equal([KeyRange.All], await new PartitionDiscovery(Bucket(keys.Take(48)), batchSize: 40, sampleLimit: 100_000, minPerPartition: 40).SplitAsync(KeyRange.All, 4, CancellationToken.None));
    }

    [Fact]
    public async Task A_single_folder_is_descended_into_and_the_source_prefix_is_respected()
    {
        var keys = Enumerable.Range(0, 12).SelectMany(d => Enumerable.Range(0, 3).Select(k => $"p/data/2024-{d:D2}/k{k}")).ToList();
        var ranges = await Split(Bucket(keys.Append("other/x"), prefix: "p/"), 4);
        Assert.Equal(4, ranges.Count);
        AssertTiles(ranges, keys);
        AssertWhole(ranges, keys, k => k[..15]);
        foreach (var r in ranges) Assert.Equal(9, keys.Count(r.Contains));
    }

    [Fact]
    public async Task Keys_without_folders_are_cut_into_even_key_ranges_from_a_sample_and_keys_past_it_fall_in_the_last()
    {
        var keys = Enumerable.Range(0, 5000).Select(i => $"obj-{i:D5}").ToList();
        var ranges = await Split(Bucket(keys), 8, minPerPartition: 100, sample: 1000);
        Assert.Equal(8, ranges.Count);
        AssertTiles(ranges, keys);
        foreach (var r in ranges.SkipLast(1)) Assert.InRange(keys.Count(r.Contains), 124, 126); // even over the 1,000 sampled
        Assert.Equal(5000 - 875, keys.Count(ranges[^1].Contains)); // the rest: the partition re-splits it after --split-after pages
    }

    [Fact]
    public async Task A_source_that_cannot_list_by_folder_gets_key_range_cuts()
    {
        var keys = Enumerable.Range(0, 8).SelectMany(f => Enumerable.Range(0, 50).Select(k => $"f{f}/k{k:D3}")).ToList();
        var source = Bucket(keys, folders: false);
        var ranges = await Split(source, 4, minPerPartition: 10);
        Assert.Equal(4, ranges.Count);
        AssertTiles(ranges, keys);
        AssertWhole(ranges, keys, k => k[..3]); // the sample's cuts still move to folder edges
        Assert.Equal(0, source.LevelListings);
    }

    [Fact]
    public async Task The_rest_of_a_partition_is_split_within_its_range_only()
    {
        var keys = Enumerable.Range(0, 16).SelectMany(f => Enumerable.Range(0, 20).Select(k => $"f{f:D2}/k{k:D2}")).ToList();
        var rest = new KeyRange("f03/k07", "f12/k05"); // a partition planned up to f03/k07 and ending inside f12/
        var ranges = await Split(Bucket(keys), 4, rest);
        Assert.Equal(4, ranges.Count);
        AssertTiles(ranges, keys, rest);
        Assert.All(ranges, r => Assert.False(r.Contains("f03/k07") || r.Contains("f12/k06") || r.Contains("f00/k00")));
        Assert.Contains(ranges, r => r.Contains("f03/k08"));
        Assert.Contains(ranges, r => r.Contains("f12/k05"));
    }

    [Fact]
    public async Task A_range_too_small_for_two_batches_is_not_cut()
    {
        var keys = Enumerable.Range(0, 150).Select(i => $"obj-{i:D4}").ToList();
        Assert.Equal([KeyRange.All], await Split(Bucket(keys), 8, minPerPartition: 100));
        Assert.Equal([KeyRange.All], await Split(Bucket([]), 8));
        var tail = new KeyRange("obj-0149", null);
        Assert.Equal([tail], await Split(Bucket(keys), 4, tail, minPerPartition: 1));
    }

    [Fact]
    public void Partitions_are_shared_by_weight_and_every_one_is_handed_out()
    {
        Assert.Equal([6, 1], PartitionDiscovery.Share(7, [20, 3]));
        Assert.Equal([2, 2, 1], PartitionDiscovery.Share(5, [1, 1, 1]));
        Assert.Equal([0, 0, 4], PartitionDiscovery.Share(4, [1, 1, 1000]));
        Assert.Equal(1000, PartitionDiscovery.Share(1000, Enumerable.Range(1, 37).Select(i => (long)i * i).ToList()).Sum());
    }

    [Theory]
    [InlineData("a/", "a0")]
    [InlineData("p/2024/", "p/20240")]
    public void A_folder_ends_below_the_next_entry_of_its_level(string folder, string end)
    {
        Assert.Equal(end, PartitionDiscovery.FolderEnd(folder));
        Assert.True(Utf8Ordinal.Instance.Compare(folder + "\U0010FFFF\U0010FFFF", end) < 0); // every key of the folder sorts below it
        Assert.True(Utf8Ordinal.Instance.Compare(folder[..^1] + "0/x", end) > 0); // the next folder's keys above it
    }
}
