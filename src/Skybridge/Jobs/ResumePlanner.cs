using Skybridge.Transfer;

namespace Skybridge.Jobs;

/// <summary>Which blocks of an interrupted multi-block copy can be kept, and which must be staged.</summary>
/// <param name="Keep">Block index -> the block's MD5 when the journal recorded it (null when only the block list vouches for it).</param>
/// <param name="Stage">Indices still to stage, ascending.</param>
/// <param name="Ignored">Uncommitted blocks that are not ours for this version and cut (another ETag, block size or tool); commit discards them.</param>
public sealed record ResumeBlocks(IReadOnlyDictionary<int, byte[]?> Keep, IReadOnlyList<int> Stage, int Ignored);

/// <summary>
/// Decides, from the destination's uncommitted block list, which staged blocks a resumed copy keeps.
/// A block is kept only when its ID is the one <see cref="IBlockIdScheme"/> gives this index
/// for this source ETag and block size (so a block staged for another version or another cut never
/// is), and its size is the planned length. The ID alone proves the bytes: a block is only ever
/// staged from a read pinned to that ETag (If-Match), with a transactional MD5 when upload checksums are on. Every kept range is still re-read
/// and re-hashed by the copier (the whole-object MD5 needs the bytes), and where the journal has
/// the block's MD5 a mismatch sends it back to staging.
/// </summary>
public static class ResumePlanner
{
    public static ResumeBlocks Plan(BlockPlan plan, IReadOnlyList<string> blockIds, IEnumerable<StagedBlock> uncommitted,
        IReadOnlyDictionary<string, byte[]>? journalMd5s = null)
    {
        if (blockIds.Count != plan.BlockCount) throw new ArgumentException("one block ID per planned block", nameof(blockIds));
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < blockIds.Count; i++) index[blockIds[i]] = i;
        var keep = new Dictionary<int, byte[]?>();
        int ignored = 0;
        foreach (var b in uncommitted)
        {
            if (index.TryGetValue(b.Id, out var i) && b.Size == plan.LengthOf(i))
                keep[i] = journalMd5s is not null && journalMd5s.TryGetValue(b.Id, out var md5) ? md5 : null;
            else
                ignored++;
        }
        var stage = Enumerable.Range(0, plan.BlockCount).Where(i => !keep.ContainsKey(i)).ToList();
        return new ResumeBlocks(keep, stage, ignored);
    }
}
