using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Planning;

namespace Skybridge.Transfer.Outcomes;

/// <summary>
/// Records a copy or sync in its job journal from the outcome stream: each decision before the
/// listing watermark passes it, each object's state, and destination-only blobs for sync --delete.
/// </summary>
public sealed class JournalObserver(ITransferJournal journal, RunMode mode) : ITransferObserver
{
    public void Decided(TransferItem item)
    {
        if (item.Action == ItemAction.Copy) journal.Items.Planned(item.Source!, item.BlobName!, item.Text);
        else if (item.Action == ItemAction.Extra && item.Origin == ItemOrigin.Listing && mode == RunMode.Sync) journal.Items.Extra(item.Existing!);
    }

    public void Started(TransferItem item) => journal.Items.Copying(item.Source!, item.BlobName!);

    public void Finished(TransferItem item, ItemOutcome outcome)
    {
        if (item.Source is not { } s)
        {
            if (item.Action == ItemAction.Delete && outcome.Status is Outcome.Deleted or Outcome.Failed)
                journal.Items.ExtraDone(item.BlobName!, outcome.Status == Outcome.Failed ? outcome.Reason : null);
            return;
        }
        switch (outcome.Status)
        {
            case Outcome.Copied: journal.Items.Committed(s, item.BlobName!, outcome.Copy!); break;
            case Outcome.Skipped: journal.Items.Skipped(s, item.BlobName, outcome.Reason); break;
            case Outcome.Failed: journal.Items.Failed(s, item.BlobName, outcome.Reason); break;
        }
    }

    public void Listed(SourceObject listed) => journal.Partition.ListedThrough(listed.Key);

    public void ListingDone() => journal.Partition.ListingDone();
}
