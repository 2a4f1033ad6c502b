using System.Security.Cryptography;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;

namespace Skybridge.Tests.Transfer;

/// <summary>
/// The cheapest complete proof per object: a single-PUT object copied in one Put Blob is proved by
/// the destination against the source ETag's MD5 (md5-by-destination), with nothing hashed here;
/// where that cannot apply, this host hashes as before.
/// </summary>
public class ProofTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static byte[] Bytes(int n, int seed = 7) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    private static ObjectCopier Copier(FakeSource src, FakeDestination dst, bool uploadMd5 = false)
        => new(src, dst, new CopySettings { BlockSize = 1000, UploadMd5 = uploadMd5 }, new MemoryBudget(1 << 20), new TransferStats());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_single_put_object_in_one_request_is_proved_by_the_destination_against_its_etag(bool uploadMd5)
    {
        var src = new FakeSource();
        var obj = src.Put("one", Bytes(900));
        var dst = new FakeDestination();
        var result = await Copier(src, dst, uploadMd5).CopyAsync(obj, "one", None);
        Assert.Equal(ProofKind.Md5ByDestination, result.Proof);
        Assert.False(result.IsUnverified);
        Assert.StartsWith("verified by md5-by-destination", result.Verification);
        var written = dst.Blobs["one"].Write;
        Assert.True(written.VerifyOnArrival); // whatever --upload-checksum says: it is the proof
        Assert.Equal(Convert.FromHexString(obj.ETag), written.ContentMd5);
    }

    [Fact]
    public async Task A_byte_flipped_in_the_get_body_is_refused_by_the_destination_and_nothing_is_written()
    {
        var src = new FakeSource { Corrupt = true };
        var obj = src.Put("one", Bytes(900));
        var dst = new FakeDestination();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Copier(src, dst).CopyAsync(obj, "one", None));
        Assert.Contains("Md5Mismatch", e.Message);
        Assert.Empty(dst.Blobs);
    }

    [Fact]
    public async Task An_sse_kms_object_is_not_proved_by_its_etag()
    {
        var src = new FakeSource();
        var obj = src.Put("kms", Bytes(900), props: new SourceProperties { EtagIsNotDigest = true });
        var dst = new FakeDestination();
        var result = await Copier(src, dst).CopyAsync(obj, "kms", None);
        Assert.NotEqual(ProofKind.Md5ByDestination, result.Proof);
        Assert.True(result.IsUnverified);
        Assert.Equal(MD5.HashData(Bytes(900)), dst.Blobs["kms"].Write.ContentMd5); // the blob's MD5 is the bytes', not the ETag
    }

    [Fact]
    public async Task A_destination_that_checks_no_transactional_md5_gets_the_copy_proved_here()
    {
        var src = new FakeSource();
        var obj = src.Put("one", Bytes(900));
        var dst = new FakeDestination { ChecksTransactionalMd5 = false };
        var result = await Copier(src, dst).CopyAsync(obj, "one", None);
        Assert.Equal(ProofKind.Md5, result.Proof);

        var corrupt = new FakeSource { Corrupt = true };
        var bad = corrupt.Put("one", Bytes(900));
        await Assert.ThrowsAsync<IntegrityException>(() => Copier(corrupt, new FakeDestination { ChecksTransactionalMd5 = false }).CopyAsync(bad, "one", None));
    }

    private static (FakeSource Src, FakeDestination Dst) Streaming() => (new FakeSource { OffersStreams = true }, new FakeDestination { TakesStreamedPuts = true });

    private static ObjectCopier Copier(FakeSource src, FakeDestination dst, long putBlobMax)
        => new(src, dst, new CopySettings { BlockSize = 1000, PutBlobMax = putBlobMax }, new MemoryBudget(1 << 20), new TransferStats());

    [Fact]
    public async Task A_single_put_object_larger_than_a_block_goes_in_one_streamed_put_blob_the_destination_proves()
    {
        var (src, dst) = Streaming();
        var obj = src.Put("big", Bytes(3500));
        var result = await Copier(src, dst, putBlobMax: 4000).CopyAsync(obj, "big", None);
        Assert.Equal(ProofKind.Md5ByDestination, result.Proof);
        Assert.Equal(1, dst.StreamedPuts);
        Assert.Equal(0, dst.StagedBlocks);
        Assert.Equal(0, src.Reads); // no ranged reads: one streamed GET
        Assert.Equal(Bytes(3500), dst.Blobs["big"].Data);
        Assert.Equal(Convert.FromHexString(obj.ETag), dst.Blobs["big"].Write.ContentMd5);
    }

    [Fact]
    public async Task A_byte_flipped_in_the_streamed_get_body_is_refused_and_nothing_is_written_or_read_again()
    {
        var (src, dst) = Streaming();
        src.Corrupt = true;
        var obj = src.Put("big", Bytes(3500));
        var e = await Assert.ThrowsAsync<SkybridgeException>(() => Copier(src, dst, putBlobMax: 4000).CopyAsync(obj, "big", None));
        Assert.Equal(ErrorKind.Integrity, e.Kind);
        Assert.Empty(dst.Blobs);
        Assert.Equal(1, src.Opens); // a mismatch is not a transient failure
    }

    [Fact]
    public async Task A_streamed_body_that_breaks_off_is_read_again_and_the_copy_still_proved()
    {
        var (src, dst) = Streaming();
        src.BreakOpens = 2;
        var obj = src.Put("big", Bytes(3500));
        var result = await Copier(src, dst, putBlobMax: 4000).CopyAsync(obj, "big", None);
        Assert.Equal(3, src.Opens);
        Assert.Equal(ProofKind.Md5ByDestination, result.Proof);
        Assert.Equal(Bytes(3500), dst.Blobs["big"].Data);
    }

    [Theory]
    [InlineData(3499)] // larger than --put-blob-max
    [InlineData(0)]    // --put-blob-max 0: blocks only
    public async Task Objects_over_put_blob_max_go_in_blocks_hashed_here(long putBlobMax)
    {
        var (src, dst) = Streaming();
        var obj = src.Put("big", Bytes(3500));
        var result = await Copier(src, dst, putBlobMax).CopyAsync(obj, "big", None);
        Assert.Equal(ProofKind.Md5, result.Proof);
        Assert.Equal(0, dst.StreamedPuts);
        Assert.Equal(4, dst.StagedBlocks);
    }

    [Fact]
    public async Task An_sse_kms_object_found_on_the_streamed_get_goes_in_blocks_instead()
    {
        var (src, dst) = Streaming();
        var obj = src.Put("kms", Bytes(3500), props: new SourceProperties { EtagIsNotDigest = true });
        var result = await Copier(src, dst, putBlobMax: 4000).CopyAsync(obj, "kms", None);
        Assert.Equal(0, dst.StreamedPuts);
        Assert.True(result.IsUnverified);
        Assert.Equal(MD5.HashData(Bytes(3500)), dst.Blobs["kms"].Write.ContentMd5);
    }

    // ---- composite-etag: a multipart source whose parts are the blocks ----

    private static ObjectCopier PartCopier(FakeSource src, FakeDestination dst, bool uploadMd5 = false, long budget = 1 << 20)
        => new(src, dst, new CopySettings { BlockSize = 1000, UploadMd5 = uploadMd5 }, new MemoryBudget(budget), new TransferStats());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_multipart_source_is_copied_in_blocks_that_are_its_parts_and_proved_by_the_rebuilt_etag_before_the_commit(bool uploadMd5)
    {
        var src = new FakeSource();
        var data = Bytes(4700);
        var obj = src.Put("multi", data, parts: [1500, 1500, 1500, 200]); // parts larger than the 1000-byte blocks
        var dst = new FakeDestination();
        var result = await PartCopier(src, dst, uploadMd5).CopyAsync(obj, "multi", None);

        Assert.Equal(ProofKind.CompositeEtag, result.Proof);
        Assert.Equal("composite-etag", ProofNames.Of(result.Proof));
        Assert.StartsWith("verified by composite-etag", result.Verification);
        Assert.False(result.IsUnverified);
        Assert.Equal(4, dst.StagedBlocks);        // one block per part, not five 1000-byte blocks
        Assert.Equal(0, dst.StagedWithoutMd5);    // every block carried its MD5, whatever --upload-checksum says
        Assert.Equal(4, src.Reads);               // each part read once
        Assert.Equal(data, dst.Blobs["multi"].Data);
        // No whole-object MD5 was computed: no Content-MD5, and the blob says what proved it.
        Assert.Null(result.Md5);
        Assert.Empty(dst.Blobs["multi"].Write.ContentMd5);
        Assert.Equal("composite-etag", dst.Blobs["multi"].Write.Metadata[ProvenanceKeys.Proof]);
    }

    [Fact]
    public async Task A_byte_flipped_in_a_part_read_fails_the_rebuilt_etag_and_the_block_list_is_never_committed()
    {
        var src = new FakeSource { Corrupt = true }; // every read comes back with its first byte flipped
        var obj = src.Put("multi", Bytes(4700), parts: [1500, 1500, 1500, 200]);
        var dst = new FakeDestination();
        var e = await Assert.ThrowsAsync<IntegrityException>(() => PartCopier(src, dst).CopyAsync(obj, "multi", None));
        Assert.Contains("multipart ETag check failed", e.Message);
        Assert.Contains(obj.ETag, e.Message);
        Assert.Equal(4, dst.StagedBlocks); // the (consistently wrong) blocks were accepted on arrival...
        Assert.Equal(0, dst.Commits);      // ...and never committed
        Assert.Empty(dst.Blobs);
    }

    [Fact]
    public async Task An_sse_kms_multipart_source_copied_by_its_parts_is_unverified_and_records_so()
    {
        var src = new FakeSource();
        var data = Bytes(4700);
        var obj = src.Put("kms", data, parts: [1500, 1500, 1500, 200], props: new SourceProperties { EtagIsNotDigest = true });
        var dst = new FakeDestination();
        var result = await PartCopier(src, dst).CopyAsync(obj, "kms", None);
        Assert.Equal(ProofKind.BlockMd5Only, result.Proof); // every block was checked on arrival, the ETag proves nothing
        Assert.True(result.IsUnverified);
        Assert.Contains(result.Notes, n => n.Contains("SSE-KMS", StringComparison.Ordinal));
        Assert.Equal("block-md5-only", dst.Blobs["kms"].Write.Metadata[ProvenanceKeys.Proof]);
        Assert.Equal(data, dst.Blobs["kms"].Data);
    }

    [Fact]
    public async Task Parts_larger_than_the_memory_budget_fall_back_to_the_usual_blocks_and_say_why()
    {
        var src = new FakeSource();
        var data = Bytes(4700);
        var obj = src.Put("multi", data, parts: [1500, 1500, 1500, 200]);
        var dst = new FakeDestination();
        var result = await PartCopier(src, dst, budget: 1200).CopyAsync(obj, "multi", None);
        Assert.Equal(ProofKind.MultipartEtag, result.Proof);
        Assert.Contains(result.Notes, n => n.Contains("parts not copied as blocks (parts of up to 1500 bytes exceed --max-memory (1200 bytes))", StringComparison.Ordinal));
        Assert.Equal(5, dst.StagedBlocks); // the 1000-byte cut
        Assert.Equal(MD5.HashData(data), dst.Blobs["multi"].Write.ContentMd5);
        Assert.False(dst.Blobs["multi"].Write.Metadata.ContainsKey(ProvenanceKeys.Proof));
    }

    [Fact]
    public async Task A_server_that_ignores_part_numbers_keeps_the_inferred_layouts_hashed_whole()
    {
        var src = new FakeSource { HidePartSizes = true };
        var data = Bytes(4700);
        var obj = src.Put("multi", data, parts: [1567, 1567, 1566]); // one of the inferred layouts: the even cut
        var dst = new FakeDestination();
        var result = await PartCopier(src, dst).CopyAsync(obj, "multi", None);
        Assert.Equal(ProofKind.MultipartEtag, result.Proof);
        Assert.Equal(5, dst.StagedBlocks);
        Assert.Equal(MD5.HashData(data), dst.Blobs["multi"].Write.ContentMd5);
    }

    [Fact]
    public void Parts_become_blocks_only_within_the_destinations_limits()
    {
        var limits = Skybridge.Providers.AzureBlob.AzureBlockBlob.Capabilities;
        var (plan, why) = BlockPlanner.AlignToParts(4700, [1500, 1500, 1500, 200], limits, 1 << 20);
        Assert.Null(why);
        Assert.Equal(new long[] { 0, 1500, 3000, 4500 }, Enumerable.Range(0, 4).Select(i => plan!.OffsetOf(i)).ToArray());
        Assert.Equal(new[] { 1500, 1500, 1500, 200 }, Enumerable.Range(0, 4).Select(i => plan!.LengthOf(i)).ToArray());

        Assert.Equal("3 parts are more than the destination's 2 blocks",
            BlockPlanner.AlignToParts(3000, [1000, 1000, 1000], limits with { MaxBlocks = 2 }, 1 << 20).WhyNot);
        Assert.Equal("parts of up to 1000 bytes exceed the destination's largest block (999 bytes)",
            BlockPlanner.AlignToParts(3000, [1000, 1000, 1000], limits with { MaxBlockSize = 999 }, 1 << 20).WhyNot);
        Assert.Contains("exceed the largest block this host buffers (1024 MiB)",
            BlockPlanner.AlignToParts(3L << 30, [2L << 30, 1L << 30], limits, 4L << 30).WhyNot);
        Assert.Throws<ArgumentException>(() => BlockPlanner.AlignToParts(3001, [1000, 1000, 1000], limits, 1 << 20));
    }

    [Fact]
    public void The_etag_rebuilt_from_part_md5s_is_the_multipart_etag()
    {
        var data = Bytes(4700);
        long[] parts = [1500, 1500, 1500, 200];
        var md5s = new List<byte[]>();
        long offset = 0;
        foreach (var p in parts) { md5s.Add(MD5.HashData(data.AsSpan((int)offset, (int)p))); offset += p; }
        Assert.Equal(FakeSource.MultipartEtag(data, parts), CompositeEtag.Of(md5s));
        md5s[2][0] ^= 1;
        Assert.NotEqual(FakeSource.MultipartEtag(data, parts), CompositeEtag.Of(md5s));
    }

    [Fact]
    public async Task Verify_matches_a_composite_etag_blob_by_its_recorded_etag_and_not_a_blob_whose_content_md5_was_removed()
    {
        var src = new FakeSource();
        src.Put("multi", Bytes(4700), parts: [1500, 1500, 1500, 200]);
        src.Put("plain", Bytes(3500, 9));
        var dst = new FakeDestination();
        var options = new TransferOptions { Copy = new CopySettings { BlockSize = 1000 }, Concurrency = 2 };
        Assert.Equal(ExitCodes.Ok, (await new TransferEngine(src, dst, options, new TransferStats(), new ListReport()).RunAsync(RunMode.Copy, None)).ExitCode);

        var report = new ListReport();
        var verify = await new TransferEngine(src, dst, options, new TransferStats(), report).RunAsync(RunMode.Verify, None);
        Assert.Equal(ExitCodes.Ok, verify.ExitCode);
        Assert.Contains("copied part by part, composite-etag", report.For("multi").Reason);

        // The same blob without the proof it recorded: a missing Content-MD5 is a mismatch, as before.
        lock (dst.Blobs)
        {
            var (bytes, write, modified) = dst.Blobs["multi"];
            var metadata = new Dictionary<string, string>(write.Metadata);
            metadata.Remove(ProvenanceKeys.Proof);
            dst.Blobs["multi"] = (bytes, write with { Metadata = metadata }, modified);
        }
        var again = new ListReport();
        var after = await new TransferEngine(src, dst, options, new TransferStats(), again).RunAsync(RunMode.Verify, None);
        Assert.Equal(ExitCodes.SomeFailed, after.ExitCode);
        Assert.Equal(Outcome.Mismatch, again.For("multi").Outcome);
    }
}
