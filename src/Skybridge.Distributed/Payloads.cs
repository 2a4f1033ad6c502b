using System.Text.Json;
using Skybridge.Transfer.Planning;

namespace Skybridge.Distributed;

/// <summary>
/// Every orchestration and activity payload is one of these records, written as a JSON string with
/// System.Text.Json (the engine's wire options), never as a CLR object: DTFx's own serializer writes
/// Newtonsoft <c>$type</c> names, so a renamed type would break every instance in flight. A payload
/// carries its version; a worker refuses one newer than it knows instead of guessing.
/// </summary>
internal static class Payload
{
    /// <summary>
    /// 2: partitions re-split (<see cref="PartitionState.Handoff"/>): a version-1 worker would drop a handed-off range, so it refuses.
    /// 3: a migration runs a bounded number of partitions at once (<see cref="MigrationInput.PartitionsAtOnce"/>); a migration
    /// started at version 2 or earlier replays as it was written (every partition at once).
    /// </summary>
    public const int CurrentVersion = 3;

    /// <summary>The first version whose migrations run a bounded number of partitions at once.</summary>
    public const int PartitionsAtOnceSince = 3;

    public static string Write<T>(T value) where T : IPayload => JsonSerializer.Serialize(value, TransferItemJson.Options);

    /// <summary>
    /// Reads an orchestration's output or custom status as the task hub stores it: DTFx serializes
    /// our string once more (a JSON string holding our JSON).
    /// </summary>
    public static T ReadStored<T>(string stored) where T : IPayload
        => Read<T>(stored.TrimStart().StartsWith('"') ? JsonSerializer.Deserialize<string>(stored) ?? "" : stored);

    public static T Read<T>(string json) where T : IPayload
    {
        var value = JsonSerializer.Deserialize<T>(json, TransferItemJson.Options) ?? throw new JsonException($"a {typeof(T).Name} payload is null");
        if (value.Version is < 1 or > CurrentVersion)
            throw new JsonException($"{typeof(T).Name} payload version {value.Version} is not one this build reads (1..{CurrentVersion}): run the same Skybridge version on every worker");
        return value;
    }
}

public interface IPayload
{
    int Version { get; }
}

/// <summary>Input of <see cref="MigrationOrchestration"/>: the spec itself is a blob (<see cref="MigrationStore.SpecBlob"/>).</summary>
internal sealed record MigrationInput(string MigrationId, int Partitions, int BatchSize, int PagesPerExecution, int SampleLimit) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
    /// <summary>Pages after which a partition not done hands the rest of its range on, split again (0: never).</summary>
    public int SplitAfterPages { get; init; }
    /// <summary>Partitions running at once, the rest waiting their turn; 0: <see cref="PartitionsAtOnce.Auto"/> (twice the live workers' batch slots, re-read as partitions finish).</summary>
    public int PartitionsAtOnce { get; init; }
}

/// <summary>Input of <see cref="PartitionOrchestration"/> (and what it carries across ContinueAsNew).</summary>
internal sealed record PartitionState(string MigrationId, int Index, string? After, string? Through, int BatchSize, int PagesPerExecution) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
    /// <summary>The last source key planned: the next page lists after it.</summary>
    public string? ListedThrough { get; init; }
    /// <summary>Batches planned so far (names the next batch's blobs).</summary>
    public int Pages { get; init; }
    public BatchTotals Totals { get; init; } = new();
    public bool Done { get; init; }
    /// <summary>Pages after which the rest of the range is split again and handed on (0: never); see <see cref="MigrationInput.SplitAfterPages"/>.</summary>
    public int SplitEvery { get; init; }
    /// <summary>Sampled keys most for a re-split's key-range cut.</summary>
    public int SampleLimit { get; init; } = MigrationShape.DefaultSampleLimit;
    /// <summary>The rest of the range, split: the migration starts a partition for each (this one is done).</summary>
    public IReadOnlyList<KeyRange> Handoff { get; init; } = [];
}

/// <summary>Planning request: list one page of a partition after <see cref="StartAfter"/>.</summary>
internal sealed record PlanRequest(string MigrationId, int Partition, int Page, string? StartAfter, string? Through, int BatchSize) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
}

/// <summary>What one page planned: how many items to execute (in the manifest blob), what was settled, where listing stopped.</summary>
internal sealed record BatchPlan(int ToExecute, string? LastKey, bool Done, BatchTotals Settled) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
}

internal sealed record ExecuteRequest(string MigrationId, int Partition, int Page) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
}

internal sealed record BatchRun(BatchTotals Totals) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
}

internal sealed record DiscoverRequest(string MigrationId, int Partitions, int SampleLimit) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
    /// <summary>Objects per batch: a key range cut smaller than this is not worth a partition.</summary>
    public int BatchSize { get; init; } = 1000;
}

/// <summary>Re-split request: cut the rest of a partition's range (after <see cref="After"/>) into up to <see cref="Pieces"/> ranges.</summary>
internal sealed record SplitRequest(string MigrationId, string? After, string? Through, int Pieces, int BatchSize, int SampleLimit) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
}

internal sealed record PartitionPlan(IReadOnlyList<KeyRange> Ranges) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
}

/// <summary>Asks how many partitions the migration should run at once now (<see cref="PartitionsAtOnceActivity"/>).</summary>
internal sealed record WidthRequest(string MigrationId) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
}

/// <summary>How many partitions to run at once, from how many batch slots the live workers have.</summary>
internal sealed record PartitionsAtOnce(int Count, int WorkerSlots) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;

    /// <summary>Partitions per worker batch slot: each partition has one activity queued or running at a time, so two per slot keep every slot fed while the queue stays short.</summary>
    public const int PerSlot = 2;

    /// <summary>A heartbeat older than this, measured from the newest one (the server-independent clock of the workers themselves), is a worker gone.</summary>
    public static readonly TimeSpan Live = 3 * MigrationWorker.HeartbeatInterval;

    /// <summary>
    /// Why a bound at all: DTFx hands out the oldest queued activity first and has no priorities, so with every
    /// partition running, a batch whose worker died waits behind one queued activity per partition (108 s in the
    /// 50,000-object run with 64 partitions on 6 slots) before it runs again. Two partitions per slot keep the queue at
    /// about one activity per slot, so a lost batch runs again within about one batch's time, and adding workers
    /// widens the migration at the next partition that finishes. <paramref name="ownSlots"/> counts the asking
    /// worker, alive by definition, whose first heartbeat may not be written yet.
    /// </summary>
    public static PartitionsAtOnce Auto(IReadOnlyCollection<WorkerHeartbeat> workers, int ownSlots)
    {
        var newest = workers.Count > 0 ? workers.Max(w => w.LastSeenUtc) : default;
        var slots = workers.Where(w => newest - w.LastSeenUtc <= Live).Sum(w => Math.Max(1, w.BatchesAtOnce));
        slots = Math.Max(slots, Math.Max(1, ownSlots));
        return new PartitionsAtOnce(PerSlot * slots, slots);
    }
}

/// <summary>The migration's custom status (and output): how many partitions, how many finished, the totals.</summary>
internal sealed record MigrationProgress(int Partitions, int PartitionsDone, BatchTotals Totals) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
    /// <summary>Partitions known but not started yet: they wait for a running one to finish (<see cref="MigrationInput.PartitionsAtOnce"/>).</summary>
    public int Waiting { get; init; }
    /// <summary>Partitions the migration runs at once now (0: unbounded, a migration of version 2 or earlier).</summary>
    public int AtOnce { get; init; }
    /// <summary>Why the deletes (--delete) did not run, as sync says it; null when they ran or there were none.</summary>
    public string? DeleteRefused { get; init; }
}

/// <summary>
/// Delete (or, refused, settle) the destination-only blobs one partition found, once every partition
/// has finished: the migration's totals decide the guards, as sync's run totals do.
/// </summary>
internal sealed record DeleteRequest(string MigrationId, int Partition, long Failed, long Extras, long SourcesInScope) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
}

/// <summary>What a partition's delete phase did, and why it refused when it did.</summary>
internal sealed record DeleteRun(BatchTotals Totals, string? Refused) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
}

/// <summary>Counters of a batch, a partition or the whole migration; failures keep their most common reasons.</summary>
internal sealed record BatchTotals
{
    public long Planned { get; init; }
    public long Copied { get; init; }
    public long BytesCopied { get; init; }
    public long Skipped { get; init; }
    public long Failed { get; init; }
    /// <summary>Objects executed again because an earlier attempt of their batch stopped (a worker died).</summary>
    public long Rerun { get; init; }
    /// <summary>Batches executed (activities that copied).</summary>
    public long Batches { get; init; }
    /// <summary>Listing pages planned (planning activities).</summary>
    public long Pages { get; init; }
    /// <summary>Destination-only blobs found (with --delete; in the batches' <c>.extras.jsonl</c>).</summary>
    public long Extras { get; init; }
    /// <summary>Destination-only blobs deleted (after every partition finished without failures).</summary>
    public long Deleted { get; init; }
    public IReadOnlyDictionary<string, long> FailReasons { get; init; } = new Dictionary<string, long>();

    public const int MaxReasons = 10;

    public static BatchTotals operator +(BatchTotals a, BatchTotals b)
    {
        var reasons = new Dictionary<string, long>(a.FailReasons);
        foreach (var (reason, n) in b.FailReasons) reasons[reason] = reasons.GetValueOrDefault(reason) + n;
        return new BatchTotals
        {
            Planned = a.Planned + b.Planned, Copied = a.Copied + b.Copied, BytesCopied = a.BytesCopied + b.BytesCopied,
            Skipped = a.Skipped + b.Skipped, Failed = a.Failed + b.Failed, Rerun = a.Rerun + b.Rerun, Batches = a.Batches + b.Batches, Pages = a.Pages + b.Pages,
            Extras = a.Extras + b.Extras, Deleted = a.Deleted + b.Deleted,
            // Bounded: a payload travels through queues and history rows.
            FailReasons = reasons.OrderByDescending(r => r.Value).Take(MaxReasons).ToDictionary(r => r.Key, r => r.Value),
        };
    }
}

/// <summary>A worker's heartbeat (blob <c>_workers/{worker}.json</c>): what it has done since it started, for per-worker throughput in status.</summary>
public sealed record WorkerHeartbeat(string Worker, DateTime StartedUtc, DateTime LastSeenUtc, long Objects, long BytesCopied, long Batches, int Concurrency) : IPayload
{
    public int Version { get; init; } = Payload.CurrentVersion;
    /// <summary>Batches (activities) the worker runs at once: its slots in the task hub (0 in a heartbeat of version 2, counted as 1).</summary>
    public int BatchesAtOnce { get; init; }
    public double ObjectsPerSecond => (LastSeenUtc - StartedUtc).TotalSeconds is var s and > 0 ? Objects / s : 0;
}
