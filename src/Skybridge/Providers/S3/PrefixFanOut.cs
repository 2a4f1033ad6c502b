using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Skybridge.Transfer;

namespace Skybridge.Providers.S3;

/// <summary>One page of ListObjectsV2: objects, common prefixes (with a delimiter) and the continuation.</summary>
internal sealed record ListPage(IReadOnlyList<SourceObject> Objects, IReadOnlyList<string> CommonPrefixes, string? NextToken)
{
    /// <summary>Objects and common prefixes of the page merged in key order (each list is sorted; S3 returns them apart).</summary>
    public IEnumerable<(SourceObject? Object, string? Prefix)> InKeyOrder()
    {
        int i = 0, j = 0;
        while (i < Objects.Count || j < CommonPrefixes.Count)
        {
            bool takeObject = j >= CommonPrefixes.Count
                || (i < Objects.Count && Utf8Ordinal.Instance.Compare(Objects[i].Key, CommonPrefixes[j]) < 0);
            yield return takeObject ? (Objects[i++], null) : (null, CommonPrefixes[j++]);
        }
    }
}

/// <summary>Fetches one page: (prefix, delimiter or null, continuation or null) -> page.</summary>
internal delegate Task<ListPage> ListPageFunc(string prefix, string? delimiter, string? continuation, CancellationToken ct);

/// <summary>
/// Lists a big bucket faster by listing its first-level "folders" in parallel, while still yielding
/// keys in UTF-8 binary order (the merge with the destination depends on it). This works because
/// every key under "a/" sorts between "a/" and the next first-level entry: so the top level, read
/// with delimiter '/', gives the order of the ranges, and each range is listed on its own. Memory
/// stays bounded: at most <c>parallelism</c> folders are read ahead, each into a bounded buffer.
/// </summary>
internal static class PrefixFanOut
{
    private const int MaxQueued = 3000;

    private sealed class Entry
    {
        public SourceObject? Object;
        public string? Prefix;
        public Channel<SourceObject>? Buffer;
        public Task? Lister;
    }

    public static async IAsyncEnumerable<SourceObject> ListAsync(ListPageFunc listPage, string prefix, int parallelism, int bufferPerPrefix,
        [EnumeratorCancellation] CancellationToken ct)
    {
        if (parallelism <= 1)
        {
            await foreach (var o in Flat(listPage, prefix, ct).ConfigureAwait(false)) yield return o;
            yield break;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var queue = new Queue<Entry>();
        string? continuation = null;
        bool topLevelDone = false;
        int started = 0; // listers started and not yet consumed
        try
        {
            while (true)
            {
                // Keep enough of the top level read to have `parallelism` folders in flight, but never
                // more than a few pages of it (a bucket may have millions of keys at the top level).
                while (!topLevelDone && (queue.Count == 0 || (queue.Count < MaxQueued && queue.Count(e => e.Prefix is not null) < parallelism)))
                {
                    var page = await listPage(prefix, "/", continuation, stop.Token).ConfigureAwait(false);
                    foreach (var e in MergePage(page)) queue.Enqueue(e);
                    continuation = page.NextToken;
                    topLevelDone = continuation is null;
                }
                foreach (var e in queue)
                {
                    if (started >= parallelism) break;
                    if (e.Prefix is null || e.Lister is not null) continue;
                    e.Buffer = Channel.CreateBounded<SourceObject>(new BoundedChannelOptions(bufferPerPrefix) { SingleReader = true, SingleWriter = true });
                    e.Lister = Fill(listPage, e.Prefix, e.Buffer.Writer, stop.Token);
                    started++;
                }
                if (queue.Count == 0) yield break;

                var next = queue.Dequeue();
                if (next.Object is not null) { yield return next.Object; continue; }
                await foreach (var o in next.Buffer!.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false)) yield return o;
                await next.Lister!.ConfigureAwait(false); // surfaces a listing error of that folder
                started--;
            }
        }
        finally
        {
            // Abandoned early (error, cancellation, consumer stopped): stop the read-ahead listers.
            stop.Cancel();
            foreach (var e in queue)
                if (e.Lister is not null)
                    try { await e.Lister.ConfigureAwait(false); } catch { /* already reporting something else */ }
        }
    }

    /// <summary>Objects and folders of one top-level page, in key order.</summary>
    private static IEnumerable<Entry> MergePage(ListPage page)
        => page.InKeyOrder().Select(e => new Entry { Object = e.Object, Prefix = e.Prefix });

    private static async Task Fill(ListPageFunc listPage, string prefix, ChannelWriter<SourceObject> writer, CancellationToken ct)
    {
        try
        {
            await foreach (var o in Flat(listPage, prefix, ct).ConfigureAwait(false)) await writer.WriteAsync(o, ct).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
            throw;
        }
    }

    private static async IAsyncEnumerable<SourceObject> Flat(ListPageFunc listPage, string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        string? continuation = null;
        do
        {
            var page = await listPage(prefix, null, continuation, ct).ConfigureAwait(false);
            foreach (var o in page.Objects) yield return o;
            continuation = page.NextToken;
        } while (continuation is not null);
    }
}
