using System.Security.Cryptography;
using System.Text;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Tests.Transfer.ServiceSide;

public class ServiceSideCopierTests
{
    private static byte[] Bytes(int n, int seed = 1)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private sealed record Rig(FakeSource Source, FakeDestination Blobs, FakePresigner Presigner, FakeFromUrl Azure, TransferStats Stats);

    private static Rig Seed()
    {
        var src = new FakeSource();
        src.Put("small.txt", Encoding.UTF8.GetBytes("hello"), props: new SourceProperties { ContentType = "text/plain" }, tags: new() { ["team"] = "data" });
        src.Put("big.bin", Bytes(5500));                               // 6 blocks of 1000
        src.Put("multi.bin", Bytes(4200, 2), parts: [2000, 2000, 200]); // multipart ETag
        src.Put("multi-small.bin", Bytes(900, 3), parts: [500, 400]);    // multipart, one block
        src.Put("empty", []);
        var dst = new FakeDestination();
        var presigner = new FakePresigner(src);
        return new Rig(src, dst, presigner, new FakeFromUrl(presigner, src, dst), new TransferStats());
    }

    private static TransferOptions Options(bool deep = false, bool hash = false) => new()
    {
        Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 4 },
        Concurrency = 2,
        DeepVerify = deep || hash,
        HashSource = hash,
    };

    private static async Task<(RunResult Result, ListReport Report)> Run(Rig rig, CopyMode mode, RunMode run = RunMode.Copy, TransferOptions? options = null, int urlLimit = 2048)
    {
        var report = new ListReport();
        // The engine copies service-side where both sides offer it.
        rig.Source.Presigner = rig.Presigner;
        rig.Blobs.FromUrl = rig.Azure;
        rig.Blobs.UrlLimit = urlLimit;
        var engine = new TransferEngine(rig.Source, rig.Blobs, (options ?? Options()) with { Mode = mode }, rig.Stats, report);
        return (await engine.RunAsync(run, CancellationToken.None), report);
    }

    [Fact]
    public async Task Service_mode_moves_every_byte_through_azure_and_none_through_this_host()
    {
        var rig = Seed();
        var (result, report) = await Run(rig, CopyMode.Service);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(5, result.Stats.ServiceSide);
        Assert.Equal(0, result.Stats.Streamed);
        Assert.Equal(0, result.Stats.BytesTransferred);                   // nothing read by this host
        Assert.Equal(5 + 5500 + 4200 + 900, result.Stats.BytesServiceSide);
        Assert.Equal(5 + 5500 + 4200 + 900, rig.Azure.BytesFetched);
        foreach (var key in new[] { "small.txt", "big.bin", "multi.bin", "multi-small.bin", "empty" })
        {
            var data = new byte[rig.Blobs.Blobs[key].Data.Length];
            Assert.Equal(MD5.HashData(rig.Blobs.Blobs[key].Data), MD5.HashData(await ReadAll(rig.Source, key)));
            Assert.Equal("service", report.For(key).Mode);
            Assert.Equal("service", rig.Blobs.Blobs[key].Write.Metadata[ProvenanceKeys.CopyMode]);
        }
        // One presign per block (6 + 5 + 1 + 1 + 1): no URL is reused across blocks.
        Assert.Equal(14, rig.Presigner.Presigned);
        // Properties, metadata and tags travel; the source MD5 is carried as Content-MD5 when the ETag is one.
        var small = rig.Blobs.Blobs["small.txt"].Write;
        Assert.Equal("text/plain", small.ContentType);
        Assert.Equal("data", small.Tags["team"]);
        Assert.Equal(MD5.HashData(Encoding.UTF8.GetBytes("hello")), small.ContentMd5);
        Assert.Equal(MD5.HashData(await ReadAll(rig.Source, "big.bin")), rig.Blobs.Blobs["big.bin"].Write.ContentMd5);
        Assert.Empty(rig.Blobs.Blobs["multi.bin"].Write.ContentMd5); // unknown: never hashed here
        // Only a single-shot plain-MD5 object is checked (by Azure); the rest is honestly "unverified".
        Assert.Contains("verified by md5 (Azure compared", report.For("small.txt").Reason);
        Assert.Contains(ServiceSideCopier.UnverifiedMultipart, report.For("multi.bin").Reason);
        Assert.Contains(ServiceSideCopier.UnverifiedBlocks, report.For("big.bin").Reason);
        Assert.Equal(3, result.Stats.Unverified);
    }

    private static async Task<byte[]> ReadAll(FakeSource src, string key)
    {
        await foreach (var o in src.ListAsync(CancellationToken.None))
            if (o.Key == key)
            {
                var data = new byte[o.Size];
                await src.ReadAsync(o, 0, data, CancellationToken.None);
                return data;
            }
        throw new KeyNotFoundException(key);
    }

    [Fact]
    public async Task Verify_agrees_fast_and_verify_hash_confirms_multipart_copies_by_reading_both_sides()
    {
        var rig = Seed();
        rig.Source.HidePartSizes = true; // like RGW: part boundaries unknown
        await Run(rig, CopyMode.Service);

        var (fast, fastReport) = await Run(rig, CopyMode.Stream, RunMode.Verify);
        Assert.Equal(ExitCodes.Ok, fast.ExitCode);
        Assert.Equal(5, fast.Stats.Matched);
        Assert.Contains("copied service-side: bytes not hashed", fastReport.For("multi.bin").Reason);

        var (hashed, hashReport) = await Run(rig, CopyMode.Stream, RunMode.Verify, Options(hash: true));
        Assert.Equal(ExitCodes.Ok, hashed.ExitCode);
        Assert.Contains("both sides hashed", hashReport.For("multi.bin").Reason);

        // A tamper that keeps the size is caught by --hash (the blob has no Content-MD5 to betray it).
        var tampered = (byte[])rig.Blobs.Blobs["multi.bin"].Data.Clone();
        tampered[100] ^= 1;
        rig.Blobs.Tamper("multi.bin", tampered);
        var (again, againReport) = await Run(rig, CopyMode.Stream, RunMode.Verify, Options(hash: true));
        Assert.Equal(ExitCodes.SomeFailed, again.ExitCode);
        Assert.Equal(Outcome.Mismatch, againReport.For("multi.bin").Outcome);
        Assert.Contains("source's bytes", againReport.For("multi.bin").Reason);
    }

    [Fact]
    public async Task An_over_long_url_streams_that_object_and_says_why()
    {
        var rig = Seed();
        rig.Presigner.PadTo = 2210;
        var (result, report) = await Run(rig, CopyMode.Service);
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(5, result.Stats.Streamed);
        Assert.Equal(0, rig.Azure.Calls);
        Assert.Equal("stream", report.For("big.bin").Mode);
        Assert.Contains("presigned URL 2210 chars > 2048: streamed", report.For("big.bin").Reason);
        Assert.Contains("verified by md5", report.For("big.bin").Reason); // streamed copies are checked as always
        Assert.Equal(5, result.Stats.StreamReasons["presigned URL > 2048 chars: streamed"]);
    }

    [Fact]
    public async Task Sessions_too_short_to_presign_stream_in_auto_mode_and_fail_each_object_with_the_fix_in_service_mode()
    {
        var rig = Seed();
        rig.Presigner.SessionsTooShort = true;
        var (auto, report) = await Run(rig, CopyMode.Auto);
        Assert.Equal(ExitCodes.Ok, auto.ExitCode);
        Assert.Equal(5, auto.Stats.Streamed);
        Assert.Contains("session too short to presign", report.For("big.bin").Reason);
        Assert.Equal(5, rig.Blobs.Blobs.Count);
        Assert.Equal(Bytes(5500), rig.Blobs.Blobs["big.bin"].Data);

        var other = Seed();
        other.Presigner.SessionsTooShort = true;
        var (service, failures) = await Run(other, CopyMode.Service);
        Assert.Equal(ExitCodes.SomeFailed, service.ExitCode);
        Assert.Equal(5, service.Stats.Failed);
        Assert.Contains("--duration", failures.For("big.bin").Reason);
        Assert.Empty(other.Blobs.Blobs);
    }

    [Fact]
    public async Task A_refused_url_is_presigned_again_once_and_the_copy_succeeds()
    {
        var rig = Seed();
        rig.Azure.Fail = (n, _) => n == 1 ? FakeResponse.CopySourceError(403, "AccessDenied", 403) : null;
        var (result, _) = await Run(rig, CopyMode.Service, options: Options() with { Concurrency = 1 });
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(1, result.Stats.Represigned);
        Assert.Equal(15, rig.Presigner.Presigned); // 14 + the fresh one
    }

    [Fact]
    public async Task A_url_refused_twice_stops_the_run_with_a_clear_auth_error()
    {
        var rig = Seed();
        rig.Azure.Fail = (_, _) => FakeResponse.CopySourceError(403, "SignatureDoesNotMatch", 403);
        var e = await Assert.ThrowsAsync<SkybridgeException>(() => Run(rig, CopyMode.Service));
        Assert.Equal(ErrorKind.Auth, e.Kind);
        Assert.Contains("S3 403 SignatureDoesNotMatch", e.Message);
        Assert.Contains("freshly presigned", e.Message);
        Assert.Contains("s3:GetObject", e.Fix);
    }

    [Fact]
    public async Task Source_changed_or_missing_fail_the_object_with_stream_modes_reasons()
    {
        var rig = Seed();
        rig.Azure.Fail = (_, url) => url.Url.AbsolutePath.EndsWith("/small.txt") ? FakeResponse.CopySourceError(412, "PreconditionFailed")
            : url.Url.AbsolutePath.EndsWith("/empty") ? FakeResponse.CopySourceError(404, "NoSuchKey", 404) : null;
        var (result, report) = await Run(rig, CopyMode.Auto);
        Assert.Equal(2, result.Stats.Failed);
        Assert.Contains("changed during the copy", report.For("small.txt").Reason);
        Assert.Contains("missing (S3 404 NoSuchKey", report.For("empty").Reason);
        Assert.Equal(3, result.Stats.ServiceSide);
    }

    [Fact]
    public async Task Auto_streams_everything_once_azure_shows_it_cannot_reach_the_source()
    {
        var rig = Seed();
        rig.Azure.Fail = (_, _) => FakeResponse.CopySourceError(null, destinationStatus: 404); // Azurite's answer to an external URL
        var (result, report) = await Run(rig, CopyMode.Auto, options: Options() with { Concurrency = 4 });
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(5, result.Stats.Streamed);
        // The first from-URL call is a probe the other workers wait for: only the first object's
        // blocks (6 of them) ever reached Azure, although 4 objects were copied at once (ungated: 10 or more calls).
        Assert.InRange(rig.Azure.Calls, 1, 6);
        Assert.All(report.Entries, e => Assert.Equal("stream", e.Mode));
        Assert.Contains("destination could not fetch from the S3 endpoint", report.For("empty").Reason);
    }

    [Fact]
    public async Task Service_mode_does_not_hide_that_azure_cannot_reach_the_source()
    {
        var rig = Seed();
        rig.Azure.Fail = (_, _) => FakeResponse.CopySourceError(null, destinationStatus: 404);
        var (result, report) = await Run(rig, CopyMode.Service);
        Assert.Equal(5, result.Stats.Failed);
        Assert.Contains("is the S3 endpoint reachable from Azure?", report.For("big.bin").Reason);
    }

    [Fact]
    public async Task Auto_streams_when_the_s3_endpoint_is_private_and_azure_is_not()
    {
        var rig = Seed() with { };
        var presigner = new FakePresigner(rig.Source, new Uri("http://10.0.0.5:9000/"));
        rig = rig with { Presigner = presigner, Azure = new FakeFromUrl(presigner, rig.Source, rig.Blobs) };
        var (result, report) = await Run(rig, CopyMode.Auto);
        Assert.Equal(5, result.Stats.Streamed);
        Assert.Equal(0, presigner.Presigned);
        Assert.Contains("local/private address Azure cannot reach", report.For("small.txt").Reason);
    }

    [Fact]
    public async Task Auto_streams_an_object_the_destination_fails_and_the_rest_after_three_failures_in_a_row()
    {
        var rig = Seed();
        rig.Azure.Fail = (_, _) => FakeResponse.Plain(500, "InternalError"); // e.g. Azurite given a SAS
        var (result, report) = await Run(rig, CopyMode.Auto, options: Options() with { Concurrency = 1 });
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(5, result.Stats.Streamed);
        Assert.InRange(rig.Azure.Calls, ServiceSideCopier.DestinationFailuresBeforeStreamingAll, 6);
        Assert.Contains("destination failed the from-URL call (500 InternalError): streamed", report.For("big.bin").Reason);
    }

    [Fact]
    public async Task One_transient_destination_failure_does_not_switch_the_run_to_streaming()
    {
        var rig = Seed();
        rig.Azure.Fail = (n, _) => n == 1 ? FakeResponse.Plain(503, "ServerBusy") : null;
        var (result, report) = await Run(rig, CopyMode.Auto, options: Options() with { Concurrency = 1 });
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(1, result.Stats.Streamed);    // the object that met the failure
        Assert.Equal(4, result.Stats.ServiceSide); // the rest still service-side
        Assert.Equal("stream", report.For("big.bin").Mode);
    }
}
