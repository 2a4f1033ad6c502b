using DurableTask.Core;
using Skybridge.Transfer.Planning;

namespace Skybridge.Distributed;

/// <summary>Retries of activities: transient storage trouble and a worker's fatal failures (e.g. a refused credential) get three more tries with back-off.</summary>
internal static class Retries
{
    public static readonly RetryOptions Activity = new(TimeSpan.FromSeconds(5), 4) { BackoffCoefficient = 2, MaxRetryInterval = TimeSpan.FromMinutes(1) };
}

/// <summary>
/// One migration: discover the partitions, then one sub-orchestration per partition (history grows
/// per activity, so width lives in sub-orchestrations), a bounded number at once (the rest wait their
/// turn, see <see cref="AtOnceAsync"/>); DTFx spreads them over the task hub's partitions and the
/// workers. A partition that hands the rest of its range on (re-split after N pages) gets a
/// sub-orchestration per piece, numbered on. With --delete, once every partition has
/// finished, the destination-only blobs they found are deleted (<see cref="DeleteExtrasActivity"/>). Its custom status and output are a
/// <see cref="MigrationProgress"/>. The code must stay deterministic (it is replayed): no clock, no
/// I/O, only the context (completions replay in their history order, so the numbering is stable).
/// </summary>
internal sealed class MigrationOrchestration : TaskOrchestration<string, string, string, string>
{
    private MigrationProgress _progress = new(0, 0, new BatchTotals());

    public static string PartitionId(string migrationId, int index) => $"{PartitionIdPrefix(migrationId)}{index:D5}";
    /// <summary>What every partition id of the migration starts with, and no other instance's (a migration id has no ':').</summary>
    public static string PartitionIdPrefix(string migrationId) => migrationId + ":p";

    public override async Task<string> RunTask(OrchestrationContext context, string input)
    {
        var m = Payload.Read<MigrationInput>(input);
        var plan = Payload.Read<PartitionPlan>(await context.ScheduleWithRetry<string>(typeof(DiscoverPartitionsActivity), Retries.Activity,
            Payload.Write(new DiscoverRequest(m.MigrationId, m.Partitions, m.SampleLimit) { BatchSize = m.BatchSize })));
        var running = new List<Task<string>>();
        var waiting = new Queue<KeyRange>();
        void Start(KeyRange range)
        {
            running.Add(context.CreateSubOrchestrationInstance<string>(typeof(PartitionOrchestration), PartitionId(m.MigrationId, _progress.Partitions),
                Payload.Write(new PartitionState(m.MigrationId, _progress.Partitions, range.After, range.Through, m.BatchSize, m.PagesPerExecution)
                    { SplitEvery = m.SplitAfterPages, SampleLimit = m.SampleLimit })));
            _progress = _progress with { Partitions = _progress.Partitions + 1 };
        }
        async Task StartWhatFitsAsync()
        {
            if (waiting.Count > 0) _progress = _progress with { AtOnce = await AtOnceAsync(context, m, _progress.AtOnce) };
            while (waiting.Count > 0 && (_progress.AtOnce == 0 || running.Count < _progress.AtOnce)) Start(waiting.Dequeue());
            _progress = _progress with { Waiting = waiting.Count };
        }
        foreach (var range in plan.Ranges) waiting.Enqueue(range);
        await StartWhatFitsAsync();
        var withExtras = new List<int>(); // partitions that found destination-only blobs (--delete)
        Exception? failed = null;
        while (running.Count > 0)
        {
            var finished = await Task.WhenAny(running);
            running.Remove(finished);
            try
            {
                var state = Payload.Read<PartitionState>(await finished);
                _progress = _progress with { PartitionsDone = _progress.PartitionsDone + 1, Totals = _progress.Totals + state.Totals };
                if (state.Totals.Extras > 0) withExtras.Add(state.Index);
                foreach (var range in state.Handoff) waiting.Enqueue(range);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed ??= e; // the other partitions run to their end first, as one failed object does not stop a copy
            }
            await StartWhatFitsAsync();
        }
        if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed); // a partition that failed: no deletes
        if (withExtras.Count > 0)
        {
            // --delete, only now that every partition has finished: the whole migration's totals decide sync's guards.
            var t = _progress.Totals;
            var runs = withExtras.Select(i => context.ScheduleWithRetry<string>(typeof(DeleteExtrasActivity), Retries.Activity,
                Payload.Write(new DeleteRequest(m.MigrationId, i, t.Failed, t.Extras, SourcesInScope: t.Copied + t.Skipped + t.Failed)))).ToList();
            foreach (var run in await Task.WhenAll(runs))
            {
                var d = Payload.Read<DeleteRun>(run);
                _progress = _progress with { Totals = _progress.Totals + d.Totals, DeleteRefused = d.Refused ?? _progress.DeleteRefused };
            }
        }
        return Payload.Write(_progress);
    }

    /// <summary>
    /// Partitions to run at once now: --partitions-at-once when given, else twice the live workers' batch slots
    /// (<see cref="PartitionsAtOnce.Auto"/>), asked again whenever a partition could start, so workers that join widen
    /// the migration and workers that leave narrow it. A migration started by a version-2 build runs every partition
    /// at once (0), as its history was written. A failed read keeps the last width: it must never fail the migration.
    /// </summary>
    private static async Task<int> AtOnceAsync(OrchestrationContext context, MigrationInput m, int last)
    {
        if (m.Version < Payload.PartitionsAtOnceSince) return 0;
        if (m.PartitionsAtOnce > 0) return m.PartitionsAtOnce;
        try
        {
            return Payload.Read<PartitionsAtOnce>(await context.ScheduleTask<string>(typeof(PartitionsAtOnceActivity), Payload.Write(new WidthRequest(m.MigrationId)))).Count;
        }
        catch (DurableTask.Core.Exceptions.TaskFailedException)
        {
            return last > 0 ? last : PartitionsAtOnce.PerSlot;
        }
    }

    public override string OnGetStatus() => Payload.Write(_progress);
}

/// <summary>
/// One key range: loop { plan one listing page into a batch manifest; execute the batch } and
/// ContinueAsNew every <see cref="PartitionState.PagesPerExecution"/> pages so its history stays
/// short. Every <see cref="PartitionState.SplitEvery"/> pages, a range not done yet cuts the rest of
/// itself into pieces (<see cref="SplitRangeActivity"/>) and hands them to the migration, which runs
/// each as a partition of its own: one huge range never serialises a migration. Its custom status is
/// its <see cref="PartitionState"/> (totals so far); its output the final one.
/// </summary>
internal sealed class PartitionOrchestration : TaskOrchestration<string, string, string, string>
{
    private PartitionState? _state;

    public override async Task<string> RunTask(OrchestrationContext context, string input)
    {
        var state = _state = Payload.Read<PartitionState>(input);
        for (int i = 0; i < state.PagesPerExecution; i++)
        {
            var plan = Payload.Read<BatchPlan>(await context.ScheduleWithRetry<string>(typeof(PlanBatchActivity), Retries.Activity,
                Payload.Write(new PlanRequest(state.MigrationId, state.Index, state.Pages, state.ListedThrough ?? state.After, state.Through, state.BatchSize))));
            var totals = plan.Settled;
            if (plan.ToExecute > 0)
                totals += Payload.Read<BatchRun>(await context.ScheduleWithRetry<string>(typeof(ExecuteBatchActivity), Retries.Activity,
                    Payload.Write(new ExecuteRequest(state.MigrationId, state.Index, state.Pages)))).Totals;
            state = _state = state with
            {
                ListedThrough = plan.LastKey ?? state.ListedThrough,
                Pages = state.Pages + 1,
                Totals = state.Totals + totals,
                Done = plan.Done,
            };
            if (plan.Done) return Payload.Write(state);
            if (state.SplitEvery > 0 && state.Pages % state.SplitEvery == 0)
            {
                var pieces = Payload.Read<PartitionPlan>(await context.ScheduleWithRetry<string>(typeof(SplitRangeActivity), Retries.Activity,
                    Payload.Write(new SplitRequest(state.MigrationId, state.ListedThrough ?? state.After, state.Through, MigrationShape.SplitPieces, state.BatchSize, state.SampleLimit))));
                if (pieces.Ranges.Count > 1)
                {
                    state = _state = state with { Done = true, Handoff = pieces.Ranges };
                    return Payload.Write(state);
                }
            }
        }
        context.ContinueAsNew(Payload.Write(state));
        return Payload.Write(state);
    }

    public override string OnGetStatus() => _state is null ? "" : Payload.Write(_state);
}
