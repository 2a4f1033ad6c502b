using Skybridge.Transfer;

namespace Skybridge.S3;

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
            var from = continuation is null && Utf8Ordinal.Instance.Compare(startAfter, prefix) >= 0 ? startAfter : null;
            var page = await listPage(prefix, delimiter, continuation, from, ct).ConfigureAwait(false);
            return Filter(page, startAfter);
        };

    /// <summary>Keeps objects after <paramref name="startAfter"/> and the common prefixes that can hold such keys.</summary>
    public static ListPage Filter(ListPage page, string startAfter) => page with
    {
        Objects = page.Objects.Where(o => Utf8Ordinal.Instance.Compare(o.Key, startAfter) > 0).ToList(),
        CommonPrefixes = page.CommonPrefixes
            .Where(p => Utf8Ordinal.Instance.Compare(p, startAfter) > 0 || startAfter.StartsWith(p, StringComparison.Ordinal)).ToList(),
    };
}
