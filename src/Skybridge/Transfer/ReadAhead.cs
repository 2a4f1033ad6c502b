using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Skybridge.Transfer;

/// <summary>
/// Reads an async sequence ahead of its consumer, in its own task, into a bounded buffer: a paged
/// listing fetches its next page while the consumer is still working through the previous one,
/// instead of only when it asks for the next item. Errors surface to the consumer in order; when the
/// consumer stops early, the reader is cancelled and awaited.
/// </summary>
internal static class ReadAhead
{
    /// <summary>The sequence read up to <paramref name="capacity"/> items ahead; 0 or less: the sequence itself (read only when asked).</summary>
    public static IAsyncEnumerable<T> ReadAheadAsync<T>(this IAsyncEnumerable<T> items, int capacity, CancellationToken ct = default)
        => capacity > 0 ? Buffered(items, capacity, ct) : items;

    private static async IAsyncEnumerable<T> Buffered<T>(IAsyncEnumerable<T> items, int capacity, [EnumeratorCancellation] CancellationToken ct)
    {
        var buffer = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in items.WithCancellation(stop.Token).ConfigureAwait(false))
                    await buffer.Writer.WriteAsync(item, stop.Token).ConfigureAwait(false);
                buffer.Writer.TryComplete();
            }
            catch (Exception e)
            {
                buffer.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var item in buffer.Reader.ReadAllAsync(ct).ConfigureAwait(false)) yield return item;
        }
        finally
        {
            stop.Cancel();
            await reader.ConfigureAwait(false);
        }
    }
}
