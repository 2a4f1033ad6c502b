using System.Security.Cryptography;
using System.Text;
using Skybridge.Providers.AzureBlob;
using Skybridge.Transfer;
using Skybridge.Transfer.Planning;

namespace Skybridge.Tests.Transfer.Planning;

public class PlannerTests
{
    private static readonly string[] Keys = ["a", "b", "b/1", "b/2", "c", "m", "n/x", "\u00e9", "\u4e2d"];

    private static (FakeSource, FakeDestination) Seed(string prefix = "")
    {
        var src = new FakeSource(prefix: prefix);
        foreach (var k in Keys) src.Put(prefix + k, Encoding.UTF8.GetBytes(k));
        var dst = new FakeDestination(prefix);
        foreach (var extra in new[] { "a0", "b/3", "zz" })
            dst.Blobs[prefix + extra] = ([1], new BlobWrite { ContentMd5 = MD5.HashData(new byte[] { 1 }) }, DateTimeOffset.UtcNow);
        return (src, dst);
    }

    private static async Task<List<TransferItem>> Plan(FakeSource src, FakeDestination dst, KeyRange? range, RunMode mode = RunMode.Sync)
    {
        var items = new List<TransferItem>();
        var options = new TransferOptions { Delete = true };
        await foreach (var item in new Planner(src, dst, options, mode, range: range).PlanAsync(CancellationToken.None)) items.Add(item);
        return items;
    }

    [Theory]
    [InlineData("")]
    [InlineData("pre/")]
    public async Task Ranges_that_tile_the_key_space_plan_every_object_and_extra_exactly_once(string prefix)
    {
        var (src, dst) = Seed(prefix);
        var whole = await Plan(src, dst, null);
        var parts = new List<TransferItem>();
        foreach (var range in new KeyRange[] { new(null, prefix + "b"), new(prefix + "b", prefix + "m"), new(prefix + "m", null) })
        {
            var items = await Plan(src, dst, range);
            Assert.All(items.Where(i => i.Source is not null), i => Assert.True(range.Contains(i.Source!.Key), $"{i.Source!.Key} outside {range}"));
            parts.AddRange(items);
        }
        Assert.Equal(whole.Select(i => (i.Action, i.Name)).Order(), parts.Select(i => (i.Action, i.Name)).Order());
        Assert.Equal(Keys.Length, parts.Count(i => i.Action == ItemAction.Copy));
        Assert.Equal([prefix + "a0", prefix + "b/3", prefix + "zz"], parts.Where(i => i.Action == ItemAction.Extra).Select(i => i.BlobName!).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// A range late in a prefix (a distributed migration's later partitions and pages) lists the
    /// destination from its own start where the destination can (List Blobs startFrom), not from the
    /// prefix's start: the same items, a fraction of the blobs listed. Before, every page of a
    /// partition re-listed the destination from the prefix's start (quadratic).
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("pre/")]
    public async Task A_late_range_lists_the_destination_from_its_start_with_the_same_items(string prefix)
    {
        var src = new FakeSource(prefix: prefix);
        var dst = new FakeDestination(prefix);
        for (int i = 0; i < 200; i++)
        {
            var key = $"{prefix}k{i:D4}";
            src.Put(key, Encoding.UTF8.GetBytes(key));
            if (i % 10 != 3) dst.Blobs[key] = ([1], new BlobWrite { ContentMd5 = MD5.HashData(new byte[] { 1 }) }, DateTimeOffset.UtcNow);
        }
        dst.Blobs[prefix + "k0180x"] = ([1], new BlobWrite { ContentMd5 = MD5.HashData(new byte[] { 1 }) }, DateTimeOffset.UtcNow); // an extra inside the range
        var range = new KeyRange(prefix + "k0179", prefix + "k0189");

        var fromStart = await Plan(src, dst, range);
        var listedFromStart = dst.Listed;
        dst.OffersListAfter = true;
        dst.Listed = 0;
        var fromRange = await Plan(src, dst, range);

        Assert.Equal(fromStart.Select(i => (i.Action, i.Name, i.Reason)), fromRange.Select(i => (i.Action, i.Name, i.Reason)));
        Assert.Equal(10, fromRange.Count(i => i.Source is not null));
        Assert.Contains(fromRange, i => i.Action == ItemAction.Extra && i.BlobName == prefix + "k0180x");
        Assert.True(listedFromStart >= 150, $"without startFrom the listing began at the prefix: {listedFromStart} blobs");
        Assert.True(dst.Listed <= 12, $"from the range's start the destination listed {dst.Listed} blobs (the range holds 10 + 1 extra, and the first one past it)");
    }

    [Fact]
    public async Task Planning_reads_no_object_and_writes_nothing()
    {
        var (src, dst) = Seed();
        var before = dst.Blobs.Count;
        var items = await Plan(src, dst, null);
        Assert.NotEmpty(items);
        Assert.Equal(0, src.Reads);
        Assert.Equal((0, 0, 0, 0, before), (dst.Puts, dst.Commits, dst.StagedBlocks, dst.Deletes, dst.Blobs.Count));
    }

    [Theory]
    [InlineData(null, null, "k", true)]
    [InlineData("k", null, "k", false)]      // After is exclusive
    [InlineData(null, "k", "k", true)]       // Through is inclusive
    [InlineData("a", "k", "k/", false)]
    [InlineData("a", "k", "\u00e9", false)]  // UTF-8 order: é sorts after every ASCII key
    public void A_range_contains_keys_after_its_start_through_its_end(string? after, string? through, string key, bool expected)
        => Assert.Equal(expected, new KeyRange(after, through).Contains(key));

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("b", null, "b")]
    [InlineData(null, "c", "c")]
    [InlineData("b", "c", "c")]
    [InlineData("c", "b", "c")]
    public void Listing_starts_after_the_later_of_the_range_start_and_the_watermark(string? after, string? watermark, string? expected)
        => Assert.Equal(expected, new KeyRange(after, null).StartAfter(watermark));
}
