using DurableTask.Core;

namespace Skybridge.Distributed;

/// <summary>Cuts the source's key space into the migration's first partitions (<see cref="PartitionDiscovery"/>).</summary>
internal sealed class DiscoverPartitionsActivity(MigrationRuntime runtime) : AsyncTaskActivity<string, string>
{
    protected override async Task<string> ExecuteAsync(TaskContext context, string input)
    {
        var request = Payload.Read<DiscoverRequest>(input);
        var served = await runtime.ForAsync(request.MigrationId, CancellationToken.None).ConfigureAwait(false);
        var discovery = new PartitionDiscovery(served.Source, request.BatchSize, request.SampleLimit, minPerPartition: 1); // as many as --partitions asks
        return Payload.Write(new PartitionPlan(await discovery.SplitAsync(Transfer.Planning.KeyRange.All, request.Partitions, CancellationToken.None).ConfigureAwait(false)));
    }
}

/// <summary>
/// Cuts the rest of a partition's range (after the last key it planned) into pieces, the same way
/// as discovery; one piece means the rest is too small to split (the partition carries on).
/// Idempotent: the listing decides, and a re-run before any of the pieces started cuts the same.
/// </summary>
internal sealed class SplitRangeActivity(MigrationRuntime runtime) : AsyncTaskActivity<string, string>
{
    protected override async Task<string> ExecuteAsync(TaskContext context, string input)
    {
        var request = Payload.Read<SplitRequest>(input);
        var served = await runtime.ForAsync(request.MigrationId, CancellationToken.None).ConfigureAwait(false);
        var discovery = new PartitionDiscovery(served.Source, request.BatchSize, request.SampleLimit, minPerPartition: request.BatchSize); // no piece under a batch
        var pieces = await discovery.SplitAsync(new Transfer.Planning.KeyRange(request.After, request.Through), request.Pieces, CancellationToken.None).ConfigureAwait(false);
        runtime.Log.LogRangeSplit(request.MigrationId, pieces.Count);
        return Payload.Write(new PartitionPlan(pieces));
    }
}

/// <summary>
/// How many partitions the migration runs at once now (<see cref="PartitionsAtOnce.Auto"/>): the live
/// workers' batch slots, from their heartbeats. Reads only; any answer is a valid one, so a re-run is harmless.
/// </summary>
internal sealed class PartitionsAtOnceActivity(MigrationRuntime runtime) : AsyncTaskActivity<string, string>
{
    protected override async Task<string> ExecuteAsync(TaskContext context, string input)
    {
        Payload.Read<WidthRequest>(input);
        var workers = await runtime.Store.WorkersAsync(CancellationToken.None, liveWithin: PartitionsAtOnce.Live).ConfigureAwait(false);
        return Payload.Write(PartitionsAtOnce.Auto(workers, runtime.Limits.BatchesAtOnce));
    }
}
