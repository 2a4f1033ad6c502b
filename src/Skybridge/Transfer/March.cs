namespace Skybridge.Transfer;

/// <summary>Which side(s) of the merge an entry was found on.</summary>
internal enum MarchSide { SourceOnly, DestinationOnly, Both }

/// <summary>One step of the merge: a name and what each side has under it.</summary>
internal readonly record struct MarchEntry<TSource, TDest>(string Name, MarchSide Side, TSource? Source, TDest? Destination);

/// <summary>
/// rclone's march: walks two listings that are both sorted by name and yields, in order, what is
/// only in the source, only in the destination, or in both — holding a bounded number of entries of
/// each side in memory, so the bucket can be any size and decisions flow while listing continues.
/// A listing that goes backwards would silently produce wrong decisions, so it is an error.
/// Like rclone, both sides are listed at the same time: each is read ahead of the merge by up to
/// <c>readAhead</c> entries, so neither side's page requests wait for the other's.
/// </summary>
internal static class March
{
    /// <summary>Entries of each side buffered ahead of the merge (one Azure listing page is up to 5,000).</summary>
    public const int DefaultReadAhead = 5000;

    public static async IAsyncEnumerable<MarchEntry<TSource, TDest>> MergeAsync<TSource, TDest>(
        IAsyncEnumerable<TSource> source, Func<TSource, string> sourceName,
        IAsyncEnumerable<TDest> destination, Func<TDest, string> destinationName, int readAhead = DefaultReadAhead,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
        where TSource : class where TDest : class
    {
        var cmp = Utf8Ordinal.Instance;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var s = new OrderedCursor<TSource>(source.ReadAheadAsync(readAhead, stop.Token), sourceName, "source", stop.Token);
        await using var d = new OrderedCursor<TDest>(destination.ReadAheadAsync(readAhead, stop.Token), destinationName, "destination", stop.Token);
        // Both first reads at once (each starts its side's read-ahead). If the source's fails, the
        // destination's read is stopped and awaited before its enumerator is disposed.
        var first = d.MoveAsync();
        try
        {
            await s.MoveAsync();
        }
        catch
        {
            stop.Cancel();
            try { await first; } catch { /* the source's failure is the one reported */ }
            throw;
        }
        await first;
        while (s.Current is not null || d.Current is not null)
        {
            ct.ThrowIfCancellationRequested();
            int c = s.Current is null ? 1 : d.Current is null ? -1 : cmp.Compare(s.Name, d.Name);
            if (c < 0)
            {
                yield return new(s.Name!, MarchSide.SourceOnly, s.Current, null);
                await s.MoveAsync();
            }
            else if (c > 0)
            {
                yield return new(d.Name!, MarchSide.DestinationOnly, null, d.Current);
                await d.MoveAsync();
            }
            else
            {
                yield return new(s.Name!, MarchSide.Both, s.Current, d.Current);
                await s.MoveAsync();
                await d.MoveAsync();
            }
        }
    }

    private sealed class OrderedCursor<T>(IAsyncEnumerable<T> items, Func<T, string> name, string side, CancellationToken ct) : IAsyncDisposable
        where T : class
    {
        private readonly IAsyncEnumerator<T> _e = items.GetAsyncEnumerator(ct);
        public T? Current { get; private set; }
        public string? Name { get; private set; }

        public async Task MoveAsync()
        {
            var previous = Name;
            if (!await _e.MoveNextAsync()) { Current = null; Name = null; return; }
            Current = _e.Current;
            Name = name(Current);
            if (previous is not null && Utf8Ordinal.Instance.Compare(previous, Name) >= 0)
                throw new InvalidOperationException(
                    $"The {side} listing is not in UTF-8 binary order ('{previous}' came before '{Name}'); refusing to compare listings that would give wrong decisions.");
        }

        public ValueTask DisposeAsync() => _e.DisposeAsync();
    }
}
