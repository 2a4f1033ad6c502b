using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Outcomes;
using Skybridge.Transfer.Planning;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Transfer;

/// <summary>
/// Runs copy / sync / plan / verify as a pipeline on bounded channels (DataMovement's job -> part ->
/// chunk): the <see cref="Planner"/> merges the two listings and decides per object while they are
/// still streaming; a fixed set of workers hands each copy (or deep verify) to the
/// <see cref="ItemExecutor"/> as soon as it is decided; deletes run last, behind guards. Every
/// decision and outcome goes out once, on the <see cref="OutcomeStream"/> (counters, report, journal).
/// Per-object failures are recorded and the run goes on; authentication/authorisation failures stop
/// the run at once.
/// </summary>
public sealed class TransferEngine
{
    private readonly IObjectSource _source;
    private readonly IBlobDestination _destination;
    private readonly TransferOptions _options;
    private readonly TransferStats _stats;
    private readonly IReportSink _report;
    private readonly ObjectCopier _copier;
    private readonly ILogger _log;
    private readonly BandwidthLimiter? _limiter;
    private readonly ITransferJournal? _journal;

    /// <summary>An engine for one run between <paramref name="source"/> and <paramref name="destination"/>.</summary>
    /// <param name="source">Where objects are listed and read from (e.g. <see cref="Providers.S3.S3ObjectSource"/>).</param>
    /// <param name="destination">Where blobs are listed and written (e.g. <see cref="Providers.AzureBlob.AzureBlobDestination"/>).</param>
    /// <param name="options">Every setting of the run; the service-side strategy is picked from both sides' capabilities.</param>
    /// <param name="stats">The counters the run updates (read them for progress while it runs).</param>
    /// <param name="report">Receives one entry per object (--report); null: none.</param>
    /// <param name="logger">Logs the run's decisions and failures (redacted); null: no logging.</param>
    public TransferEngine(IObjectSource source, IBlobDestination destination, TransferOptions options, TransferStats stats, IReportSink? report = null, ILogger? logger = null)
    {
        _log = logger ?? NullLogger.Instance;
        _source = source;
        _destination = destination;
        _options = options;
        _stats = stats;
        _report = report ?? NullReport.Instance;
        Budget = new MemoryBudget(options.MaxMemory);
        _limiter = options.MaxBandwidth is { } bw ? new BandwidthLimiter(bw) : null;
        _copier = new ObjectCopier(source, destination, options.Copy, Budget, stats, _limiter);
    }

    /// <summary>The buffer budget (its <see cref="MemoryBudget.Peak"/> is reported).</summary>
    public MemoryBudget Budget { get; }

    /// <summary>
    /// Optional job journal (set it for copy and sync only): records every decision, object state and
    /// staged block; when it carries a <see cref="IPartitionState.Resume"/> point, the run first
    /// re-decides the job's unfinished objects, then lists only what comes after the watermark.
    /// </summary>
    public ITransferJournal? Journal
    {
        get => _journal;
        init
        {
            _journal = value;
            _copier.Blocks = value?.Blocks;
        }
    }

    /// <summary>More subscribers to the run's outcome stream (e.g. a saved plan's writer), after the counters and the report.</summary>
    public IReadOnlyList<ITransferObserver> Observers { get; init; } = [];

    /// <summary>
    /// Runs <paramref name="mode"/> over the whole source prefix and returns the result; a failure of
    /// one object is counted and reported, not thrown.
    /// </summary>
    /// <exception cref="SkybridgeException">A fatal failure (<see cref="TransferErrors.IsFatal"/>: authentication or authorisation refused) that stopped the run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; what was committed stays committed, nothing is half-written.</exception>
    public async Task<RunResult> RunAsync(RunMode mode, CancellationToken ct)
    {
        bool writes = mode is RunMode.Copy or RunMode.Sync;
        if (writes) await _destination.EnsureContainerAsync(ct).ConfigureAwait(false);

        List<ITransferObserver> subscribers = [new StatsObserver(_stats), new ReportObserver(_report), .. Observers];
        if (_journal is not null && writes) subscribers.Add(new JournalObserver(_journal, mode));
        var outcomes = new OutcomeStream(subscribers);
        var planner = new Planner(_source, _destination, _options, mode, writes ? _journal : null);
        var executor = NewExecutor(writes);

        bool needsWorkers = writes || (mode == RunMode.Verify && _options.DeepVerify);
        var extras = new List<TransferItem>();
        await PumpAsync(needsWorkers,
            produce: async (queue, token) =>
            {
                await foreach (var item in planner.PlanAsync(token).ConfigureAwait(false))
                {
                    outcomes.Decided(item);
                    switch (item.Action)
                    {
                        case ItemAction.Copy when mode == RunMode.Plan:
                            outcomes.Finished(item, ItemOutcome.Settled(Outcome.WouldCopy, item.Text));
                            break;
                        case ItemAction.Copy or ItemAction.DeepVerify:
                            await queue.WriteAsync(item, token).ConfigureAwait(false);
                            break;
                        case ItemAction.Extra:
                            extras.Add(item);
                            break;
                        case ItemAction.Skip or ItemAction.Fail or ItemAction.Match or ItemAction.Missing or ItemAction.Mismatch:
                            outcomes.Finished(item, Settle(item));
                            break;
                    }
                    if (item is { Origin: ItemOrigin.Listing, Source: { } listed }) outcomes.Listed(listed);
                }
                outcomes.ListingDone();
            },
            execute: async (item, token) =>
            {
                if (item.Action == ItemAction.Copy) outcomes.Started(item);
                outcomes.Finished(item, await executor.ExecuteAsync(item, token).ConfigureAwait(false));
            }, ct).ConfigureAwait(false);

        // An encoded (renamed) blob is listed under its new name and looks destination-only; a blob an
        // older encoding wrote for a key renamed now is matched by the key it records (never deleted).
        extras.RemoveAll(d => planner.Accounts(d.Existing!));
        var refused = await FinishExtrasAsync(mode, extras, planner.SourcesInScope, executor, outcomes, ct).ConfigureAwait(false);
        return Result(mode, refused);
    }

    /// <summary>
    /// Applies a saved plan, made earlier by a plan run (maybe in another process, on another host):
    /// what the plan settled is reported as it was; each planned copy and delete is first re-decided
    /// against the destination as it is now (<see cref="PlanRecheck"/>: done before, or changed since
    /// the plan), then executed by the same executor as a copy; deletes run after every copy, and not
    /// at all when an object failed, as in sync. Running it again after an interruption copies only
    /// what was not committed.
    /// </summary>
    /// <param name="mode">The plan's mode (copy, or sync when it planned deletes): the result's mode.</param>
    /// <param name="plan">The plan's entries, in the order they were planned.</param>
    /// <param name="ct">Cancels the run; what was committed stays committed.</param>
    /// <exception cref="SkybridgeException">A fatal failure (authentication or authorisation refused) that stopped the run.</exception>
    public async Task<RunResult> ApplyAsync(RunMode mode, IAsyncEnumerable<PlanEntry> plan, CancellationToken ct)
    {
        await _destination.EnsureContainerAsync(ct).ConfigureAwait(false);
        var outcomes = new OutcomeStream([new StatsObserver(_stats), new ReportObserver(_report), .. Observers]);
        var executor = NewExecutor(writes: true);
        var deletes = new List<TransferItem>();
        await PumpAsync(needsWorkers: true,
            produce: async (queue, token) =>
            {
                await foreach (var (item, settled) in plan.WithCancellation(token).ConfigureAwait(false))
                {
                    if (settled is not null)
                    {
                        outcomes.Decided(item);
                        outcomes.Finished(item, settled);
                    }
                    else if (item.Action == ItemAction.Copy) await queue.WriteAsync(item, token).ConfigureAwait(false);
                    else if (item.Action == ItemAction.Delete) deletes.Add(item);
                    if (item is { Origin: ItemOrigin.Listing, Source: { } listed }) outcomes.Listed(listed);
                }
                outcomes.ListingDone();
            },
            execute: (item, token) => ApplyOneAsync(item, executor, outcomes, token), ct).ConfigureAwait(false);

        var refused = _stats.Failed > 0 && deletes.Count > 0 ? FailuresRefuseDeletes(_stats.Failed) : null;
        if (refused is not null) ReportRefused(deletes, refused, outcomes);
        else await InParallelAsync(deletes, (d, token) => ApplyOneAsync(d, executor, outcomes, token), ct).ConfigureAwait(false);
        return Result(mode, refused);
    }

    /// <summary>One planned copy or delete: re-decided against the destination now, then executed or settled.</summary>
    private async Task ApplyOneAsync(TransferItem planned, ItemExecutor executor, OutcomeStream outcomes, CancellationToken ct)
    {
        DestinationBlob? now;
        try { now = await _destination.GetAsync(planned.BlobName!, ct).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException && !TransferErrors.IsFatal(e))
        {
            outcomes.Decided(planned);
            outcomes.Finished(planned, ItemOutcome.Failed("reading the destination blob before applying failed: " + TransferErrors.Describe(e)));
            return;
        }
        var item = PlanRecheck.Revise(planned, now);
        outcomes.Decided(item);
        if (item.Action is ItemAction.Copy or ItemAction.Delete)
        {
            if (item.Action == ItemAction.Copy) outcomes.Started(item);
            outcomes.Finished(item, await executor.ExecuteAsync(item, ct).ConfigureAwait(false));
        }
        else outcomes.Finished(item, Settle(item));
    }

    private ItemExecutor NewExecutor(bool writes)
        => new(_source, _destination, writes ? Strategy(_source, _destination, _options, _copier, _stats, _log) : _copier, _options, _stats, _limiter, _log);

    private RunResult Result(RunMode mode, string? deleteRefused) => new()
    {
        Mode = mode,
        Source = _source.Describe,
        Destination = _destination.Describe,
        Stats = _stats,
        DeleteRefused = deleteRefused,
        PeakBufferBytes = Budget.Peak,
    };

    /// <summary>
    /// The worker pool of every run: one producer feeds a bounded channel, <see cref="TransferOptions.Concurrency"/>
    /// workers execute what it queues. A failure escaping a worker (an authentication failure, or a
    /// subscriber that cannot record an outcome, e.g. a report the disk refuses) stops the producer
    /// and is rethrown; a producer failure (the listing) stops the workers and is rethrown.
    /// </summary>
    private async Task PumpAsync(bool needsWorkers, Func<ChannelWriter<TransferItem>, CancellationToken, Task> produce,
        Func<TransferItem, CancellationToken, Task> execute, CancellationToken ct)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<TransferItem>(new BoundedChannelOptions(Math.Max(1, _options.Concurrency) * 2)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Exception? workerFailure = null;
        var workers = Enumerable.Range(0, needsWorkers ? Math.Max(1, _options.Concurrency) : 0)
            .Select(_ => Task.Run(async () =>
            {
                try
                {
                    await foreach (var item in channel.Reader.ReadAllAsync(abort.Token).ConfigureAwait(false))
                        await execute(item, abort.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (abort.IsCancellationRequested)
                {
                    // Interrupted, or the producer failed: the producer's exception is the one reported.
                }
                catch (Exception e)
                {
                    // Per-object failures never get here (the executor settles them as outcomes). What
                    // does must stop the run: a worker that just ended would leave the producer
                    // waiting forever on a full queue once every worker had (seen: a hung process).
                    Interlocked.CompareExchange(ref workerFailure, e, null);
                    abort.Cancel();
                }
            }, CancellationToken.None)).ToArray();
        try
        {
            await produce(channel.Writer, abort.Token).ConfigureAwait(false);
        }
        catch (Exception) when (workerFailure is not null)
        {
            // A worker failed and cancelled the producer: report the worker's failure instead (below).
        }
        catch
        {
            // The producer failed (or was interrupted): stop the workers rather than finish the queue.
            abort.Cancel();
            throw;
        }
        finally
        {
            channel.Writer.TryComplete();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        if (workerFailure is not null) ExceptionDispatchInfo.Throw(workerFailure);
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// How copies move bytes, from what the two sides offer: service-side (Azure fetches presigned
    /// URLs, the streamed copier as fallback) when the source presigns and the destination copies
    /// from URLs and the mode allows it; streamed otherwise.
    /// Public so that another executor host (a distributed worker) moves bytes the same way.
    /// </summary>
    public static IObjectTransfer Strategy(IObjectSource source, IBlobDestination destination, TransferOptions options, ObjectCopier copier,
        TransferStats stats, ILogger log)
    {
        if (options.Mode == CopyMode.Stream) return copier;
        if (source.Capabilities.Presigner is { } presigner && destination.Capabilities.CopyFromUrl is not null)
            return new ServiceSideCopier(source, presigner, destination.Capabilities, copier, options.Copy, options.Mode, stats, log);
        if (options.Mode == CopyMode.Service)
            throw SkybridgeException.Usage($"Service-side copy is not possible from {source.Describe} to {destination.Describe}: the source cannot presign URLs or the destination cannot copy from a URL.",
                "Copy in auto or stream mode: the bytes then go through this host.");
        return copier;
    }

    /// <summary>The outcome of an item the planner settled (nothing to execute).</summary>
    public static ItemOutcome Settle(TransferItem item) => item.Action switch
    {
        ItemAction.Skip => ItemOutcome.Settled(Outcome.Skipped, item.Text),
        ItemAction.Fail => ItemOutcome.Failed(item.Text),
        ItemAction.Match => ItemOutcome.Settled(Outcome.Match, item.Text, item.Existing?.ContentMd5),
        ItemAction.Missing => ItemOutcome.Settled(Outcome.Missing, item.Text),
        _ => ItemOutcome.Settled(Outcome.Mismatch, item.Text, item.Existing?.ContentMd5),
    };

    // ---- destination-only blobs: verify's extras, sync --delete's deletes ----

    /// <summary>Reports or deletes the destination-only blobs; returns why deletes were refused, or null.</summary>
    private async Task<string?> FinishExtrasAsync(RunMode mode, List<TransferItem> extras, long sourcesInScope, ItemExecutor executor,
        OutcomeStream outcomes, CancellationToken ct)
    {
        if (mode == RunMode.Verify)
        {
            foreach (var d in extras) outcomes.Finished(d, ItemOutcome.Settled(Outcome.Extra, d.Text));
            return null;
        }
        if (!_options.Delete || mode is not (RunMode.Sync or RunMode.Plan) || extras.Count == 0) return null;
        var refused = DeleteGuard(mode, _options, _stats.Failed, extras.Count, sourcesInScope);
        if (refused is not null)
        {
            ReportRefused(extras, refused, outcomes);
            return refused;
        }
        var deletes = extras.Select(d => d with { Action = ItemAction.Delete }).ToList();
        foreach (var d in deletes) outcomes.Decided(d);
        if (mode == RunMode.Plan)
        {
            foreach (var d in deletes) outcomes.Finished(d, ItemOutcome.Settled(Outcome.WouldDelete, d.Text));
            return null;
        }
        await InParallelAsync(deletes, async (d, token) => outcomes.Finished(d, await executor.ExecuteAsync(d, token).ConfigureAwait(false)), ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>Deletes a guard refused: each reported as skipped, with the guard's reason.</summary>
    private static void ReportRefused(List<TransferItem> deletes, string refused, OutcomeStream outcomes)
    {
        foreach (var d in deletes) outcomes.Finished(d, ItemOutcome.Settled(Outcome.Skipped, ReasonText.Render(ItemReason.DeleteRefused, refused)));
    }

    /// <summary>Runs <paramref name="delete"/> on each item, <see cref="TransferOptions.Concurrency"/> at once.</summary>
    private Task InParallelAsync(List<TransferItem> deletes, Func<TransferItem, CancellationToken, Task> delete, CancellationToken ct)
        => Parallel.ForEachAsync(deletes, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Concurrency), CancellationToken = ct },
            async (d, token) => await delete(d, token).ConfigureAwait(false));

    private static string FailuresRefuseDeletes(long failed) => $"{failed} object(s) failed; deletes are skipped so a partial source view never removes data";

    /// <summary>
    /// Why sync's deletes must not run, or null: an object failed (a partial source view never
    /// removes data), the source view is empty, or more than --max-delete would go (the last two
    /// unless --force). Public so that a distributed migration guards its deletes the same way.
    /// </summary>
    public static string? DeleteGuard(RunMode mode, TransferOptions options, long failed, long count, long sourcesInScope)
    {
        if (mode == RunMode.Sync && failed > 0) return FailuresRefuseDeletes(failed);
        if (options.Force) return null;
        if (sourcesInScope == 0)
            return $"the source listing is empty but {count} blob(s) would be deleted (wrong prefix or permissions?); use --force if this is intended";
        if (options.MaxDelete is { } max && count > max)
            return $"{count} blob(s) would be deleted, more than --max-delete {max}; raise it or use --force";
        return null;
    }
}
