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
}
