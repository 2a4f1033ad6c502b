using System.Security.Cryptography;
using System.Text;
using Skybridge.Transfer;

namespace Skybridge.Providers.AzureBlob;

/// <summary>
/// What an Azure block blob is: its limits (Put Blob 5000 MiB, blocks of 4000 MiB, 50,000 blocks),
/// how Skybridge names its blocks, and the naming and metadata rules of this folder. Both destinations of this folder publish these.
/// </summary>
public static class AzureBlockBlob
{
    /// <summary>Largest blob written with one Put Blob: 5000 MiB.</summary>
    public const long MaxSinglePut = 5000 * BlockPlanner.MiB;
    /// <summary>Largest block: 4000 MiB.</summary>
    public const long MaxBlockSize = 4000 * BlockPlanner.MiB;
    /// <summary>Most blocks in one committed blob: 50,000.</summary>
    public const int MaxBlocks = 50_000;

    /// <summary>The capabilities every Azure block blob destination starts from.</summary>
    public static DestinationCapabilities Capabilities { get; } = new()
    {
        MaxSinglePut = MaxSinglePut,
        MaxBlockSize = MaxBlockSize,
        MaxBlocks = MaxBlocks,
        BlockIds = new SkybridgeBlockIds(),
        Names = new BlobNames(),
        Metadata = new BlobMetadata(),
    };

    /// <summary>The Azure cut of an object (<see cref="BlockPlanner.Plan"/> with <see cref="Capabilities"/>).</summary>
    public static BlockPlan Plan(long objectSize, long? requestedBlockSize = null) => BlockPlanner.Plan(objectSize, requestedBlockSize, Capabilities);

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

    // The capabilities' views of this folder's static rules.
    private sealed class SkybridgeBlockIds : IBlockIdScheme
    {
        public string IdOf(int index, string sourceEtag, long blockSize) => BlockId(index, sourceEtag, blockSize);
    }

    private sealed class BlobNames : INameRules
    {
        public string? Problem(string name) => BlobNamePolicy.Problem(name);
        public NameMapping Map(string relativeKey, string destinationPrefix, NamePolicy policy) => BlobNamePolicy.Map(relativeKey, destinationPrefix, policy);
        public string NotInSource(string relativeName, NamePolicy policy) => BlobNamePolicy.NotInSource(relativeName, policy);
    }

    private sealed class BlobMetadata : IMetadataRules
    {
        public Dictionary<string, string> Build(string bucket, SourceObject source, SourceProperties props, string? versionId)
            => MetadataMapper.Build(bucket, source, props, versionId);
        public (Dictionary<string, string> Tags, List<string> Dropped) MapTags(IReadOnlyDictionary<string, string> sourceTags) => TagMapper.Map(sourceTags);
    }
}
