
namespace Skybridge.Transfer;

/// <summary>Where a resumed run picks up: the source listing continues after <see cref="ListedThrough"/>.</summary>
/// <param name="ListedThrough">The last source key whose decision is recorded (null: nothing was decided yet).</param>
/// <param name="SourcesInScope">Objects that passed the filter in earlier runs of the job (for the delete guard).</param>
public sealed record ResumePoint(string? ListedThrough, long SourcesInScope);

/// <summary>An uncommitted block as Get Block List reports it (base64 ID, size in bytes).</summary>
public sealed record StagedBlock(string Id, long Size);

/// <summary>An object an earlier run decided but did not finish (pending, copying or failed).</summary>
public sealed record UnfinishedObject(SourceObject Source);

/// <summary>
/// A job run's state, split by concern: the partition's progress, each item's state, the staged
/// blocks of multi-block copies. The engine only calls these; the SQLite implementation
/// (<see cref="Skybridge.Jobs.JobRun"/>, one class behind all three) queues the writes and commits
/// them in short batched transactions, so the calls never wait on disk. Calls come from the
/// producer and from every worker at once: implementations are thread-safe.
/// </summary>
public interface ITransferJournal
{
    /// <summary>Where the partition's listing is (the watermark) and where a resumed run continues.</summary>
    IPartitionState Partition { get; }

    /// <summary>Each source object's and destination-only blob's state.</summary>
    IItemState Items { get; }

    /// <summary>Block-level progress of multi-block copies (resume from staged blocks).</summary>
    IBlockCheckpoints Blocks { get; }
}

/// <summary>The listing progress of one partition (a <see cref="Planning.KeyRange"/>) of a job.</summary>
public interface IPartitionState
{
    /// <summary>Null for a new job; for a resumed one, where listing continues.</summary>
    ResumePoint? Resume { get; }

    /// <summary>Every source key up to and including <paramref name="key"/> has its decision recorded.</summary>
    void ListedThrough(string key);

    /// <summary>The partition's listing is exhausted: every decision is recorded.</summary>
    void ListingDone();
}

/// <summary>The state of each item of a job: decided, in flight, committed, skipped, failed; destination-only blobs to delete.</summary>
public interface IItemState
{
    /// <summary>Decided "copy": pending until a worker takes it.</summary>
    void Planned(SourceObject source, string blobName, string reason);

    /// <summary>Decided or ended "skip", with the report's reason.</summary>
    void Skipped(SourceObject source, string? blobName, string reason);

    /// <summary>Decided or ended "failed", with the report's reason (a resumed run tries it again).</summary>
    void Failed(SourceObject source, string? blobName, string reason);

    /// <summary>A worker took the object: it may have staged blocks from now on.</summary>
    void Copying(SourceObject source, string blobName);

    /// <summary>The copy is committed at the destination, with what proved it.</summary>
    void Committed(SourceObject source, string blobName, CopyResult result);

    /// <summary>A destination-only blob that sync --delete will remove.</summary>
    void Extra(DestinationBlob blob);

    /// <summary>The outcome of deleting an extra blob (null failure: deleted).</summary>
    void ExtraDone(string blobName, string? failure);

    /// <summary>A resumed job's objects up to <see cref="ResumePoint.ListedThrough"/> that are not finished, in key order.</summary>
    IAsyncEnumerable<UnfinishedObject> UnfinishedAsync(CancellationToken ct);

    /// <summary>A resumed sync --delete job's destination-only blobs found earlier and not deleted yet.</summary>
    IAsyncEnumerable<DestinationBlob> PendingExtrasAsync(CancellationToken ct);
}

/// <summary>Lets <see cref="ObjectCopier"/> keep blocks staged by an earlier, interrupted run and record the ones it stages.</summary>
public interface IBlockCheckpoints
{
    /// <summary>True when an earlier run of this job may have staged blocks of <paramref name="source"/> (it decided it and did not finish it).</summary>
    bool MayHaveStaged(SourceObject source);

    /// <summary>
    /// Of the blocks the destination holds uncommitted (<paramref name="staged"/>), those of this object
    /// version that may be kept: block index -> its MD5 when known (then the copier re-hashes the range
    /// and restages on a mismatch), or null when only the block list vouches for it. Null: stage every block.
    /// </summary>
    IReadOnlyDictionary<int, byte[]?>? ReusableBlocks(SourceObject source, BlockPlan plan, IReadOnlyList<string> blockIds, IReadOnlyList<StagedBlock> staged);

    /// <summary>Block <paramref name="index"/> is staged (or was kept: <paramref name="reused"/>); its MD5 when it was computed.</summary>
    void BlockStaged(SourceObject source, string blobName, int index, string blockId, int length, byte[]? md5, bool reused);
}
