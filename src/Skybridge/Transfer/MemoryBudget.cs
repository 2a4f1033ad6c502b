namespace Skybridge.Transfer;

/// <summary>
/// A byte budget for block buffers: whatever the object sizes and concurrency, the bytes held in
/// buffers never exceed <see cref="Capacity"/>. Waiters are served first come, first served, so a
/// large block cannot starve behind a stream of small ones. A request larger than the whole budget
/// is granted once nothing else is held (it could never fit otherwise).
/// </summary>
public sealed class MemoryBudget
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(long Bytes, TaskCompletionSource Ready)> _waiters = new();
    private long _used;

    public MemoryBudget(long capacity)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        Capacity = capacity;
    }

    public long Capacity { get; }
    public long Used { get { lock (_gate) return _used; } }
    /// <summary>Highest <see cref="Used"/> seen: what the run actually needed.</summary>
    public long Peak { get; private set; }

    public async ValueTask<Lease> AcquireAsync(long bytes, CancellationToken ct)
    {
        TaskCompletionSource ready;
        LinkedListNode<(long, TaskCompletionSource)> node;
        lock (_gate)
        {
            if (_waiters.Count == 0 && Fits(bytes)) { Take(bytes); return new Lease(this, bytes); }
            ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast((bytes, ready));
        }
        using (ct.Register(() =>
        {
            lock (_gate)
            {
                if (node.List is null) return; // already granted
                _waiters.Remove(node);
            }
            ready.TrySetCanceled(ct);
            Grant();
        }))
        {
            await ready.Task.ConfigureAwait(false);
        }
        return new Lease(this, bytes);
    }

    private bool Fits(long bytes) => _used + bytes <= Capacity || _used == 0;

    private void Take(long bytes)
    {
        _used += bytes;
        if (_used > Peak) Peak = _used;
    }

    private void Release(long bytes)
    {
        lock (_gate) _used -= bytes;
        Grant();
    }

    private void Grant()
    {
        var granted = new List<TaskCompletionSource>();
        lock (_gate)
        {
            while (_waiters.First is { } first && Fits(first.Value.Bytes))
            {
                _waiters.RemoveFirst();
                Take(first.Value.Bytes);
                granted.Add(first.Value.Ready);
            }
        }
        foreach (var g in granted) g.TrySetResult();
    }

    /// <summary>Held bytes; disposing gives them back.</summary>
    public sealed class Lease(MemoryBudget owner, long bytes) : IDisposable
    {
        private int _disposed;
        public long Bytes => bytes;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Release(bytes);
        }
    }
}
