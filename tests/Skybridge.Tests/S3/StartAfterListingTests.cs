using Skybridge.Providers.S3;
using Skybridge.Transfer;

namespace Skybridge.Tests.S3;

public class StartAfterListingTests
{
    /// <summary>ListObjectsV2 over a key list with prefix, delimiter, StartAfter and small pages; records what it returned.</summary>
    /// <param name="strict">Like Ceph RGW: a common prefix that sorts before StartAfter is left out even when it holds later keys.</param>
    private sealed class Bucket(IEnumerable<string> keys, int pageSize = 3, bool strict = false)
    {
        private readonly List<string> _keys = keys.Order(Utf8Ordinal.Instance).ToList();
        public readonly List<string> Returned = [];

        public async Task<ListPage> List(string prefix, string? delimiter, string? continuation, string? startAfter, CancellationToken ct)
        {
            await Task.Yield();
            // Continuation tokens carry the first request's StartAfter and the offset, like S3's opaque ones.
            int start = 0;
            if (continuation is not null)
            {
                var parts = continuation.Split('|');
                startAfter = parts[0].Length == 0 ? null : parts[0];
                start = int.Parse(parts[1]);
            }
            var entries = new List<(string Name, bool IsPrefix)>();
            foreach (var k in _keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            {
                if (startAfter is not null && Utf8Ordinal.Instance.Compare(k, startAfter) <= 0) continue;
                var rest = k[prefix.Length..];
                var cut = delimiter is null ? -1 : rest.IndexOf(delimiter, StringComparison.Ordinal);
                var entry = cut < 0 ? (k, false) : (prefix + rest[..(cut + 1)], true);
                if (strict && startAfter is not null && Utf8Ordinal.Instance.Compare(entry.Item1, startAfter) <= 0) continue;
                if (entries.Count == 0 || entries[^1] != entry) entries.Add(entry);
            }
            var page = entries.Skip(start).Take(pageSize).ToList();
            var next = start + pageSize < entries.Count ? $"{startAfter}|{start + pageSize}" : null;
            lock (Returned) Returned.AddRange(page.Where(e => !e.IsPrefix).Select(e => e.Name));
            return new ListPage(
                page.Where(e => !e.IsPrefix).Select(e => new SourceObject(e.Name, 1, "e", DateTimeOffset.UnixEpoch)).ToList(),
                page.Where(e => e.IsPrefix).Select(e => e.Name).ToList(), next);
        }
    }

    private static readonly string[] Keys =
    [
        "a.txt", "a/1", "a/2/x", "a/2/y", "a0", "b/", "b/c", "c", "d/e/f", "d/e/g", "d/h", "\u00e9/1", "\U0001F600/1", "\uFF21",
        .. Enumerable.Range(0, 12).Select(i => $"many/{i:D3}"), .. Enumerable.Range(0, 5).Select(i => $"root{i}"),
    ];

    public static TheoryData<string, int, bool> Points()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (var strict in new[] { false, true })
        foreach (var p in new[] { 1, 4 })
        {
            foreach (var k in Keys) data.Add(k, p, strict);
            foreach (var between in new[] { "", "a/", "a/2", "b", "many/", "many/005x", "zzz" }) data.Add(between, p, strict);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Points))]
    public async Task Lists_exactly_the_keys_after_the_point_without_listing_those_before(string after, int parallelism, bool strict)
    {
        var bucket = new Bucket(Keys, strict: strict);
        var listed = new List<string>();
        await foreach (var o in PrefixFanOut.ListAsync(StartAfterListing.Wrap(bucket.List, after), "", parallelism, bufferPerPrefix: 2, default))
            listed.Add(o.Key);
        Assert.Equal(Keys.Where(k => Utf8Ordinal.Instance.Compare(k, after) > 0).Order(Utf8Ordinal.Instance), listed);
        // Nothing before the point is listed again, except keys that sort between a folder's name and
        // the folder ("a.txt" between "a" and "a/"): the price of a StartAfter every server honours.
        Assert.DoesNotContain(bucket.Returned, k => Utf8Ordinal.Instance.Compare(k, after) <= 0 && !(k == "a.txt" && after.StartsWith("a/")));
    }

    [Theory]
    [InlineData("p/", "/", "p/z/001", "p/z")]
    [InlineData("p/", "/", "p/z", "p/z")]
    [InlineData("p/", "/", "p/z/a/b", "p/z")]
    [InlineData("p/z/", null, "p/z/001", "p/z/001")]
    [InlineData("p/z/", "/", "p/z/001", "p/z/001")]
    [InlineData("q/", "/", "p/z/001", "p/z/001")]
    public void Sends_a_folders_name_rather_than_a_key_inside_it(string prefix, string? delimiter, string startAfter, string sent)
        => Assert.Equal(sent, StartAfterListing.StartAfterFor(prefix, delimiter, startAfter));

    [Fact]
    public void Filter_keeps_the_folder_that_holds_the_point_and_drops_folders_before_it()
    {
        var page = new ListPage([new SourceObject("a.txt", 1, "e", default), new SourceObject("c", 1, "e", default)], ["a/", "b/", "d/"], null);
        var filtered = StartAfterListing.Filter(page, "b/x");
        Assert.Equal(["c"], filtered.Objects.Select(o => o.Key));
        Assert.Equal(["b/", "d/"], filtered.CommonPrefixes);
    }
}
