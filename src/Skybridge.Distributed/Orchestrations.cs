using DurableTask.Core;

namespace Skybridge.Distributed;

/// <summary>Retries of activities: transient storage trouble and a worker's fatal failures (e.g. a refused credential) get three more tries with back-off.</summary>
internal static class Retries
{
    public static readonly RetryOptions Activity = new(TimeSpan.FromSeconds(5), 4) { BackoffCoefficient = 2, MaxRetryInterval = TimeSpan.FromMinutes(1) };
}

/// <summary>
/// One migration: discover the partitions, then one sub-orchestration per partition (history grows
/// per activity, so width lives in sub-orchestrations), all at once; DTFx spreads them over the task
/// hub's partitions and the workers. Its custom status and output are a <see cref="MigrationProgress"/>.
/// The code must stay deterministic (it is replayed): no clock, no I/O, only the context.
/// </summary>
internal sealed class MigrationOrchestration : TaskOrchestration<string, string, string, string>
{
    private MigrationProgress _progress = new(0, 0, new BatchTotals());

    public static string PartitionId(string migrationId, int index) => $"{migrationId}:p{index:D5}";

    public override async Task<string> RunTask(OrchestrationContext context, string input)
    {
        var m = Payload.Read<MigrationInput>(input);
        var plan = Payload.Read<PartitionPlan>(await context.ScheduleWithRetry<string>(typeof(DiscoverPartitionsActivity), Retries.Activity,
            Payload.Write(new DiscoverRequest(m.MigrationId, m.Partitions, m.SampleLimit))));
        _progress = _progress with { Partitions = plan.Ranges.Count };
        var partitions = plan.Ranges.Select((range, i) => Finished(context.CreateSubOrchestrationInstance<string>(typeof(PartitionOrchestration),
            PartitionId(m.MigrationId, i), Payload.Write(new PartitionState(m.MigrationId, i, range.After, range.Through, m.BatchSize, m.PagesPerExecution))))).ToList();
        await Task.WhenAll(partitions);
        return Payload.Write(_progress);
    }

    private async Task Finished(Task<string> partition)
    {
        var state = Payload.Read<PartitionState>(await partition);
        _progress = _progress with { PartitionsDone = _progress.PartitionsDone + 1, Totals = _progress.Totals + state.Totals };
    }

    public override string OnGetStatus() => Payload.Write(_progress);
}

/// <summary>
/// One key range: loop { plan one listing page into a batch manifest; execute the batch } and
/// ContinueAsNew every <see cref="PartitionState.PagesPerExecution"/> pages so its history stays
/// short. Its custom status is its <see cref="PartitionState"/> (totals so far); its output the final one.
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
        }
        context.ContinueAsNew(Payload.Write(state));
        return Payload.Write(state);
    }

    public override string OnGetStatus() => _state is null ? "" : Payload.Write(_state);
}
