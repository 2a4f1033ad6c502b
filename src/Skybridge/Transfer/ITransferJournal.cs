using Skybridge.Providers.AzureBlob;

namespace Skybridge.Transfer;

/// <summary>Where a resumed run picks up: the source listing continues after <see cref="ListedThrough"/>.</summary>
/// <param name="ListedThrough">The last source key whose decision is recorded (null: nothing was decided yet).</param>
/// <param name="SourcesInScope">Objects that passed the filter in earlier runs of the job (for the delete guard).</param>
public sealed record ResumePoint(string? ListedThrough, long SourcesInScope);

/// <summary>An uncommitted block as Get Block List reports it (base64 ID, size in bytes).</summary>
public sealed record StagedBlock(string Id, long Size);

/// <summary>An object an earlier run decided but did not finish (pending, copying or failed).</summary>
public sealed record UnfinishedObject(SourceObject Source);

/// <summary>What a resumed job's planner reads back: where listing continues and what is unfinished.</summary>
public interface IResumeState
{
    /// <summary>Null for a new job; for a resumed one, where listing continues.</summary>
    ResumePoint? Resume { get; }

    /// <summary>A resumed job's objects up to <see cref="ResumePoint.ListedThrough"/> that are not finished, in key order.</summary>
    IAsyncEnumerable<UnfinishedObject> UnfinishedAsync(CancellationToken ct);

    /// <summary>A resumed sync --delete job's destination-only blobs found earlier and not deleted yet.</summary>
    IAsyncEnumerable<DestinationBlob> PendingExtrasAsync(CancellationToken ct);
}

/// <summary>
/// What the engine tells a job journal as it goes, and what a resumed run reads back from it. The
/// engine only calls it; the SQLite implementation (<see cref="Skybridge.Jobs.JobJournal"/>) queues
/// the writes and commits them in short batched transactions, so these calls never wait on disk.
/// Calls come from the producer and from every worker at once: implementations are thread-safe.
/// </summary>
public interface ITransferJournal : IResumeState
{

    /// <summary>Decided "copy": pending until a worker takes it.</summary>
    void Planned(SourceObject source, string blobName, string reason);

    void Skipped(SourceObject source, string? blobName, string reason);

    void Failed(SourceObject source, string? blobName, string reason);

    /// <summary>Every source key up to and including <paramref name="key"/> has its decision recorded.</summary>
    void ListedThrough(string key);

    void ListingDone();

    void Copying(SourceObject source, string blobName);

    void Committed(SourceObject source, string blobName, CopyResult result);

    /// <summary>A destination-only blob that sync --delete will remove.</summary>
    void Extra(DestinationBlob blob);

    /// <summary>The outcome of deleting an extra blob (null failure: deleted).</summary>
    void ExtraDone(string blobName, string? failure);

    /// <summary>Block-level progress of multi-block copies (resume from staged blocks).</summary>
    IBlockTracker Blocks { get; }
}

/// <summary>Lets <see cref="ObjectCopier"/> keep blocks staged by an earlier, interrupted run and record the ones it stages.</summary>
public interface IBlockTracker
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
