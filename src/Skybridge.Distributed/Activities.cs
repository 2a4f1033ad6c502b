using DurableTask.Core;
using Microsoft.Extensions.Logging;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Planning;

namespace Skybridge.Distributed;

/// <summary>
/// Plans one page of a partition with the engine's <see cref="Planner"/> (the same decisions as
/// copy): the items to execute go to the batch manifest, the settled ones (skips, failures) straight
/// to the batch's settled outcomes. Idempotent: a page planned before returns its stored plan.
/// </summary>
internal sealed class PlanBatchActivity(MigrationRuntime runtime) : AsyncTaskActivity<string, string>
{
    protected override async Task<string> ExecuteAsync(TaskContext context, string input)
    {
        var r = Payload.Read<PlanRequest>(input);
        var store = runtime.Store;
        var planBlob = MigrationStore.BatchBlob(r.MigrationId, r.Partition, r.Page, "plan.json");
        if (await store.ReadTextAsync(planBlob, CancellationToken.None).ConfigureAwait(false) is { } earlier) return earlier;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var served = await runtime.ForAsync(r.MigrationId, CancellationToken.None).ConfigureAwait(false);
        // The destination is listed from the page's start (List Blobs startFrom, Planner.ListDestination), not from the prefix's;
        // and no further ahead than the page needs: copy's read-ahead (5,000 entries) made each 1,000-key page list 6,000 source keys.
        var options = served.Spec.Options with { ListingReadAhead = Math.Max(1, Math.Min(r.BatchSize, served.Spec.Options.ListingReadAhead)) };
        var planner = new Planner(served.Source, served.Destination, options, served.Spec.Mode, range: new KeyRange(r.StartAfter, r.Through));
        var toExecute = new List<string>();
        var settled = new List<string>();
        var extras = new List<TransferItem>(); // --delete: destination-only blobs, deleted once every partition has finished
        var totals = new BatchTotals();
        string? last = null;
        int listed = 0;
        bool done = true;
        await foreach (var item in planner.PlanAsync(CancellationToken.None).ConfigureAwait(false))
        {
            switch (item.Action)
            {
                case ItemAction.Copy:
                    toExecute.Add(TransferItemJson.Serialize(item));
                    break;
                case ItemAction.Extra:
                    extras.Add(item);
                    break;
                case ItemAction.Skip or ItemAction.Fail:
                    var outcome = TransferEngine.Settle(item);
                    settled.Add(MigrationStore.Line(new OutcomeRecord(item, outcome)));
                    totals += Count(outcome, item);
                    break;
            }
            if (item is { Origin: ItemOrigin.Listing, Source: { } s }) { last = s.Key; listed++; }
            if (listed >= r.BatchSize) { done = false; break; }
        }
        await store.WriteLinesAsync(MigrationStore.BatchBlob(r.MigrationId, r.Partition, r.Page, "items.jsonl"), toExecute, CancellationToken.None).ConfigureAwait(false);
        await store.WriteLinesAsync(MigrationStore.BatchBlob(r.MigrationId, r.Partition, r.Page, "settled.jsonl"), settled, CancellationToken.None).ConfigureAwait(false);
        extras.RemoveAll(d => planner.Accounts(d.Existing!)); // an encoded name's blob belongs to its key, as in sync
        if (extras.Count > 0)
            await store.WriteLinesAsync(MigrationStore.BatchBlob(r.MigrationId, r.Partition, r.Page, MigrationStore.ExtrasKind), extras.Select(TransferItemJson.Serialize), CancellationToken.None).ConfigureAwait(false);
        var plan = Payload.Write(new BatchPlan(toExecute.Count, last, done, totals with { Planned = listed, Pages = 1, Extras = extras.Count }));
        await store.WriteTextAsync(planBlob, plan, CancellationToken.None).ConfigureAwait(false); // last: the page's blobs are complete
        runtime.Log.LogPagePlanned(r.MigrationId, r.Partition, r.Page, listed, toExecute.Count, clock.Elapsed.TotalSeconds);
        return plan;
    }

    internal static BatchTotals Count(ItemOutcome outcome, TransferItem item) => outcome.Status switch
    {
        Outcome.Copied => new BatchTotals { Copied = 1, BytesCopied = item.Source?.Size ?? 0 },
        Outcome.Deleted => new BatchTotals { Deleted = 1 },
        Outcome.Failed => new BatchTotals { Failed = 1, FailReasons = new Dictionary<string, long> { [Diagnostics.SecretRedactor.Redact(outcome.Reason)] = 1 } },
        _ => new BatchTotals { Skipped = 1 },
    };
}

/// <summary>
/// Executes one batch manifest with the engine's <see cref="ItemExecutor"/>, objects in parallel
/// (the worker's --concurrency), and writes the batch's outcomes. DTFx may run an activity twice (a
/// worker died, a completion was lost): a batch whose outcomes exist returns them; one that was
/// started before re-decides each item against the destination first, so an object committed by the
/// earlier attempt (its blob records the source ETag) is not copied again, and only the objects that
/// were in flight are, counted as re-runs.
/// </summary>
internal sealed class ExecuteBatchActivity(MigrationRuntime runtime) : AsyncTaskActivity<string, string>
{
    protected override async Task<string> ExecuteAsync(TaskContext context, string input)
    {
        var r = Payload.Read<ExecuteRequest>(input);
        var store = runtime.Store;
        var outcomesBlob = MigrationStore.BatchBlob(r.MigrationId, r.Partition, r.Page, "outcomes.jsonl");
        if (await store.ReadLinesAsync(outcomesBlob, CancellationToken.None).ConfigureAwait(false) is { Count: > 0 } done)
            return Payload.Write(new BatchRun(Sum(done.Select(MigrationStore.ReadRecord))));

        var served = await runtime.ForAsync(r.MigrationId, CancellationToken.None).ConfigureAwait(false);
        var items = (await store.ReadLinesAsync(MigrationStore.BatchBlob(r.MigrationId, r.Partition, r.Page, "items.jsonl"), CancellationToken.None).ConfigureAwait(false))
            .Select(TransferItemJson.ReadItem).ToList();
        bool rerun = !await store.CreateOnceAsync(MigrationStore.BatchBlob(r.MigrationId, r.Partition, r.Page, "started"), MigrationRuntime.WorkerName, CancellationToken.None).ConfigureAwait(false);
        if (rerun) runtime.Log.LogBatchRerun(r.MigrationId, r.Partition, r.Page);
        runtime.Log.LogBatchStarted(r.MigrationId, r.Partition, r.Page, items.Count);

        using var span = WorkerTelemetry.StartBatch(r.MigrationId, r.Partition, r.Page, items.Count);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var records = new OutcomeRecord[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, served.Spec.Options.Concurrency) },
            async (i, ct) => records[i] = await ExecuteOneAsync(served, items[i], rerun, ct).ConfigureAwait(false)).ConfigureAwait(false);
        await store.WriteLinesAsync(outcomesBlob, records.Select(MigrationStore.Line), CancellationToken.None).ConfigureAwait(false);
        runtime.Log.LogBatchDone(r.MigrationId, r.Partition, r.Page, items.Count, clock.Elapsed.TotalSeconds);
        var totals = Sum(records);
        runtime.Executed(totals);
        WorkerTelemetry.Executed(span, r.MigrationId, totals, records.Count(x => x.Outcome.Status == Outcome.Failed && WorkerTelemetry.IsThrottling(x.Outcome.Reason)), clock.Elapsed);
        return Payload.Write(new BatchRun(totals));
    }

    private static async Task<OutcomeRecord> ExecuteOneAsync(MigrationRuntime.Served served, TransferItem item, bool rerun, CancellationToken ct)
    {
        if (rerun)
        {
            // The destination decides, as for a saved plan applied again (PlanRecheck): a blob that records
            // this source version was committed by the earlier attempt (whatever --overwrite says); one
            // written or removed by someone else since planning fails its item instead of being overwritten.
            var existing = await served.Destination.GetAsync(item.BlobName!, ct).ConfigureAwait(false);
            var revised = PlanRecheck.Revise(item, existing);
            if (revised.Reason == ItemReason.AppliedBefore)
                return new OutcomeRecord(item, new ItemOutcome
                {
                    Status = Outcome.Copied,
                    Reason = $"{item.Text}; committed by an earlier attempt of this batch (the blob records the source ETag)",
                    Md5 = existing?.ContentMd5,
                });
            if (revised.Action != ItemAction.Copy) return new OutcomeRecord(revised, TransferEngine.Settle(revised));
            var again = await served.Executor.ExecuteAsync(item, ct).ConfigureAwait(false);
            return new OutcomeRecord(item, again with { Reason = again.Reason + "; executed again: in flight when an earlier attempt of its batch stopped" }) { Rerun = true };
        }
        return new OutcomeRecord(item, await served.Executor.ExecuteAsync(item, ct).ConfigureAwait(false));
    }

    private static BatchTotals Sum(IEnumerable<OutcomeRecord> records)
    {
        var totals = new BatchTotals { Batches = 1 };
        foreach (var rec in records)
            totals += PlanBatchActivity.Count(rec.Outcome, rec.Item) with { Rerun = rec.Rerun ? 1 : 0 };
        return totals;
    }
}
