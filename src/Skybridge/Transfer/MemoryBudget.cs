using System.Numerics;

namespace Skybridge.Transfer;

/// <summary>
/// A byte budget for block buffers: whatever the object sizes and concurrency, the bytes held in
/// buffers never exceed <see cref="Capacity"/>. Waiters are served first come, first served, so a
/// large block cannot starve behind a stream of small ones. A request larger than the whole budget
/// is granted once nothing else is held (it could never fit otherwise).
/// <para>
/// <see cref="RentAsync"/> also owns the buffers: arrays given back are kept for reuse only while
/// held + kept bytes stay within the capacity (kept ones are dropped first when a request needs the
/// room), so the process never holds more buffer memory than the budget. ArrayPool.Shared kept
/// returned 8 MiB arrays per core on top of it: 410 MB peak RSS with a 256 MiB budget.
/// </para>
/// </summary>
public sealed class MemoryBudget
{
    private sealed record Waiter(long Bytes, bool WantsArray, TaskCompletionSource<byte[]?> Ready);

    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly Dictionary<long, Stack<byte[]>> _kept = new();
    private long _used, _keptBytes;

    public MemoryBudget(long capacity)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        Capacity = capacity;
    }

    public long Capacity { get; }
    public long Used { get { lock (_gate) return _used; } }
    /// <summary>Held plus kept-for-reuse bytes: all the buffer memory this budget accounts for.</summary>
    public long Footprint { get { lock (_gate) return _used + _keptBytes; } }
    /// <summary>Highest <see cref="Used"/> seen: what the run actually needed.</summary>
    public long Peak { get; private set; }

    /// <summary>Charges <paramref name="bytes"/> without a buffer (the caller holds the memory).</summary>
    public async ValueTask<Lease> AcquireAsync(long bytes, CancellationToken ct)
    {
        await WaitAsync(bytes, wantsArray: false, ct).ConfigureAwait(false);
        return new Lease(this, bytes);
    }

    /// <summary>
    /// A buffer of at least <paramref name="length"/> bytes, charged at its real size: rounded up to
    /// a power of two (up to 1 GiB), so blocks and objects of similar sizes reuse each other's arrays.
    /// </summary>
    public async ValueTask<Buffer> RentAsync(int length, CancellationToken ct)
    {
        length = Math.Max(length, 1);
        var size = (int)Charge(length);
        var kept = await WaitAsync(size, wantsArray: true, ct).ConfigureAwait(false);
        // A new array's bytes are already charged: allocating it outside the lock keeps the bound.
        return new Buffer(this, kept ?? GC.AllocateUninitializedArray<byte>(size), length);
    }

    private const int MaxRounded = 1 << 30;

    /// <summary>The bytes a buffer of <paramref name="length"/> is charged: its power-of-two size up to 1 GiB.</summary>
    public static long Charge(long length)
        => length is > 0 and <= MaxRounded ? (long)BitOperations.RoundUpToPowerOf2((ulong)length) : Math.Max(length, 1);

    /// <summary>
    /// A budget smaller than one block's buffer cannot bound anything: the block would be granted
    /// anyway once nothing else is held (see the type's remarks), so the run would use more than
    /// the user allowed. Refused up front, before any job exists.
    /// </summary>
    public static void RequireRoomForOneBlock(long capacity, long blockSize)
    {
        var need = Charge(blockSize);
        if (capacity >= need) return;
        var needText = need % BlockPlanner.MiB == 0 ? $"{need / BlockPlanner.MiB}MiB" : $"{need}";
        throw SkybridgeException.Usage(
            $"--max-memory {capacity} bytes is smaller than one block's buffer ({need} bytes for --block-size {blockSize}): every block and every object up to one block is held whole in memory.",
            $"Use --max-memory {needText} or more, or a smaller --block-size (a budget of several blocks lets several objects copy at once; default 128MiB).");
    }

    private async ValueTask<byte[]?> WaitAsync(long bytes, bool wantsArray, CancellationToken ct)
    {
        Waiter waiter;
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (_waiters.Count == 0 && Fits(bytes)) return Take(bytes, wantsArray);
            waiter = new Waiter(bytes, wantsArray, new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously));
            node = _waiters.AddLast(waiter);
        }
        using (ct.Register(() =>
        {
            lock (_gate)
            {
                if (node.List is null) return; // already granted
                _waiters.Remove(node);
            }
            waiter.Ready.TrySetCanceled(ct);
            Grant();
        }))
        {
            return await waiter.Ready.Task.ConfigureAwait(false);
        }
    }

    private bool Fits(long bytes) => _used + bytes <= Capacity || _used == 0;

    /// <summary>Under the lock: charges the bytes, hands out a kept array of that size if any, and drops kept arrays that no longer fit.</summary>
    private byte[]? Take(long bytes, bool wantsArray)
    {
        _used += bytes;
        if (_used > Peak) Peak = _used;
        byte[]? reused = null;
        if (wantsArray && _kept.TryGetValue(bytes, out var same) && same.TryPop(out reused)) _keptBytes -= bytes;
        foreach (var stack in _kept.Values)
            while (_used + _keptBytes > Capacity && stack.TryPop(out var dropped)) _keptBytes -= dropped.Length;
        return reused;
    }

    private void Release(long bytes, byte[]? array)
    {
        lock (_gate)
        {
            _used -= bytes;
            if (array is not null && _used + _keptBytes + array.Length <= Capacity)
            {
                if (!_kept.TryGetValue(array.Length, out var stack)) _kept[array.Length] = stack = new Stack<byte[]>();
                stack.Push(array);
                _keptBytes += array.Length;
            }
        }
        Grant();
    }

    private void Grant()
    {
        var granted = new List<(Waiter Waiter, byte[]? Array)>();
        lock (_gate)
        {
            while (_waiters.First is { } first && Fits(first.Value.Bytes))
            {
                _waiters.RemoveFirst();
                granted.Add((first.Value, Take(first.Value.Bytes, first.Value.WantsArray)));
            }
        }
        // (A cancelled waiter is off the list before it is cancelled: every grant is delivered.)
        foreach (var (waiter, array) in granted) waiter.Ready.TrySetResult(array);
    }

    /// <summary>Held bytes; disposing gives them back.</summary>
    public sealed class Lease(MemoryBudget owner, long bytes) : IDisposable
    {
        private int _disposed;
        public long Bytes => bytes;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Release(bytes, null);
        }
    }

    /// <summary>A rented buffer: <see cref="Memory"/> is exactly the length asked for; disposing gives the array and its bytes back.</summary>
    public sealed class Buffer(MemoryBudget owner, byte[] array, int length) : IDisposable
    {
        private int _disposed;
        public Memory<byte> Memory => array.AsMemory(0, length);
        public Span<byte> Span => array.AsSpan(0, length);
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Release(array.Length, array);
        }
    }
}
