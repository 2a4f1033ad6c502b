using Skybridge.Transfer;
using Skybridge.Transfer.Execution;

namespace Skybridge.Tests.Transfer;

/// <summary>
/// The proofs hashed here (md5, multipart-etag) compare the bytes read with the source before they
/// leave: a block changed after that is the destination's to catch. Where it checks a Put Block's
/// CRC64 (Azure), every block carries one unless an MD5 goes anyway or --upload-checksum is none.
/// </summary>
public class BlockChecksOnArrivalTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static byte[] Bytes(int n, int seed = 11) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    // auto over https: no MD5 on the blocks (TLS protects the hop), CRC64 where the destination checks it.
    private static readonly CopySettings AutoOverHttps = new() { BlockSize = 1000, PutBlobMax = 0, UploadMd5 = false };

    private static ObjectCopier Copier(FakeSource src, FakeDestination dst, CopySettings settings)
        => new(src, dst, settings, new MemoryBudget(16 << 20), new TransferStats());

    [Fact]
    public async Task A_single_put_object_proved_by_md5_here_sends_every_block_with_its_crc64()
    {
        var src = new FakeSource();
        var data = Bytes(4700);
        var obj = src.Put("large", data);
        var dst = new FakeDestination { ChecksCrc64 = true };
        var result = await Copier(src, dst, AutoOverHttps).CopyAsync(obj, "large", None);

        Assert.Equal(ProofKind.Md5, result.Proof);
        Assert.Equal(5, dst.StagedBlocks);
        Assert.Equal(5, dst.StagedWithCrc64);
        Assert.Equal(data, dst.Blobs["large"].Data);
    }

    [Fact]
    public async Task A_block_changed_after_it_was_hashed_here_is_refused_on_arrival_and_nothing_is_committed()
    {
        var src = new FakeSource();
        var obj = src.Put("large", Bytes(4700));
        var dst = new FakeDestination { ChecksCrc64 = true, FlipInTransit = true };
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Copier(src, dst, AutoOverHttps).CopyAsync(obj, "large", None));
        Assert.Contains("Crc64Mismatch", e.ToString());
        Assert.Equal(0, dst.Commits);
        Assert.Empty(dst.Blobs);
    }

    [Fact]
    public async Task A_multipart_object_proved_by_its_rebuilt_etag_sends_every_block_with_its_crc64_and_a_flip_is_refused()
    {
        // RGW here: part sizes not reported, so the ETag is rebuilt from the whole object with the usual layouts.
        var src = new FakeSource { HidePartSizes = true };
        var data = Bytes(5 * 1024 * 1024 + 10);
        var obj = src.Put("multi", data, parts: [5 * 1024 * 1024, 10]);
        var settings = AutoOverHttps with { BlockSize = 1024 * 1024 };
        var dst = new FakeDestination { ChecksCrc64 = true };
        var result = await Copier(src, dst, settings).CopyAsync(obj, "multi", None);
        Assert.Equal(ProofKind.MultipartEtag, result.Proof);
        Assert.Equal(6, dst.StagedWithCrc64);
        Assert.Equal(data, dst.Blobs["multi"].Data);

        var flipped = new FakeDestination { ChecksCrc64 = true, FlipInTransit = true };
        await Assert.ThrowsAnyAsync<Exception>(() => Copier(src, flipped, settings).CopyAsync(obj, "multi", None));
        Assert.Equal(0, flipped.Commits);
        Assert.Empty(flipped.Blobs);
    }

    [Fact]
    public async Task Where_an_md5_goes_anyway_it_stays_and_with_upload_checksum_none_nothing_is_sent()
    {
        var src = new FakeSource();
        var obj = src.Put("large", Bytes(4700));

        var md5 = new FakeDestination { ChecksCrc64 = true };
        await Copier(src, md5, AutoOverHttps with { UploadMd5 = true }).CopyAsync(obj, "large", None); // md5, or auto over http
        Assert.Equal((5, 0, 0), (md5.StagedBlocks, md5.StagedWithCrc64, md5.StagedWithoutMd5));

        var none = new FakeDestination { ChecksCrc64 = true };
        await Copier(src, none, AutoOverHttps with { BlockCrc64 = false }).CopyAsync(obj, "large", None); // --upload-checksum none
        Assert.Equal((5, 0, 5), (none.StagedBlocks, none.StagedWithCrc64, none.StagedWithoutMd5));

        var azurite = new FakeDestination(); // checks no CRC64: nothing to send it to
        await Copier(src, azurite, AutoOverHttps).CopyAsync(obj, "large", None);
        Assert.Equal((5, 0, 5), (azurite.StagedBlocks, azurite.StagedWithCrc64, azurite.StagedWithoutMd5));
    }

    [Fact]
    public async Task Blocks_that_are_the_sources_parts_keep_their_md5_where_the_destination_also_checks_crc64()
    {
        var src = new FakeSource(); // part sizes reported: composite-etag, each part's MD5 computed anyway
        var obj = src.Put("multi", Bytes(4700), parts: [1500, 1500, 1500, 200]);
        var dst = new FakeDestination { ChecksCrc64 = true };
        var result = await Copier(src, dst, AutoOverHttps).CopyAsync(obj, "multi", None);
        Assert.Equal(ProofKind.CompositeEtag, result.Proof);
        Assert.Equal((4, 0, 0), (dst.StagedBlocks, dst.StagedWithCrc64, dst.StagedWithoutMd5));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("auto", true)]
    [InlineData("AUTO", true)]
    [InlineData("md5", true)]   // an MD5 is sent, so no CRC64 is: UploadMd5 decides first
    [InlineData("none", false)]
    [InlineData("None", false)]
    public void Upload_checksum_none_alone_turns_block_crc64_off(string? value, bool expected)
        => Assert.Equal(expected, UploadChecksum.BlockCrc64(value));
}
