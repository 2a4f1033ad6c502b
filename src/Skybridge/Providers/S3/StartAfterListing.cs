using Skybridge.Transfer;

namespace Skybridge.Providers.S3;

/// <summary>Fetches one page like <see cref="ListPageFunc"/>, starting after a key (ListObjectsV2 StartAfter; null: from the start).</summary>
public delegate Task<ListPage> ListPageAfterFunc(string prefix, string? delimiter, string? continuation, string? startAfter, CancellationToken ct);

/// <summary>
/// Resumes a listing after a key without relisting what comes before it, also through
/// <see cref="PrefixFanOut"/>: every first request of a prefix whose range reaches the key starts
/// after it (S3 returns nothing before StartAfter), and whatever a server returns anyway — a common
/// prefix wholly before the key, an object not after it — is dropped, so the result is exactly the
/// keys after <c>startAfter</c>, in order.
/// </summary>
public static class StartAfterListing
{
    public static ListPageFunc Wrap(ListPageAfterFunc listPage, string startAfter)
        => async (prefix, delimiter, continuation, ct) =>
        {
            // Keys under prefix P that are not after startAfter exist only when startAfter >= P.
            var from = continuation is null && Utf8Ordinal.Instance.Compare(startAfter, prefix) >= 0 ? StartAfterFor(prefix, delimiter, startAfter) : null;
            var page = await listPage(prefix, delimiter, continuation, from, ct).ConfigureAwait(false);
            return Filter(page, startAfter);
        };

    /// <summary>
    /// The StartAfter to send. With a delimiter, a key in a sub-folder ("p/z/001") must not be sent
    /// as is: the folder's common prefix ("p/z/") sorts before it, and some servers (Ceph RGW) then
    /// leave the folder out although it holds later keys. So send the folder's name without its
    /// delimiter ("p/z"): the folder comes back, and the few keys between ("p/z.txt") are dropped by
    /// <see cref="Filter"/>.
    /// </summary>
    public static string StartAfterFor(string prefix, string? delimiter, string startAfter)
    {
        if (string.IsNullOrEmpty(delimiter) || !startAfter.StartsWith(prefix, StringComparison.Ordinal)) return startAfter;
        var cut = startAfter.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
        return cut < 0 ? startAfter : startAfter[..cut];
    }

    /// <summary>Keeps objects after <paramref name="startAfter"/> and the common prefixes that can hold such keys.</summary>
    public static ListPage Filter(ListPage page, string startAfter) => page with
    {
        Objects = page.Objects.Where(o => Utf8Ordinal.Instance.Compare(o.Key, startAfter) > 0).ToList(),
        CommonPrefixes = page.CommonPrefixes
            .Where(p => Utf8Ordinal.Instance.Compare(p, startAfter) > 0 || startAfter.StartsWith(p, StringComparison.Ordinal)).ToList(),
    };
}
