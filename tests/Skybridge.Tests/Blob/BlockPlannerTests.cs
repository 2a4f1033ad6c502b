using System.Text;
using Skybridge.Providers.AzureBlob;

namespace Skybridge.Tests.Blob;

public class BlockPlannerTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Small_objects_go_in_one_put_blob()
    {
        Assert.True(AzureBlockBlob.Plan(0).SingleShot);
        Assert.Equal(0, AzureBlockBlob.Plan(0).BlockCount);
        Assert.True(AzureBlockBlob.Plan(8 * MiB).SingleShot);
        Assert.False(AzureBlockBlob.Plan(8 * MiB + 1).SingleShot);
    }

    [Fact]
    public void Starts_at_8_MiB_and_doubles_until_50000_blocks_are_enough()
    {
        Assert.Equal(8 * MiB, AzureBlockBlob.Plan(100 * MiB).BlockSize);
        Assert.Equal(13, AzureBlockBlob.Plan(100 * MiB).BlockCount);
        Assert.Equal(8 * MiB, AzureBlockBlob.Plan(50_000 * 8 * MiB).BlockSize);
        Assert.Equal(16 * MiB, AzureBlockBlob.Plan(50_000 * 8 * MiB + 1).BlockSize);
        var oneTiB = AzureBlockBlob.Plan(1024 * 1024 * MiB);
        Assert.Equal(32 * MiB, oneTiB.BlockSize);
        Assert.True(oneTiB.BlockCount <= 50_000);
    }

    [Fact]
    public void A_requested_block_size_is_used_and_grown_only_when_needed()
    {
        var p = AzureBlockBlob.Plan(5 * MiB + 3, 1 * MiB);
        Assert.Equal(1 * MiB, p.BlockSize);
        Assert.Equal(6, p.BlockCount);
        Assert.Equal(3, p.LengthOf(5));
        Assert.Equal(5 * MiB, p.OffsetOf(5));
        Assert.Equal(2 * MiB, AzureBlockBlob.Plan(50_001 * MiB, 1 * MiB).BlockSize);
    }

    [Fact]
    public void Block_ids_are_fixed_width_deterministic_and_tied_to_the_source_version()
    {
        var a = AzureBlockBlob.BlockId(0, "etag1", 8 * MiB);
        var b = AzureBlockBlob.BlockId(49_999, "etag1", 8 * MiB);
        Assert.Equal(a.Length, b.Length);
        Assert.Equal(a, AzureBlockBlob.BlockId(0, "etag1", 8 * MiB));
        Assert.NotEqual(a, AzureBlockBlob.BlockId(0, "etag2", 8 * MiB));
        Assert.NotEqual(a, AzureBlockBlob.BlockId(0, "etag1", 16 * MiB));
        Assert.StartsWith("skybridge-049999-", Encoding.ASCII.GetString(Convert.FromBase64String(b)));
    }
}
