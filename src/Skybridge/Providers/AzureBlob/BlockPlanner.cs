using System.Security.Cryptography;
using System.Text;
using Skybridge.Transfer;

namespace Skybridge.Providers.AzureBlob;

/// <summary>How one object is cut into blocks: a block size and the deterministic block IDs.</summary>
public sealed record BlockPlan(long ObjectSize, long BlockSize, int BlockCount, bool SingleShot)
{
    public long OffsetOf(int block) => block * BlockSize;
    public int LengthOf(int block) => (int)Math.Min(BlockSize, ObjectSize - OffsetOf(block));
}

/// <summary>
/// Chooses block sizes the way AzCopy does — start at 8 MiB (or the user's --block-size) and double
/// until the object fits in 50,000 blocks, never above 4000 MiB — and names blocks so that the same
/// object version always gets the same IDs (a resumed copy can recognise blocks already staged).
/// </summary>
public static class BlockPlanner
{
    public const long MiB = 1024 * 1024;
    public const long DefaultBlockSize = 8 * MiB;
    public const long MaxBlockSize = 4000 * MiB;
    public const int MaxBlocks = 50_000;

    /// <summary>Largest block we hold in one managed buffer (arrays are limited to ~2 GiB).</summary>
    public const long MaxBufferedBlockSize = 1024 * MiB;

    /// <summary>Azure block blobs' limits, for destinations that publish none of their own.</summary>
    public static DestinationCapabilities AzureLimits { get; } = new()
    {
        MaxSinglePut = 5000 * MiB,
        MaxBlockSize = MaxBlockSize,
        MaxBlocks = MaxBlocks,
    };

    /// <param name="objectSize">Bytes of the object.</param>
    /// <param name="requestedBlockSize">--block-size, or null for the 8 MiB start.</param>
    /// <param name="limits">The destination's published limits (default: Azure's).</param>
    public static BlockPlan Plan(long objectSize, long? requestedBlockSize = null, DestinationCapabilities? limits = null)
    {
        if (objectSize < 0) throw new ArgumentOutOfRangeException(nameof(objectSize));
        limits ??= AzureLimits;
        long maxBlock = Math.Min(limits.MaxBlockSize, MaxBlockSize), maxBlocks = Math.Min(limits.MaxBlocks, MaxBlocks);
        var block = requestedBlockSize ?? DefaultBlockSize;
        if (block <= 0) throw new ArgumentOutOfRangeException(nameof(requestedBlockSize), "block size must be positive");
        while (block < maxBlock && CeilDiv(objectSize, block) > maxBlocks) block = Math.Min(block * 2, maxBlock);
        if (CeilDiv(objectSize, block) > maxBlocks)
            throw new ArgumentOutOfRangeException(nameof(objectSize), $"{objectSize} bytes exceed what a block blob can hold ({maxBlocks} x {maxBlock})");
        if (block > MaxBufferedBlockSize)
            throw new ArgumentOutOfRangeException(nameof(objectSize), $"{objectSize} bytes would need {block / MiB} MiB blocks; blocks above {MaxBufferedBlockSize / MiB} MiB are not supported by the streamed copy");
        // Like AzCopy: an object that fits in one block goes in one Put Blob.
        if (objectSize <= block && objectSize <= limits.MaxSinglePut) return new BlockPlan(objectSize, block, objectSize == 0 ? 0 : 1, SingleShot: true);
        return new BlockPlan(objectSize, block, (int)CeilDiv(objectSize, block), SingleShot: false);
    }

    /// <summary>
    /// Base64 of "skybridge-{index:D6}-{8 hex of SHA-256(etag|blockSize)}": fixed width (Azure needs
    /// every ID of a blob to have the same length), and tied to the source version and the cut, so
    /// blocks staged for another version or block size are never mistaken for ours.
    /// </summary>
    public static string BlockId(int index, string sourceEtag, long blockSize)
    {
        if (index is < 0 or >= 1_000_000) throw new ArgumentOutOfRangeException(nameof(index));
        var tag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{sourceEtag}|{blockSize}")))[..8];
        return Convert.ToBase64String(Encoding.ASCII.GetBytes($"skybridge-{index:D6}-{tag}"));
    }

    private static long CeilDiv(long a, long b) => a == 0 ? 0 : (a + b - 1) / b;
}
