using System.Text;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Planning;

namespace Skybridge.Tests.Transfer;

/// <summary>
/// A failure no provider mapped (a bug, or an HTTP stack failure the SDK does not classify) runs the
/// item again, up to <see cref="ItemExecutor.UnmappedFailureAttempts"/> times; a mapped one is final.
/// </summary>
public class ItemExecutorTests
{
    private static readonly TransferOptions Options = new() { Copy = new CopySettings { BlockSize = 1000 } };

    private static async Task<(FakeSource Src, FakeDestination Dst, ItemExecutor Executor, TransferItem Item)> OneCopyAsync()
    {
        var src = new FakeSource();
        src.Put("k.txt", Encoding.UTF8.GetBytes("hello"));
        var dst = new FakeDestination();
        var stats = new TransferStats();
        var executor = new ItemExecutor(src, dst, new ObjectCopier(src, dst, Options.Copy, new MemoryBudget(1 << 20), stats), Options, stats);
        TransferItem? item = null;
        await foreach (var i in new Planner(src, dst, Options, RunMode.Copy).PlanAsync(CancellationToken.None)) item = i;
        return (src, dst, executor, item!);
    }

    [Fact]
    public async Task An_unmapped_failure_runs_the_item_again_and_the_reason_says_so()
    {
        var (src, dst, executor, item) = await OneCopyAsync();
        var failures = 1;
        src.BeforeRead = (_, _) => { if (Interlocked.Decrement(ref failures) >= 0) throw new ArgumentOutOfRangeException(); };

        var outcome = await executor.ExecuteAsync(item, CancellationToken.None);

        Assert.Equal(Outcome.Copied, outcome.Status);
        Assert.Equal("hello", Encoding.UTF8.GetString(dst.Blobs["k.txt"].Data));
        Assert.Equal(1, src.Reads); // the failed attempt threw before its read counted; the second one read
        Assert.Contains("run again after an unexpected ArgumentOutOfRangeException: Specified argument was out of the range of valid values.", outcome.Reason);
    }

    [Fact]
    public async Task An_unmapped_failure_that_persists_fails_the_object_after_the_last_attempt()
    {
        var (src, dst, executor, item) = await OneCopyAsync();
        var attempts = 0;
        src.BeforeRead = (_, _) => { Interlocked.Increment(ref attempts); throw new InvalidOperationException("broken"); };

        var outcome = await executor.ExecuteAsync(item, CancellationToken.None);

        Assert.Equal(Outcome.Failed, outcome.Status);
        Assert.Equal(ItemExecutor.UnmappedFailureAttempts, attempts);
        Assert.Equal("InvalidOperationException: broken", outcome.Reason);
        Assert.Empty(dst.Blobs);
    }

    [Fact]
    public async Task A_mapped_failure_is_final_at_once()
    {
        var (src, dst, executor, item) = await OneCopyAsync();
        var attempts = 0;
        src.BeforeRead = (_, _) => { Interlocked.Increment(ref attempts); throw new SkybridgeException(ErrorKind.Failed, "S3 400 InvalidRequest: no"); };

        var outcome = await executor.ExecuteAsync(item, CancellationToken.None);

        Assert.Equal((Outcome.Failed, 1), (outcome.Status, attempts));
        Assert.Equal("S3 400 InvalidRequest: no", outcome.Reason);
        Assert.Empty(dst.Blobs);
    }
}
