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
    public async Task RunAsync(CancellationToken ct)
    {
        var service = hub.Service(loggers, Math.Max(1, limits.BatchesAtOnce));
        await service.CreateIfNotExistsAsync().ConfigureAwait(false);
        var store = hub.Store();
        await store.EnsureAsync(ct).ConfigureAwait(false);
        var runtime = new MigrationRuntime(store, providers, limits, loggers);
        var worker = new TaskHubWorker(service, loggers);
        worker.AddTaskOrchestrations(typeof(MigrationOrchestration), typeof(PartitionOrchestration));
        worker.AddTaskActivities(new DiscoverPartitionsActivity(runtime), new PlanBatchActivity(runtime), new ExecuteBatchActivity(runtime));
        await worker.StartAsync().ConfigureAwait(false);
        runtime.Log.LogServing(Environment.MachineName + ":" + Environment.ProcessId, hub.Name);
        try
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        finally
        {
            // Graceful: in-flight activities finish (or are abandoned, to run elsewhere) and leases are released.
            await worker.StopAsync(isForced: false).ConfigureAwait(false);
        }
    }
}
