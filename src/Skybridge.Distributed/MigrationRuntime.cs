using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Skybridge.Jobs;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;

namespace Skybridge.Distributed;

/// <summary>Opens a migration's source and destination with this worker's own identities (each worker may have its own).</summary>
public interface IMigrationProviders
{
    (IObjectSource Source, IBlobDestination Destination) Open(JobSpec spec);
}

/// <summary>How hard one worker works, whatever the migration asked: objects at once, buffer memory, bandwidth (across all its batches).</summary>
public sealed record WorkerLimits(int Concurrency, long MaxMemory, long? MaxBandwidth, int BatchesAtOnce = 2);

/// <summary>
/// What a worker holds per migration it serves: the spec (its result-deciding options as started,
/// this worker's resources), the providers, and one executor, built once and shared by its batches.
/// Memory and bandwidth budgets are per worker process, shared by every batch it runs.
/// </summary>
internal sealed class MigrationRuntime(MigrationStore store, IMigrationProviders providers, WorkerLimits limits, ILoggerFactory loggers)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<Served>>> _served = new();
    private readonly MemoryBudget _budget = new(limits.MaxMemory);
    private readonly BandwidthLimiter? _limiter = limits.MaxBandwidth is { } bw ? new BandwidthLimiter(bw) : null;

    /// <summary>This worker process, as heartbeats and batch markers name it.</summary>
    public static string WorkerName { get; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    public MigrationStore Store => store;
    public WorkerLimits Limits => limits;
    public ILogger Log { get; } = loggers.CreateLogger("Skybridge.Distributed.Worker");

    /// <summary>Byte progress of the copiers (what the engine's copiers report to).</summary>
    public TransferStats Stats { get; } = new();

    private long _objects, _bytes, _batches;

    private readonly SemaphoreSlim _batchExecuted = new(0, 1);

    /// <summary>One executed batch, for this worker's heartbeat (which it brings forward).</summary>
    public void Executed(BatchTotals batch)
    {
        Interlocked.Add(ref _objects, batch.Copied + batch.Skipped + batch.Failed);
        Interlocked.Add(ref _bytes, batch.BytesCopied);
        Interlocked.Increment(ref _batches);
        try { _batchExecuted.Release(); } catch (SemaphoreFullException) { } // a heartbeat is already due
    }

    /// <summary>
    /// Until the next heartbeat is due: <paramref name="interval"/> after the last, or as soon as a batch
    /// was executed (at most one a second), so that a short migration's status names what each worker
    /// did, not the 0 objects of its first heartbeat.
    /// </summary>
    public async Task NextHeartbeatAsync(TimeSpan interval, CancellationToken ct)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        await _batchExecuted.WaitAsync(interval - TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
    }

    public WorkerHeartbeat Heartbeat(string worker, DateTime startedUtc)
        => new(worker, startedUtc, DateTime.UtcNow, Interlocked.Read(ref _objects), Interlocked.Read(ref _bytes), Interlocked.Read(ref _batches), limits.Concurrency)
        {
            BatchesAtOnce = limits.BatchesAtOnce,
        };

    internal sealed record Served(JobSpec Spec, IObjectSource Source, IBlobDestination Destination, ItemExecutor Executor);

    public Task<Served> ForAsync(string migrationId, CancellationToken ct)
        => _served.GetOrAdd(migrationId, id => new Lazy<Task<Served>>(() => OpenAsync(id, ct))).Value;

    private async Task<Served> OpenAsync(string id, CancellationToken ct)
    {
        try
        {
            var stored = await store.ReadSpecAsync(id, ct).ConfigureAwait(false)
                ?? throw SkybridgeException.Usage($"Migration '{id}' has no spec in {store.Container.Name}.", "Start it with 'skybridge migrate start' against the same task hub.");
            var spec = stored with
            {
                Options = stored.Options with { Concurrency = limits.Concurrency, MaxMemory = limits.MaxMemory, MaxBandwidth = limits.MaxBandwidth },
            };
            var (source, destination) = providers.Open(spec);
            await destination.EnsureContainerAsync(ct).ConfigureAwait(false);
            var copier = new ObjectCopier(source, destination, spec.Options.Copy, _budget, Stats, _limiter);
            var log = loggers.CreateLogger<ItemExecutor>();
            var transfer = TransferEngine.Strategy(source, destination, spec.Options, copier, Stats, log);
            return new Served(spec, source, destination, new ItemExecutor(source, destination, transfer, spec.Options, Stats, _limiter, log));
        }
        catch
        {
            _served.TryRemove(id, out _); // the next activity tries again (a transient failure must not stick)
            throw;
        }
    }
}
