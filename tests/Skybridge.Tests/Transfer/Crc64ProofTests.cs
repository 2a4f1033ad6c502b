using System.Security.Cryptography;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;

namespace Skybridge.Tests.Transfer;

/// <summary>
/// crc64: where the source keeps a full-object CRC-64/NVME (S3 since 2025), every block is hashed
/// once by its worker, in parallel, and the blocks' CRCs combined must equal the source's before
/// the commit; cheaper proofs stay first (md5-by-destination hashes nothing; composite-etag's part
/// MD5s are the blocks' checks on arrival where the destination takes no CRC64).
/// </summary>
public class Crc64ProofTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static byte[] Bytes(int n, int seed = 7) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }
    private static readonly long[] Parts = [1500, 1500, 1500, 200];

    private static ObjectCopier Copier(FakeSource src, FakeDestination dst, long putBlobMax = CopySettings.DefaultPutBlobMax)
        => new(src, dst, new CopySettings { BlockSize = 1000, PutBlobMax = putBlobMax }, new MemoryBudget(1 << 20), new TransferStats());

    [Fact]
    public async Task A_multipart_object_whose_parts_are_unknown_is_proved_by_the_combined_block_crcs_each_block_carrying_an_md5()
    {
        var src = new FakeSource { OffersCrc64 = true, HidePartSizes = true }; // RGW-like parts, S3-like CRC
        var data = Bytes(4700);
        var obj = src.Put("multi", data, parts: Parts);
        var dst = new FakeDestination(); // like Azurite: no CRC64 on arrival
        var result = await Copier(src, dst).CopyAsync(obj, "multi", None);

        Assert.Equal(ProofKind.Crc64, result.Proof);
        Assert.Equal("crc64", ProofNames.Of(result.Proof));
        Assert.StartsWith("verified by crc64", result.Verification);
        Assert.False(result.IsUnverified);
        Assert.Equal(1, src.Heads);
        Assert.Equal(5, dst.StagedBlocks);      // the 1000-byte cut
        Assert.Equal(0, dst.StagedWithoutMd5);  // each block checked on arrival by its MD5, whatever --upload-checksum says
        Assert.Equal(data, dst.Blobs["multi"].Data);
        Assert.Null(result.Md5); // a multipart object has no known whole-object MD5: none computed, the proof recorded
        Assert.Empty(dst.Blobs["multi"].Write.ContentMd5);
        Assert.Equal("crc64", dst.Blobs["multi"].Write.Metadata[ProvenanceKeys.Proof]);
    }

    [Fact]
    public async Task Where_the_destination_checks_crc64_the_blocks_carry_their_crc_and_crc64_wins_over_composite_etag()
    {
        var src = new FakeSource { OffersCrc64 = true }; // part sizes known: composite-etag could apply
        var data = Bytes(4700);
        var obj = src.Put("multi", data, parts: Parts);
        var dst = new FakeDestination { ChecksCrc64 = true };
        var result = await Copier(src, dst).CopyAsync(obj, "multi", None);

        Assert.Equal(ProofKind.Crc64, result.Proof);
        Assert.Equal(5, dst.StagedWithCrc64); // every block carried its CRC64, no MD5 computed
        Assert.Equal(0, dst.StagedBlocks - dst.StagedWithCrc64);
        Assert.Equal(data, dst.Blobs["multi"].Data);
    }

    [Fact]
    public async Task Where_the_destination_takes_no_crc64_and_the_parts_can_be_blocks_composite_etag_stays()
    {
        var src = new FakeSource { OffersCrc64 = true };
        var obj = src.Put("multi", Bytes(4700), parts: Parts);
        var dst = new FakeDestination();
        var result = await Copier(src, dst).CopyAsync(obj, "multi", None);
        Assert.Equal(ProofKind.CompositeEtag, result.Proof);
        Assert.Equal(4, dst.StagedBlocks);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_byte_flipped_in_the_get_body_fails_the_crc_and_the_block_list_is_never_committed(bool destinationChecksCrc64)
    {
        var src = new FakeSource { OffersCrc64 = true, HidePartSizes = true, Corrupt = true }; // every read comes back with its first byte flipped
        var obj = src.Put("multi", Bytes(4700), parts: Parts);
        var dst = new FakeDestination { ChecksCrc64 = destinationChecksCrc64 };
        var e = await Assert.ThrowsAsync<IntegrityException>(() => Copier(src, dst).CopyAsync(obj, "multi", None));
        Assert.Contains("CRC64 check failed", e.Message);
        Assert.Contains(Crc64.Of(Bytes(4700)).ToString(), e.Message);
        Assert.Equal(5, dst.StagedBlocks); // the (consistently wrong) blocks were accepted on arrival...
        Assert.Equal(0, dst.Commits);      // ...and never committed
        Assert.Empty(dst.Blobs);
    }

    [Fact]
    public async Task A_source_crc_that_differs_from_the_bytes_is_refused_before_the_single_put_and_nothing_is_written()
    {
        var src = new FakeSource { OffersCrc64 = true };
        var data = Bytes(900);
        var obj = src.Put("small", data, parts: [500, 400], props: new SourceProperties { Crc64Nvme = Crc64.Of(Bytes(900, 8)) });
        var dst = new FakeDestination();
        var e = await Assert.ThrowsAsync<IntegrityException>(() => Copier(src, dst).CopyAsync(obj, "small", None));
        Assert.Contains("CRC64 check failed", e.Message);
        Assert.Equal(0, dst.Puts);
        Assert.Empty(dst.Blobs);
    }

    [Fact]
    public async Task A_small_multipart_object_in_one_put_blob_is_proved_by_its_crc_and_the_put_carries_its_md5()
    {
        var src = new FakeSource { OffersCrc64 = true };
        var data = Bytes(900);
        var obj = src.Put("small", data, parts: [500, 400]);
        var dst = new FakeDestination();
        var result = await Copier(src, dst).CopyAsync(obj, "small", None);
        Assert.Equal(ProofKind.Crc64, result.Proof);
        Assert.True(dst.Blobs["small"].Write.VerifyOnArrival); // the destination checks the bytes it receives too
        Assert.Equal(MD5.HashData(data), dst.Blobs["small"].Write.ContentMd5);
    }

    [Fact]
    public async Task A_single_put_object_still_goes_md5_by_destination_with_no_head_and_nothing_hashed_here()
    {
        var src = new FakeSource { OffersCrc64 = true, OffersStreams = true };
        var obj = src.Put("plain", Bytes(4700));
        var dst = new FakeDestination { TakesStreamedPuts = true, ChecksCrc64 = true };
        var result = await Copier(src, dst).CopyAsync(obj, "plain", None);
        Assert.Equal(ProofKind.Md5ByDestination, result.Proof);
        Assert.Equal(0, src.Heads);
        Assert.Equal(1, dst.StreamedPuts);
    }

    [Fact]
    public async Task A_single_put_object_above_put_blob_max_is_proved_by_crc64_and_keeps_its_etag_md5_as_content_md5()
    {
        var src = new FakeSource { OffersCrc64 = true, OffersStreams = true };
        var data = Bytes(4700);
        var obj = src.Put("large", data);
        var dst = new FakeDestination { TakesStreamedPuts = true };
        var result = await Copier(src, dst, putBlobMax: 0).CopyAsync(obj, "large", None);
        Assert.Equal(ProofKind.Crc64, result.Proof);
        // The bytes are proved to be the source's, whose MD5 its plain ETag is: the blob gets it, and verify compares it.
        Assert.Equal(MD5.HashData(data), result.Md5);
        Assert.Equal(MD5.HashData(data), dst.Blobs["large"].Write.ContentMd5);
        Assert.False(dst.Blobs["large"].Write.Metadata.ContainsKey(ProvenanceKeys.Proof));
    }

    [Theory]
    [InlineData(900)]  // one Put Blob
    [InlineData(4700)] // blocks
    public async Task An_sse_kms_object_whose_etag_proves_nothing_is_proved_by_its_crc(int size)
    {
        var src = new FakeSource { OffersCrc64 = true };
        var data = Bytes(size);
        var obj = src.Put("kms", data, props: new SourceProperties { EtagIsNotDigest = true });
        var dst = new FakeDestination();
        var result = await Copier(src, dst).CopyAsync(obj, "kms", None);
        Assert.Equal(ProofKind.Crc64, result.Proof);
        Assert.False(result.IsUnverified);
        Assert.Equal(data, dst.Blobs["kms"].Data);
        // Never the ETag taken for an MD5: the bytes' own MD5 where it was computed (one Put Blob), else none and the proof recorded.
        if (size == 900) Assert.Equal(MD5.HashData(data), dst.Blobs["kms"].Write.ContentMd5);
        else
        {
            Assert.Empty(dst.Blobs["kms"].Write.ContentMd5);
            Assert.Equal("crc64", dst.Blobs["kms"].Write.Metadata[ProvenanceKeys.Proof]);
        }
    }

    [Fact]
    public async Task Without_a_crc_at_the_source_the_proofs_are_as_before()
    {
        var src = new FakeSource { HidePartSizes = true }; // RGW here: no checksum headers, partNumber ignored
        var obj = src.Put("multi", Bytes(4700), parts: Parts);
        var dst = new FakeDestination { ChecksCrc64 = true };
        var result = await Copier(src, dst).CopyAsync(obj, "multi", None);
        // Parts of 1500 bytes are none of the usual layouts: unverified, as before (the CRC would have proved it).
        Assert.Equal(ProofKind.BlockMd5Only, result.Proof);
        Assert.Equal(0, src.Heads);
        Assert.Equal(0, dst.StagedWithCrc64);
    }

    [Fact]
    public async Task Verify_matches_a_crc64_blob_by_its_recorded_etag()
    {
        var src = new FakeSource { OffersCrc64 = true, HidePartSizes = true };
        src.Put("multi", Bytes(4700), parts: Parts);
        var dst = new FakeDestination();
        var options = new TransferOptions { Copy = new CopySettings { BlockSize = 1000 }, Concurrency = 2 };
        var copyReport = new ListReport();
        Assert.Equal(ExitCodes.Ok, (await new TransferEngine(src, dst, options, new TransferStats(), copyReport).RunAsync(RunMode.Copy, None)).ExitCode);
        Assert.Contains("verified by crc64", copyReport.For("multi").Reason);
        var report = new ListReport();
        Assert.Equal(ExitCodes.Ok, (await new TransferEngine(src, dst, options, new TransferStats(), report).RunAsync(RunMode.Verify, None)).ExitCode);
        Assert.Contains("crc64", report.For("multi").Reason);
    }
}
