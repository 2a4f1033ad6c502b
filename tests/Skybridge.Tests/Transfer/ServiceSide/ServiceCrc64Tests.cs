using System.Security.Cryptography;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Tests.Transfer.ServiceSide;

/// <summary>
/// Service-side copies of a source that keeps a full-object CRC64: the blocks' CRC64s, as Azure
/// computed them from what it fetched, combined, must equal the source's before the block list is
/// committed (today's "service-unverified" multi-block copies become crc64); what Azure fetched
/// wrong is never committed.
/// </summary>
public class ServiceCrc64Tests
{
    private static byte[] Bytes(int n, int seed = 1) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    private sealed record Rig(FakeSource Source, FakeDestination Blobs, FakeFromUrl Azure);

    private static Rig Seed(bool crc64 = true)
    {
        var src = new FakeSource { OffersCrc64 = crc64 };
        src.Put("big.bin", Bytes(5500));                                // single PUT, 6 blocks
        src.Put("multi.bin", Bytes(4200, 2), parts: [2000, 2000, 200]); // multipart, 5 blocks
        src.Put("multi-small.bin", Bytes(900, 3), parts: [500, 400]);   // multipart, one block
        src.Put("small.bin", Bytes(700, 4));                            // single PUT, one block: service-md5
        var dst = new FakeDestination();
        var presigner = new FakePresigner(src);
        src.Presigner = presigner;
        var azure = new FakeFromUrl(presigner, src, dst);
        dst.FromUrl = azure;
        return new Rig(src, dst, azure);
    }

    private static async Task<(RunResult Result, ListReport Report)> Run(Rig rig)
    {
        var report = new ListReport();
        var options = new TransferOptions { Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 4 }, Concurrency = 2, Mode = CopyMode.Service };
        return (await new TransferEngine(rig.Source, rig.Blobs, options, new TransferStats(), report).RunAsync(RunMode.Copy, CancellationToken.None), report);
    }

    [Fact]
    public async Task Blocks_azure_fetched_are_proved_by_their_combined_crc64_and_single_put_objects_in_one_block_stay_service_md5()
    {
        var rig = Seed();
        var (result, report) = await Run(rig);
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(0, result.Stats.Unverified); // three of these were service-unverified before
        foreach (var key in new[] { "big.bin", "multi.bin", "multi-small.bin" })
        {
            Assert.Contains("verified by " + ServiceSideCopier.Crc64ByDestination, report.For(key).Reason);
            Assert.Equal("service", report.For(key).Mode);
        }
        Assert.Contains("verified by md5", report.For("small.bin").Reason);
        Assert.Equal(1, rig.Blobs.Blobs.Count(b => b.Key == "multi-small.bin")); // one Put Block From URL, then its commit
        Assert.Equal(MD5.HashData(Bytes(5500)), rig.Blobs.Blobs["big.bin"].Write.ContentMd5); // the single-PUT ETag's MD5, as before
        Assert.Equal(Bytes(4200, 2), rig.Blobs.Blobs["multi.bin"].Data);
    }

    [Fact]
    public async Task A_byte_azure_fetched_wrong_fails_the_crc_and_nothing_is_committed()
    {
        var rig = Seed();
        rig.Source.Corrupt = true; // every fetch comes back with its first byte flipped
        var (result, report) = await Run(rig);
        Assert.Equal(ExitCodes.SomeFailed, result.ExitCode);
        foreach (var key in new[] { "big.bin", "multi.bin", "multi-small.bin" })
        {
            Assert.Equal(Outcome.Failed, report.For(key).Outcome);
            Assert.Contains("CRC64 check failed", report.For(key).Reason);
        }
        Assert.Equal(Outcome.Failed, report.For("small.bin").Outcome); // service-md5: Azure refused it (400 Md5Mismatch)
        Assert.Empty(rig.Blobs.Blobs);
    }

    [Fact]
    public async Task Without_block_crcs_from_the_destination_or_a_crc_at_the_source_block_copies_stay_service_unverified_and_say_why()
    {
        var rig = Seed();
        rig.Azure.ReportsCrc64 = false;
        var (_, report) = await Run(rig);
        Assert.Contains(ServiceSideCopier.UnverifiedMultipart, report.For("multi.bin").Reason);
        Assert.Contains(ServiceSideCopier.UnverifiedBlocks, report.For("big.bin").Reason);

        var (_, without) = await Run(Seed(crc64: false));
        Assert.Contains(ServiceSideCopier.UnverifiedMultipart, without.For("multi.bin").Reason);
        Assert.Contains(ServiceSideCopier.UnverifiedMultipart, without.For("multi-small.bin").Reason); // one Put Blob From URL, as before
    }
}
