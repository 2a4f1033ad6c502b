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

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
