using DurableTask.Core;
using Microsoft.Extensions.Logging;
using Skybridge.Jobs;
using Skybridge.Transfer;
using Skybridge.Transfer.Outcomes;

namespace Skybridge.Distributed;

/// <summary>
/// How a migration is cut: partitions wanted at the start, objects per batch, pages per orchestration
/// execution, most keys sampled for one key-range cut, the pages after which a partition not
/// done splits the rest of its range again (0: never), and the partitions run at once (0: twice the
/// live workers' batch slots, re-read as partitions finish).
/// </summary>
public sealed record MigrationShape(int Partitions = 16, int BatchSize = 1000, int PagesPerExecution = 10, int SampleLimit = MigrationShape.DefaultSampleLimit,
    int SplitAfterPages = MigrationShape.DefaultSplitAfterPages, int PartitionsAtOnce = 0)
{
    public const int DefaultSampleLimit = 100_000;
    public const int DefaultSplitAfterPages = 20;
    /// <summary>Ranges a re-split cuts the rest of a partition into (each splits again after as many pages: big ranges fan out geometrically).</summary>
    public const int SplitPieces = 4;
}

/// <summary>A migration's state as 'migrate status' shows it.</summary>
public sealed record MigrationStatus(
    string Id, string State, int Partitions, int PartitionsDone, long Planned, long Copied, long BytesCopied, long Skipped, long Failed, long Rerun,
    long Batches, long Pages, DateTime CreatedUtc, DateTime LastUpdatedUtc, double ObjectsPerSecond, double BytesPerSecond,
    IReadOnlyDictionary<string, long> FailReasons, string? Error)
{
    /// <summary>The task hub's workers (of any migration), with their throughput since they started.</summary>
    public IReadOnlyList<WorkerHeartbeat> Workers { get; init; } = [];

    /// <summary>Partitions known but not started: they wait for a running one to finish (counted in <see cref="Partitions"/>).</summary>
    public int PartitionsWaiting { get; init; }
    /// <summary>Partitions the migration runs at once now (0: every one at once, a migration started by an older build).</summary>
    public int PartitionsAtOnce { get; init; }

    /// <summary>--delete: destination-only blobs found, and deleted once every partition had finished.</summary>
    public long Extras { get; init; }
    public long Deleted { get; init; }
    /// <summary>--delete: why the deletes did not run (sync's guards), or null.</summary>
    public string? DeleteRefused { get; init; }

    public bool Finished => State is "completed" or "failed" or "terminated" or "canceled";

    /// <summary>Objects with a final outcome: copied, skipped or failed.</summary>
    public long Processed => Copied + Skipped + Failed;

    /// <summary>Objects with a final outcome in the partitions that have finished (the estimate's per-partition average).</summary>
    public long ObjectsInDonePartitions { get; init; }

    /// <summary>Total objects and time left (<see cref="MigrationForecast"/>).</summary>
    public MigrationEstimate Estimate { get; init; } = new(null, null, "unknown");
}

/// <summary>Starts, inspects, cancels and reports migrations of one task hub (no worker needed for any of these).</summary>
public sealed class MigrationClient(TaskHubConnection hub, ILoggerFactory loggers)
{
    private readonly Lazy<DurableTask.AzureStorage.AzureStorageOrchestrationService> _service = new(() => hub.Service(loggers));
    private TaskHubClient? _client;
    private TaskHubClient Client => _client ??= new TaskHubClient(_service.Value, loggerFactory: loggers);

    public static string NewId() => "m" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..6];

    public async Task StartAsync(string id, JobSpec spec, MigrationShape shape, CancellationToken ct)
    {
        var service = hub.Service(loggers);
        await service.CreateIfNotExistsAsync().ConfigureAwait(false);
        var store = hub.Store();
        await store.EnsureAsync(ct).ConfigureAwait(false);
        await store.WriteSpecAsync(id, spec, ct).ConfigureAwait(false);
        await Client.CreateOrchestrationInstanceAsync(typeof(MigrationOrchestration), id,
            Payload.Write(new MigrationInput(id, shape.Partitions, shape.BatchSize, shape.PagesPerExecution, shape.SampleLimit) { SplitAfterPages = shape.SplitAfterPages, PartitionsAtOnce = shape.PartitionsAtOnce })).ConfigureAwait(false);
    }

    /// <summary>The migration's state, totals and workers; <paramref name="expectedObjects"/> (if the operator knows the source's size) makes the ETA exact-er.</summary>
    public async Task<MigrationStatus> StatusAsync(string id, CancellationToken ct, long? expectedObjects = null)
    {
        var state = await Client.GetOrchestrationStateAsync(id).ConfigureAwait(false) ?? throw NotFound(id);
        var done = state.OrchestrationStatus == OrchestrationStatus.Completed && state.Output is { Length: > 0 } output;
        var progress = done ? Payload.ReadStored<MigrationProgress>(state.Output) : state.Status is { Length: > 0 } s ? Payload.ReadStored<MigrationProgress>(s) : new MigrationProgress(0, 0, new BatchTotals());
        var totals = progress.Totals;
        int partitionsDone = progress.PartitionsDone;
        long inDone = 0;
        if (!done)
        {
            // Running partitions report their totals so far; finished ones are in the migration's own status already.
            totals = new BatchTotals();
            partitionsDone = 0;
            await foreach (var p in PartitionsAsync(id, ct).ConfigureAwait(false))
            {
                var json = p.OrchestrationStatus == OrchestrationStatus.Completed ? p.Output : p.Status;
                if (json is not { Length: > 0 }) continue;
                var ps = Payload.ReadStored<PartitionState>(json);
                totals += ps.Totals;
                if (ps.Done) { partitionsDone++; inDone += ps.Totals.Copied + ps.Totals.Skipped + ps.Totals.Failed; }
            }
        }
        var elapsed = ((done ? state.LastUpdatedTime : DateTime.UtcNow) - state.CreatedTime).TotalSeconds;
        var status = new MigrationStatus(id, Name(state.OrchestrationStatus), progress.Partitions + progress.Waiting, partitionsDone, totals.Planned, totals.Copied, totals.BytesCopied,
            totals.Skipped, totals.Failed, totals.Rerun, totals.Batches, totals.Pages, state.CreatedTime, state.LastUpdatedTime,
            elapsed > 0 ? (totals.Copied + totals.Skipped + totals.Failed) / elapsed : 0, elapsed > 0 ? totals.BytesCopied / elapsed : 0,
            totals.FailReasons, state.OrchestrationStatus == OrchestrationStatus.Failed ? Diagnostics.SecretRedactor.Redact(state.Output ?? "") : null)
        {
            Workers = await hub.Store().WorkersAsync(ct).ConfigureAwait(false),
            PartitionsWaiting = progress.Waiting,
            PartitionsAtOnce = progress.AtOnce,
            Extras = totals.Extras,
            Deleted = progress.Totals.Deleted, // the delete phase runs in the migration itself, after every partition
            DeleteRefused = progress.DeleteRefused,
            ObjectsInDonePartitions = inDone,
        };
        return status with { Estimate = MigrationForecast.Estimate(status, expectedObjects) };
    }

    /// <summary>Terminates the migration and every partition still running; what was committed stays (a new migration skips it).</summary>
    public async Task<int> CancelAsync(string id, CancellationToken ct)
    {
        var status = await StatusAsync(id, ct).ConfigureAwait(false);
        int stopped = 0;
        await foreach (var p in PartitionsAsync(id, ct).ConfigureAwait(false))
        {
            if (p.OrchestrationStatus is OrchestrationStatus.Running or OrchestrationStatus.Pending or OrchestrationStatus.ContinuedAsNew)
            {
                await Client.TerminateInstanceAsync(p.OrchestrationInstance, "canceled with 'skybridge migrate cancel'").ConfigureAwait(false);
                stopped++;
            }
        }
        if (!status.Finished)
            await Client.TerminateInstanceAsync(new OrchestrationInstance { InstanceId = id }, "canceled with 'skybridge migrate cancel'").ConfigureAwait(false);
        return stopped;
    }

    /// <summary>
    /// Writes one line per key from the outcome blobs: a key's last outcome (a batch executed twice
    /// has one outcomes blob, the last attempt's). Returns how many lines, and how many were re-runs.
    /// </summary>
    public async Task<(long Lines, long Reruns)> ReportAsync(string id, IReportSink sink, CancellationToken ct)
    {
        var store = hub.Store();
        if (await store.ReadSpecAsync(id, ct).ConfigureAwait(false) is null) throw NotFound(id);
        long lines = 0, reruns = 0;
        await foreach (var blob in store.OutcomeBlobsAsync(id, ct).ConfigureAwait(false))
        {
            var last = new Dictionary<string, OutcomeRecord>(StringComparer.Ordinal);
            foreach (var line in await store.ReadLinesAsync(blob, ct).ConfigureAwait(false))
            {
                var record = MigrationStore.ReadRecord(line);
                last[record.Item.Name] = record;
            }
            foreach (var record in last.Values)
            {
                sink.Write(ReportObserver.Entry(record.Item, record.Outcome));
                lines++;
                if (record.Rerun) reruns++;
            }
        }
        return (lines, reruns);
    }

    /// <summary>
    /// Every partition orchestration of the migration, from the task hub's instances table by instance
    /// id prefix: one query per 1,000 partitions, not one per partition (a billion-object migration
    /// has ~1,000 partitions; status asked each in turn took 53 s for 64 on a busy Azurite).
    /// </summary>
    private async IAsyncEnumerable<OrchestrationState> PartitionsAsync(string id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var condition = new DurableTask.AzureStorage.Tracking.OrchestrationInstanceStatusQueryCondition
        {
            InstanceIdPrefix = MigrationOrchestration.PartitionIdPrefix(id), FetchInput = false, FetchOutput = true,
        };
        string? next = null;
        do
        {
            var page = await _service.Value.GetOrchestrationStateAsync(condition, 1000, next, ct).ConfigureAwait(false);
            foreach (var state in page.OrchestrationState) yield return state;
            next = page.ContinuationToken;
        } while (!string.IsNullOrEmpty(next));
    }

    private static SkybridgeException NotFound(string id)
        => SkybridgeException.Usage($"No migration '{id}' in this task hub.", "Check the id ('migrate start' printed it) and pass the same --hub and --hub-storage as when it was started.");

    private static string Name(OrchestrationStatus s) => s switch
    {
        OrchestrationStatus.Running or OrchestrationStatus.ContinuedAsNew => "running",
        OrchestrationStatus.Pending => "pending",
        OrchestrationStatus.Completed => "completed",
        OrchestrationStatus.Failed => "failed",
        OrchestrationStatus.Terminated or OrchestrationStatus.Canceled => "canceled",
        _ => s.ToString().ToLowerInvariant(),
    };
}
