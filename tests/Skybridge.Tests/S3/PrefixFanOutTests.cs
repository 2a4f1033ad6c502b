using Skybridge.Providers.S3;
using Skybridge.Transfer;

namespace Skybridge.Tests.S3;

public class PrefixFanOutTests
{
    /// <summary>ListObjectsV2 semantics over a key list: prefix, delimiter, small pages.</summary>
    private sealed class FakeBucket(IEnumerable<string> keys, int pageSize = 3)
    {
        private readonly List<string> _keys = keys.Order(Utf8Ordinal.Instance).ToList();
        public int Calls;
        public string? FailOnPrefix;

        public async Task<ListPage> List(string prefix, string? delimiter, string? continuation, CancellationToken ct)
        {
            Interlocked.Increment(ref Calls);
            await Task.Yield();
            if (prefix == FailOnPrefix) throw new InvalidOperationException("listing " + prefix + " failed");
            // Entries: keys, or the common prefix that stands for a run of keys.
            var entries = new List<(string Name, bool IsPrefix)>();
            foreach (var k in _keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            {
                var rest = k[prefix.Length..];
                var cut = delimiter is null ? -1 : rest.IndexOf(delimiter, StringComparison.Ordinal);
                var entry = cut < 0 ? (k, false) : (prefix + rest[..(cut + 1)], true);
                if (entries.Count == 0 || entries[^1] != entry) entries.Add(entry);
            }
            var start = continuation is null ? 0 : int.Parse(continuation);
            var page = entries.Skip(start).Take(pageSize).ToList();
            var next = start + pageSize < entries.Count ? (start + pageSize).ToString() : null;
            return new ListPage(
                page.Where(e => !e.IsPrefix).Select(e => new SourceObject(e.Name, 1, "e", DateTimeOffset.UnixEpoch)).ToList(),
                page.Where(e => e.IsPrefix).Select(e => e.Name).ToList(), next);
        }
    }

    private static async Task<List<string>> All(FakeBucket bucket, string prefix, int parallelism)
    {
        var result = new List<string>();
        await foreach (var o in PrefixFanOut.ListAsync(bucket.List, prefix, parallelism, bufferPerPrefix: 2, default)) result.Add(o.Key);
        return result;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    public async Task Yields_every_key_once_in_utf8_order(int parallelism)
    {
        string[] keys =
        [
            "a.txt", "a/1", "a/2/x", "a/2/y", "a0", "b/", "b/c", "c", "d/e/f", "d/e/g", "d/h", "\u00e9/1", "\U0001F600/1", "\uFF21",
            .. Enumerable.Range(0, 25).Select(i => $"many/{i:D3}"), .. Enumerable.Range(0, 7).Select(i => $"root{i}"),
        ];
        var bucket = new FakeBucket(keys);
        var expected = keys.Order(Utf8Ordinal.Instance).ToList();
        Assert.Equal(expected, await All(bucket, "", parallelism));
    }

    [Fact]
    public async Task Works_under_a_prefix_and_on_an_empty_listing()
    {
        var bucket = new FakeBucket(["p/a/1", "p/a/2", "p/b", "p/c/1", "q/1"]);
        Assert.Equal(["p/a/1", "p/a/2", "p/b", "p/c/1"], await All(bucket, "p/", 4));
        Assert.Empty(await All(bucket, "nothing/", 4));
    }

    [Fact]
    public async Task A_folder_listing_error_surfaces()
    {
        var bucket = new FakeBucket(["a/1", "b/1", "c/1"]) { FailOnPrefix = "b/" };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => All(bucket, "", 4));
        Assert.Contains("b/", e.Message);
    }

    [Fact]
    public async Task Stopping_early_does_not_list_everything()
    {
        var bucket = new FakeBucket(Enumerable.Range(0, 100).SelectMany(f => Enumerable.Range(0, 20).Select(i => $"f{f:D3}/{i:D2}")));
        await foreach (var o in PrefixFanOut.ListAsync(bucket.List, "", 4, 2, default))
            if (o.Key == "f001/05") break;
        Assert.True(bucket.Calls < 60, $"{bucket.Calls} list calls for 2 folders' worth of keys");
    }
}
