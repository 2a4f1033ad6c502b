namespace Skybridge.Transfer;

/// <summary>How one object is cut into blocks: a block size, the number of blocks, one shot or staged.</summary>
public sealed record BlockPlan(long ObjectSize, long BlockSize, int BlockCount, bool SingleShot)
{
    public long OffsetOf(int block) => block * BlockSize;
    public int LengthOf(int block) => (int)Math.Min(BlockSize, ObjectSize - OffsetOf(block));
}

/// <summary>
/// Chooses block sizes the way AzCopy does — start at 8 MiB (or the user's --block-size) and double
/// until the object fits in the destination's most blocks, never above its largest block — from
/// the limits the destination publishes (<see cref="DestinationCapabilities"/>), not from constants.
/// </summary>
public static class BlockPlanner
{
    public const long MiB = 1024 * 1024;
    public const long DefaultBlockSize = 8 * MiB;

    /// <summary>Largest block this host holds in one managed buffer (arrays are limited to ~2 GiB).</summary>
    public const long MaxBufferedBlockSize = 1024 * MiB;

    /// <param name="objectSize">Bytes of the object.</param>
    /// <param name="requestedBlockSize">--block-size, or null for the 8 MiB start.</param>
    /// <param name="limits">The destination's published limits.</param>
    public static BlockPlan Plan(long objectSize, long? requestedBlockSize, DestinationCapabilities limits)
    {
        if (objectSize < 0) throw new ArgumentOutOfRangeException(nameof(objectSize));
        long maxBlock = limits.MaxBlockSize, maxBlocks = limits.MaxBlocks;
        var block = requestedBlockSize ?? DefaultBlockSize;
        if (block <= 0) throw new ArgumentOutOfRangeException(nameof(requestedBlockSize), "block size must be positive");
        while (block < maxBlock && CeilDiv(objectSize, block) > maxBlocks) block = Math.Min(block * 2, maxBlock);
        if (CeilDiv(objectSize, block) > maxBlocks)
            throw new ArgumentOutOfRangeException(nameof(objectSize), $"{objectSize} bytes exceed what the destination can hold in one object ({maxBlocks} x {maxBlock})");
        if (block > MaxBufferedBlockSize)
            throw new ArgumentOutOfRangeException(nameof(objectSize), $"{objectSize} bytes would need {block / MiB} MiB blocks; blocks above {MaxBufferedBlockSize / MiB} MiB are not supported by the streamed copy");
        // Like AzCopy: an object that fits in one block goes in one Put Blob.
        if (objectSize <= block && objectSize <= limits.MaxSinglePut) return new BlockPlan(objectSize, block, objectSize == 0 ? 0 : 1, SingleShot: true);
        return new BlockPlan(objectSize, block, (int)CeilDiv(objectSize, block), SingleShot: false);
    }

    private static long CeilDiv(long a, long b) => a == 0 ? 0 : (a + b - 1) / b;
}
