using DurableTask.Core;
using Microsoft.Extensions.Logging;

namespace Skybridge.Distributed;

/// <summary>
/// One worker process: serves every migration of a task hub (orchestrations and activities) until
/// stopped. Workers can start and stop at any time on any host; one killed loses nothing: its
/// orchestration leases expire and its unfinished activities become visible again for the others.
/// </summary>
public sealed class MigrationWorker(TaskHubConnection hub, IMigrationProviders providers, WorkerLimits limits, ILoggerFactory loggers)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    public async Task RunAsync(CancellationToken ct)
    {
        var service = hub.Service(loggers, Math.Max(1, limits.BatchesAtOnce));
        await service.CreateIfNotExistsAsync().ConfigureAwait(false);
        var store = hub.Store();
        await store.EnsureAsync(ct).ConfigureAwait(false);
        var runtime = new MigrationRuntime(store, providers, limits, loggers);
        var worker = new TaskHubWorker(service, loggers);
        worker.AddTaskOrchestrations(typeof(MigrationOrchestration), typeof(PartitionOrchestration));
        worker.AddTaskActivities(new DiscoverPartitionsActivity(runtime), new SplitRangeActivity(runtime), new PlanBatchActivity(runtime), new ExecuteBatchActivity(runtime),
            new DeleteExtrasActivity(runtime), new PartitionsAtOnceActivity(runtime));
        await worker.StartAsync().ConfigureAwait(false);
        var name = MigrationRuntime.WorkerName;
        var started = DateTime.UtcNow;
        runtime.Log.LogServing(name, hub.Name);
        try
        {
            // A heartbeat every 10 s, and after each executed batch: 'migrate status' shows each worker's throughput and when it was last seen.
            while (true)
            {
                try { await store.WriteTextAsync(MigrationStore.WorkerBlob(name), Payload.Write(runtime.Heartbeat(name, started)), ct).ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException) { runtime.Log.LogHeartbeatFailed(e.Message); }
                await runtime.NextHeartbeatAsync(HeartbeatInterval, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            // Graceful: in-flight activities finish (or are abandoned, to run elsewhere) and leases are released.
            await worker.StopAsync(isForced: false).ConfigureAwait(false);
        }
    }
}
