using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Planning;

namespace Skybridge.Transfer.Outcomes;

/// <summary>Keeps the run's <see cref="TransferStats"/> (progress, summary, exit code) from the outcome stream.</summary>
internal sealed class StatsObserver(TransferStats stats) : ITransferObserver
{
    public void Decided(TransferItem item)
    {
        if (item.RenamedBecause is not null) stats.OnRenamed();
        if (item.Action == ItemAction.Copy) stats.OnPlannedCopy(item.Source!.Size);
        if (item.Action == ItemAction.Delete) stats.OnPlannedDelete();
    }

    public void Finished(TransferItem item, ItemOutcome outcome)
    {
        var destinationOnly = item.Source is null;
        switch (outcome.Status)
        {
            case Outcome.Copied:
                stats.OnCopied(item.Source!.Size);
                if (outcome.Copy!.IsUnverified) stats.OnUnverified();
                stats.OnProof(outcome.Copy.Proof);
                stats.OnTransferMode(outcome.Copy.Mode, outcome.Copy.ModeReason);
                break;
            // Deletes refused by a guard are reported per blob, and summarised once as the refusal.
            case Outcome.Skipped when !destinationOnly: stats.OnSkipped(item.Group); break;
            case Outcome.Failed: stats.OnFailed(item.Name, outcome.Reason); break;
            case Outcome.Deleted: stats.OnDeleted(); break;
            case Outcome.Match: stats.OnMatched(); break;
            case Outcome.Missing: stats.OnMissing(); break;
            case Outcome.Mismatch: stats.OnMismatched(); break;
            case Outcome.Extra: stats.OnExtra(); break;
        }
    }

    public void Listed(SourceObject listed) => stats.OnListed();

    public void ListingDone() => stats.OnListingDone();
}
