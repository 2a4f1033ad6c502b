using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class MemoryBudgetTests
{
    [Fact]
    public async Task Never_lends_more_than_its_capacity_under_contention()
    {
        var budget = new MemoryBudget(100);
        long current = 0, worst = 0;
        var rng = new Random(3);
        var sizes = Enumerable.Range(0, 200).Select(_ => (long)rng.Next(1, 60)).ToArray();
        await Parallel.ForEachAsync(sizes, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (size, ct) =>
        {
            using var lease = await budget.AcquireAsync(size, ct);
            var now = Interlocked.Add(ref current, size);
            InterlockedMax(ref worst, now);
            await Task.Delay(1, ct);
            Interlocked.Add(ref current, -size);
        });
        Assert.True(worst <= 100, $"peak {worst}");
        Assert.True(budget.Peak <= 100);
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task A_request_bigger_than_the_budget_runs_alone()
    {
        var budget = new MemoryBudget(10);
        var small = await budget.AcquireAsync(5, default);
        var big = budget.AcquireAsync(50, default).AsTask();
        await Task.Delay(50);
        Assert.False(big.IsCompleted);
        small.Dispose();
        using var lease = await big.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(50, budget.Used);
    }

    [Fact]
    public async Task Waiting_can_be_cancelled_and_frees_the_queue()
    {
        var budget = new MemoryBudget(10);
        var held = await budget.AcquireAsync(10, default);
        using var cts = new CancellationTokenSource();
        var waiting = budget.AcquireAsync(5, cts.Token).AsTask();
        var next = budget.AcquireAsync(1, default).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        using var lease = await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, budget.Used);
    }

    [Fact]
    public async Task Rented_buffers_are_reused_and_charged_at_their_real_size()
    {
        var budget = new MemoryBudget(1 << 20);
        byte[] first;
        using (var a = await budget.RentAsync(1000, default))
        {
            Assert.Equal(1000, a.Memory.Length);
            Assert.Equal(1024, budget.Used); // the array is 1024 bytes: that is what memory holds
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(a.Memory, out var seg));
            first = seg.Array!;
        }
        Assert.Equal(0, budget.Used);
        Assert.Equal(1024, budget.Footprint);
        using var b = await budget.RentAsync(900, default);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(b.Memory, out var again));
        Assert.Same(first, again.Array);
        Assert.Equal(1024, budget.Footprint);
    }

    [Fact]
    public async Task Held_and_kept_buffers_together_never_exceed_the_capacity()
    {
        var budget = new MemoryBudget(64 * 1024);
        var rng = new Random(5);
        var sizes = Enumerable.Range(0, 300).Select(_ => rng.Next(1, 20_000)).ToArray();
        long worst = 0;
        await Parallel.ForEachAsync(sizes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (size, ct) =>
        {
            using var buffer = await budget.RentAsync(size, ct);
            buffer.Span.Fill(1);
            InterlockedMax(ref worst, budget.Footprint);
            await Task.Yield();
        });
        Assert.True(worst <= 64 * 1024, $"held + kept reached {worst}");
        Assert.True(budget.Footprint <= 64 * 1024);
        Assert.Equal(0, budget.Used);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
