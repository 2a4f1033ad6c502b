using System.Text;
using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class Utf16ListingOrderTests
{
    // The characters where the two orders disagree (U+E000..U+FFFF against surrogate pairs), and plain ones around them.
    private static readonly string[] Alphabet = ["a", "~", "/", "\u00e9", "\u4e2d", "\uE000", "\uFF21", "\uFFFF", "\U0001F600", "\U0010FFFF"];

    private static readonly Comparer<string> Utf8Bytes = Comparer<string>.Create(
        (x, y) => Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)));

    private static async IAsyncEnumerable<string> Stream(IEnumerable<string> names, List<string>? pulled = null)
    {
        foreach (var n in names)
        {
            await Task.Yield();
            pulled?.Add(n);
            yield return n;
        }
    }

    private static async Task<List<string>> Reorder(IEnumerable<string> utf16Ordered, List<string>? pulled = null)
    {
        var result = new List<string>();
        await foreach (var n in Utf16ListingOrder.InUtf8Order(Stream(utf16Ordered, pulled), n => n)) result.Add(n);
        return result;
    }

    /// <summary>Up to <paramref name="most"/> distinct names of 1-4 characters of <see cref="Alphabet"/>.</summary>
    private static HashSet<string> RandomNames(Random random, int most)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var count = random.Next(0, most);
        while (names.Count < count)
            names.Add(string.Concat(Enumerable.Range(0, random.Next(1, 5)).Select(_ => Alphabet[random.Next(Alphabet.Length)])));
        return names;
    }

    [Fact]
    public async Task Random_listings_in_utf16_order_come_out_in_utf8_byte_order()
    {
        var random = new Random(20261201);
        for (int run = 0; run < 300; run++)
        {
            var names = RandomNames(random, 60);
            var azure = names.Order(StringComparer.Ordinal).ToList();
            Assert.Equal(names.Order(Utf8Bytes), await Reorder(azure));
        }
    }

    [Fact]
    public async Task The_pair_the_orders_disagree_on_is_swapped()
    {
        // UTF-16: D83D (the emoji's high surrogate) < FF21; UTF-8: EF BC A1 < F0 9F 98 80.
        Assert.Equal(["k\uFF21", "k\U0001F600"], await Reorder(["k\U0001F600", "k\uFF21"]));
    }

    [Fact]
    public async Task Names_without_a_surrogate_pair_stream_through_without_being_held()
    {
        var pulled = new List<string>();
        var seenWhenYielded = new List<int>();
        string[] names = ["a", "a/\u00e9", "b", "\u4e2d", "\uFF21"];
        await foreach (var n in Utf16ListingOrder.InUtf8Order(Stream(names, pulled), n => n)) seenWhenYielded.Add(pulled.Count);
        Assert.Equal([1, 2, 3, 4, 5], seenWhenYielded); // each name leaves before the next one is read
    }

    [Fact]
    public async Task A_name_with_a_surrogate_pair_is_held_only_until_nothing_can_sort_before_it()
    {
        var pulled = new List<string>();
        var yieldedAfter = new Dictionary<string, int>();
        string[] names = ["k\U0001F600", "k\uFF21", "l"]; // UTF-16 order
        await foreach (var n in Utf16ListingOrder.InUtf8Order(Stream(names, pulled), n => n)) yieldedAfter[n] = pulled.Count;
        Assert.Equal(2, yieldedAfter["k\uFF21"]);
        Assert.Equal(3, yieldedAfter["k\U0001F600"]); // released when "l" shows the "k" + U+E000..U+FFFF names are over
    }

    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("k\U0001F600x", "k\uE000")]
    [InlineData("\U0001F600", "\uE000")]
    public void The_floor_is_the_name_or_its_text_before_the_first_surrogate_then_U_E000(string listed, string floor)
        => Assert.Equal(floor, Utf16ListingOrder.LowestStillToCome(listed));

    /// <summary>A service listing in UTF-16 order from a name on, inclusive (Azure's startFrom); it records where it was asked to start.</summary>
    private static Func<string, IAsyncEnumerable<string>> ServiceFrom(IEnumerable<string> names, List<string>? starts = null)
        => from =>
        {
            starts?.Add(from);
            return Stream(names.Where(n => string.CompareOrdinal(n, from) >= 0).Order(StringComparer.Ordinal));
        };

    [Fact]
    public async Task Listing_after_a_name_from_a_utf16_service_gives_exactly_the_names_after_it_in_utf8_order()
    {
        var random = new Random(20261202);
        for (int run = 0; run < 300; run++)
        {
            var names = RandomNames(random, 40);
            // Starts among the names and beside them, the disagreeing characters included.
            var after = random.Next(3) == 0 && names.Count > 0 ? names.ElementAt(random.Next(names.Count))
                : string.Concat(Enumerable.Range(0, random.Next(0, 4)).Select(_ => Alphabet[random.Next(Alphabet.Length)]));
            var listed = new List<string>();
            await foreach (var n in Utf16ListingOrder.ListAfter(ServiceFrom(names), n => n, after)) listed.Add(n);
            Assert.Equal(names.Where(n => Utf8Bytes.Compare(n, after) > 0).Order(Utf8Bytes), listed);
        }
    }

    [Fact]
    public async Task Listing_after_a_name_starts_the_service_there_or_before_its_first_character_the_orders_disagree_on()
    {
        var starts = new List<string>();
        string[] names = ["a", "k\uE000", "k\U0001F600", "k\uFF21", "m"];
        var listed = new List<string>();
        await foreach (var n in Utf16ListingOrder.ListAfter(ServiceFrom(names, starts), n => n, "k\uE000")) listed.Add(n);
        // UTF-8: k\uE000 < k\uFF21 < k\U0001F600 < m; UTF-16 lists k\U0001F600 before k\uE000, so the service starts at "k".
        Assert.Equal(["k\uFF21", "k\U0001F600", "m"], listed);
        Assert.Equal(["k"], starts);
        listed.Clear();
        await foreach (var n in Utf16ListingOrder.ListAfter(ServiceFrom(names, starts), n => n, "k\uFF21")) listed.Add(n);
        Assert.Equal(["k\U0001F600", "m"], listed);
        await foreach (var _ in Utf16ListingOrder.ListAfter(ServiceFrom(names, starts), n => n, "b")) { }
        Assert.Equal(["k", "k", "b"], starts); // no disagreeing character: the service starts at the name itself
    }

    [Fact]
    public async Task A_second_run_over_names_the_orders_disagree_on_skips_them_all()
    {
        var src = new FakeSource();
        foreach (var key in new[] { "k\uFF21.txt", "k\U0001F600.txt", "k\uE000.txt", "k~.txt", "k\U0001F600/\uFF21" })
            src.Put(key, Encoding.UTF8.GetBytes(key));
        var dst = new FakeDestination();
        var first = await new TransferEngine(src, dst, new TransferOptions(), new TransferStats(), new ListReport()).RunAsync(RunMode.Copy, CancellationToken.None);
        Assert.Equal((ExitCodes.Ok, 5L), (first.ExitCode, first.Stats.Copied));

        var again = await new TransferEngine(src, dst, new TransferOptions(), new TransferStats(), new ListReport()).RunAsync(RunMode.Sync, CancellationToken.None);
        Assert.Equal((ExitCodes.Ok, 0L, 5L, 0L), (again.ExitCode, again.Stats.Copied, again.Stats.Skipped, again.Stats.Failed));
    }
}
