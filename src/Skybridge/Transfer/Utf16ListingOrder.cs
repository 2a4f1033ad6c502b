using System.Runtime.CompilerServices;

namespace Skybridge.Transfer;

/// <summary>
/// Puts a listing sorted by UTF-16 code units (Azure Blob lists so) into UTF-8 byte order (what S3
/// lists and <see cref="March"/> merges by). The two orders disagree only where one name has a
/// character above U+FFFF (a surrogate pair, code units D800..DFFF) and the other one of
/// U+E000..U+FFFF at the same place: UTF-16 puts the first before, UTF-8 after. So only names with a
/// surrogate pair are ever held back, and only until the listing has passed every name that could
/// still sort before them; everything else streams through. Memory: the names of one such group
/// (e.g. the emoji-named files of one folder), not the listing.
/// </summary>
public static class Utf16ListingOrder
{
    /// <summary>The items of <paramref name="utf16Ordered"/> in UTF-8 order of <paramref name="name"/> (input must be in UTF-16 ordinal order; names unique).</summary>
    public static async IAsyncEnumerable<T> InUtf8Order<T>(IAsyncEnumerable<T> utf16Ordered, Func<T, string> name,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var held = new PriorityQueue<T, string>(Utf8Ordinal.Instance);
        await foreach (var item in utf16Ordered.WithCancellation(ct).ConfigureAwait(false))
        {
            var current = name(item);
            held.Enqueue(item, current);
            var floor = LowestStillToCome(current);
            while (held.TryPeek(out var next, out var nextName) && Utf8Ordinal.Instance.Compare(nextName, floor) <= 0)
            {
                held.Dequeue();
                yield return next;
            }
        }
        while (held.TryDequeue(out var rest, out _)) yield return rest;
    }

    /// <summary>
    /// The names after <paramref name="after"/> (UTF-8 order, exclusive), in UTF-8 order, from a
    /// service that lists in UTF-16 order starting at a name (inclusive, as Azure's <c>startFrom</c>):
    /// <paramref name="listFrom"/> is asked to start at <see cref="StartFrom"/>, so no name after
    /// <paramref name="after"/> is skipped although the service orders some of them before it; the
    /// few names it lists that are not after it are dropped. A service that ignores the start lists
    /// everything: still exact, only slower.
    /// </summary>
    public static async IAsyncEnumerable<T> ListAfter<T>(Func<string, IAsyncEnumerable<T>> listFrom, Func<T, string> name, string after,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var item in InUtf8Order(listFrom(StartFrom(after)), name, ct).ConfigureAwait(false))
            if (Utf8Ordinal.Instance.Compare(name(item), after) > 0) yield return item;
    }

    /// <summary>
    /// Where a UTF-16-ordered listing must start (inclusive) to reach every name that is after
    /// <paramref name="after"/> in UTF-8 order: <paramref name="after"/> itself, or its text before its
    /// first character of U+E000..U+FFFF. A name after it in UTF-8 order but before it in UTF-16 order
    /// shares its text up to such a character and has a surrogate pair there; every other name after
    /// it in UTF-8 order is after this start in UTF-16 order too (the orders agree everywhere else).
    /// </summary>
    internal static string StartFrom(string after)
    {
        var i = after.AsSpan().IndexOfAnyInRange('\uE000', '\uFFFF');
        return i < 0 ? after : after[..i];
    }

    /// <summary>
    /// The UTF-8-smallest name a UTF-16-ordered listing can still yield after <paramref name="listed"/>:
    /// the name itself when it has no surrogate (every later name is greater in both orders), else its
    /// text before the first surrogate followed by U+E000 (a later name may differ there with a
    /// character of U+E000..U+FFFF, which UTF-8 puts before any character above U+FFFF).
    /// </summary>
    internal static string LowestStillToCome(string listed)
    {
        var i = listed.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        return i < 0 ? listed : string.Concat(listed.AsSpan(0, i), "\uE000");
    }
}
