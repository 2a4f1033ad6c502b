using DurableTask.Core;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Planning;

namespace Skybridge.Distributed;

/// <summary>
/// sync --delete for one partition, run by the migration only after EVERY partition has finished:
/// the destination-only blobs its pages found (<see cref="MigrationStore.ExtrasKind"/>) are deleted
/// as Delete items through the engine's <see cref="ItemExecutor"/>, or, when sync's guards refuse
/// (<see cref="TransferEngine.DeleteGuard"/> on the whole migration's totals: a failed object, an
/// empty source view, over --max-delete), settled as skipped with the reason; either way one
/// outcome per blob in <see cref="MigrationStore.DeletesKind"/>, so the report has a line per key.
/// Idempotent: a batch whose deletes blob exists returns what it recorded (deleting twice is harmless).
/// </summary>
internal sealed class DeleteExtrasActivity(MigrationRuntime runtime) : AsyncTaskActivity<string, string>
{
    protected override async Task<string> ExecuteAsync(TaskContext context, string input)
    {
        var r = Payload.Read<DeleteRequest>(input);
        var store = runtime.Store;
        var served = await runtime.ForAsync(r.MigrationId, CancellationToken.None).ConfigureAwait(false);
        var refused = TransferEngine.DeleteGuard(RunMode.Sync, served.Spec.Options, r.Failed, r.Extras, r.SourcesInScope);
        var totals = new BatchTotals();
        await foreach (var blob in store.PartitionBlobsAsync(r.MigrationId, r.Partition, MigrationStore.ExtrasKind, CancellationToken.None).ConfigureAwait(false))
        {
            var deletesBlob = blob[..^MigrationStore.ExtrasKind.Length] + MigrationStore.DeletesKind;
            var records = (await store.ReadLinesAsync(deletesBlob, CancellationToken.None).ConfigureAwait(false)).Select(MigrationStore.ReadRecord).ToList();
            if (records.Count == 0)
            {
                var extras = (await store.ReadLinesAsync(blob, CancellationToken.None).ConfigureAwait(false)).Select(TransferItemJson.ReadItem).ToList();
                records = refused is not null
                    ? extras.Select(d => new OutcomeRecord(d, ItemOutcome.Settled(Outcome.Skipped, (d with { Reason = ItemReason.DeleteRefused, Detail = refused }).Text))).ToList()
                    : await DeleteAsync(served, extras).ConfigureAwait(false);
                await store.WriteLinesAsync(deletesBlob, records.Select(MigrationStore.Line), CancellationToken.None).ConfigureAwait(false);
            }
            foreach (var rec in records) totals += PlanBatchActivity.Count(rec.Outcome, rec.Item);
        }
        return Payload.Write(new DeleteRun(totals, refused));
    }

    private static async Task<List<OutcomeRecord>> DeleteAsync(MigrationRuntime.Served served, List<TransferItem> extras)
    {
        var records = new OutcomeRecord[extras.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, extras.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, served.Spec.Options.Concurrency) },
            async (i, ct) =>
            {
                var delete = extras[i] with { Action = ItemAction.Delete };
                records[i] = new OutcomeRecord(delete, await served.Executor.ExecuteAsync(delete, ct).ConfigureAwait(false));
            }).ConfigureAwait(false);
        return records.ToList();
    }
}
