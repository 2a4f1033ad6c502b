using System.Text;
using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class MarchTests
{
    private static async IAsyncEnumerable<string> Items(params string[] names)
    {
        foreach (var n in names) { await Task.Yield(); yield return n; }
    }

    private static async Task<List<(string, MarchSide)>> Merge(string[] src, string[] dst)
    {
        var result = new List<(string, MarchSide)>();
        await foreach (var e in March.MergeAsync(Items(src), s => s, Items(dst), d => d)) result.Add((e.Name, e.Side));
        return result;
    }

    [Fact]
    public async Task Both_listings_are_read_ahead_of_the_merge()
    {
        // The destination's listing runs on its own while the merge is still waiting for the first source entry.
        var destinationRead = 0;
        var sourceGate = new TaskCompletionSource();
        async IAsyncEnumerable<string> Source()
        {
            await sourceGate.Task;
            yield return "a";
        }
        async IAsyncEnumerable<string> Destination()
        {
            foreach (var n in new[] { "b", "c", "d" }) { await Task.Yield(); Interlocked.Increment(ref destinationRead); yield return n; }
        }
        var merged = Task.Run(async () =>
        {
            var names = new List<string>();
            await foreach (var e in March.MergeAsync(Source(), s => s, Destination(), d => d)) names.Add(e.Name);
            return names;
        });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref destinationRead) < 3 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal(3, Volatile.Read(ref destinationRead));
        sourceGate.SetResult();
        Assert.Equal(["a", "b", "c", "d"], await merged);
    }

    [Fact]
    public async Task A_failing_listing_fails_the_merge_with_its_own_exception()
    {
        async IAsyncEnumerable<string> Failing()
        {
            yield return "a";
            await Task.Yield();
            throw new InvalidDataException("page 2 could not be read");
        }
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var _ in March.MergeAsync(Failing(), s => s, Items("a", "b"), d => d)) { }
        });
        Assert.Contains("page 2", e.Message);
    }

    [Fact]
    public async Task Merges_two_sorted_listings_into_source_only_destination_only_and_both()
    {
        var result = await Merge(["a", "b", "d", "e"], ["b", "c", "e", "f"]);
        Assert.Equal(
            [("a", MarchSide.SourceOnly), ("b", MarchSide.Both), ("c", MarchSide.DestinationOnly), ("d", MarchSide.SourceOnly),
             ("e", MarchSide.Both), ("f", MarchSide.DestinationOnly)], result);
    }

    [Fact]
    public async Task Empty_sides_yield_everything_from_the_other()
    {
        Assert.Equal([("x", MarchSide.SourceOnly), ("y", MarchSide.SourceOnly)], await Merge(["x", "y"], []));
        Assert.Equal([("x", MarchSide.DestinationOnly)], await Merge([], ["x"]));
        Assert.Empty(await Merge([], []));
    }

    [Fact]
    public async Task A_listing_out_of_order_is_an_error_not_a_wrong_decision()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Merge(["a", "c", "b"], []));
        Assert.Contains("source", e.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Merge([], ["b", "b"]));
    }

    [Fact]
    public async Task Keys_beyond_the_basic_plane_pair_up_in_utf8_order()
    {
        // UTF-16 ordinal puts U+1F600 (surrogates D83D..) before U+FF21; UTF-8 / code point order after.
        var emoji = "k\U0001F600";
        var fullwidth = "k\uFF21";
        var result = await Merge([fullwidth, emoji], [fullwidth, emoji]);
        Assert.All(result, r => Assert.Equal(MarchSide.Both, r.Item2));
        Assert.Equal(2, result.Count);
    }
}

public class Utf8OrdinalTests
{
    [Theory]
    [InlineData("a", "b")]
    [InlineData("a", "ab")]
    [InlineData("a/b", "a0")]
    [InlineData("Z", "a")]
    [InlineData("k\uFF21", "k\U0001F600")]
    [InlineData("\u00e9", "\u4e2d")]
    public void Orders_like_utf8_bytes(string lower, string higher)
    {
        Assert.True(Utf8Ordinal.Instance.Compare(lower, higher) < 0);
        Assert.True(Utf8Ordinal.Instance.Compare(higher, lower) > 0);
        Assert.Equal(0, Utf8Ordinal.Instance.Compare(lower, new string(lower.ToCharArray())));
    }

    [Fact]
    public void Agrees_with_a_byte_comparison_on_random_strings()
    {
        var rng = new Random(42);
        char[] alphabet = ['a', 'z', '/', '-', '\u00e9', '\u4e2d', '\uFF21', '\uE000'];
        string Next() => string.Concat(Enumerable.Range(0, rng.Next(0, 6)).Select(_ => rng.Next(4) == 0 ? "\U0001F600" : alphabet[rng.Next(alphabet.Length)].ToString()));
        for (int i = 0; i < 2000; i++)
        {
            string x = Next(), y = Next();
            var expected = Math.Sign(Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)));
            Assert.Equal(expected, Math.Sign(Utf8Ordinal.Instance.Compare(x, y)));
        }
    }
}
