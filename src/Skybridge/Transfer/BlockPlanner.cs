namespace Skybridge.Transfer;

/// <summary>How one object is cut into blocks: a block size, the number of blocks, one shot or staged.</summary>
public sealed record BlockPlan(long ObjectSize, long BlockSize, int BlockCount, bool SingleShot)
{
    private readonly IReadOnlyList<long>? _parts;
    private readonly long[]? _starts;

    /// <summary>
    /// Set when block i is exactly part i+1 of a multipart source (<see cref="BlockPlanner.AlignToParts"/>):
    /// the sizes of its parts, in order (then <see cref="BlockSize"/> is the first part's size).
    /// </summary>
    public IReadOnlyList<long>? PartSizes
    {
        get => _parts;
        init
        {
            _parts = value;
            if (value is null) return;
            _starts = new long[value.Count];
            for (int i = 1; i < value.Count; i++) _starts[i] = _starts[i - 1] + value[i - 1];
        }
    }

    /// <summary>Byte offset of block <paramref name="block"/> (from 0) in the object.</summary>
    public long OffsetOf(int block) => _starts?[block] ?? block * BlockSize;
    /// <summary>Length in bytes of block <paramref name="block"/>: the block size, less for the last one (or its part's size).</summary>
    public int LengthOf(int block) => _parts is not null ? (int)_parts[block] : (int)Math.Min(BlockSize, ObjectSize - OffsetOf(block));
}

/// <summary>
/// Chooses block sizes the way AzCopy does — start at 8 MiB (or the user's --block-size) and double
/// until the object fits in the destination's most blocks, never above its largest block — from
/// the limits the destination publishes (<see cref="DestinationCapabilities"/>), not from constants.
/// </summary>
public static class BlockPlanner
{
    /// <summary>One mebibyte, in bytes.</summary>
    public const long MiB = 1024 * 1024;
    /// <summary>Block size when none is given (--block-size): 8 MiB.</summary>
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

    /// <summary>
    /// Blocks that are the source's parts, one block per part, so each block's MD5 is its part's
    /// digest in the multipart ETag (composite-etag); or why the parts cannot be blocks here (then
    /// the usual cut applies and the ETag is rebuilt from the whole stream).
    /// </summary>
    /// <param name="objectSize">Bytes of the object.</param>
    /// <param name="partSizes">The sizes of its parts as the source reports them (they add up to the size).</param>
    /// <param name="limits">The destination's published limits.</param>
    /// <param name="bufferLimit">The most bytes one block may hold here (the memory budget).</param>
    public static (BlockPlan? Plan, string? WhyNot) AlignToParts(long objectSize, IReadOnlyList<long> partSizes, DestinationCapabilities limits, long bufferLimit)
    {
        if (partSizes.Count == 0 || partSizes.Sum() != objectSize) throw new ArgumentException("the part sizes must add up to the object's size", nameof(partSizes));
        if (partSizes.Count > limits.MaxBlocks) return (null, $"{partSizes.Count} parts are more than the destination's {limits.MaxBlocks} blocks");
        var largest = partSizes.Max();
        if (partSizes.Min() <= 0) return (null, "a part is empty, and a block cannot be");
        // The smallest of the limits on one block names the reason.
        var (limit, what) = new[]
        {
            (limits.MaxBlockSize, "the destination's largest block"),
            (MaxBufferedBlockSize, "the largest block this host buffers"),
            (bufferLimit, "--max-memory"),
        }.MinBy(l => l.Item1);
        if (largest > limit) return (null, $"parts of up to {Size(largest)} exceed {what} ({Size(limit)})");
        return (new BlockPlan(objectSize, partSizes[0], partSizes.Count, SingleShot: false) { PartSizes = partSizes }, null);
    }

    private static string Size(long bytes) => bytes % MiB == 0 ? $"{bytes / MiB} MiB" : $"{bytes} bytes";

    private static long CeilDiv(long a, long b) => a == 0 ? 0 : (a + b - 1) / b;
}
