using System.Security.Cryptography;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Proofs;

/// <summary>
/// crc64 against the real servers: RGW -> Skybridge -> Azurite (https, keyless), a
/// <see cref="FaultProxy"/> on each side. RGW sends no checksum headers, so the S3 proxy carries a
/// <see cref="Crc64StandIn"/> that answers a checksum HEAD as AWS S3 does, with the CRC-64/NVME of
/// the bytes RGW holds. A multipart object of three parts (RGW ignores partNumber: composite-etag
/// cannot apply) goes in 8 MiB blocks, each carrying its MD5 (Azurite refuses CRC64 headers), and
/// the blocks' CRCs combined are compared with the source's before the commit; a 6 MiB multipart
/// object goes in one Put Blob, proved the same way; a single-PUT object stays md5-by-destination.
/// A byte flipped in a GET body, a Put Block body or a Put Blob body is refused and never committed.
/// </summary>
[Collection("sandbox")]
public sealed class Crc64Tests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    public enum Flip { None, GetBody, PutBlockBody, PutBlobBody }

    private static readonly int[] BlockParts = [5 * MiB, 5 * MiB, MiB + 7];  // 11 MiB: two 8 MiB-cut blocks
    private static readonly int[] PutBlobParts = [5 * MiB, MiB];            // 6 MiB: one Put Blob

    private static readonly Dictionary<string, byte[]> Objects = new()
    {
        ["mp.bin"] = RandomBytes(BlockParts.Sum(), 51),
        ["small-mp.bin"] = RandomBytes(PutBlobParts.Sum(), 52),
        ["plain.bin"] = RandomBytes(300_000, 53),
    };

    [Theory]
    [InlineData(Flip.None)]
    [InlineData(Flip.GetBody)]
    [InlineData(Flip.PutBlockBody)]
    [InlineData(Flip.PutBlobBody)]
    public async Task Objects_with_a_source_crc64_are_proved_by_it_and_a_flipped_byte_is_never_committed(Flip flip)
    {
        var prefix = NewPrefix("crc64");
        try { await RunAsync(prefix, flip); }
        finally { await _kit.CleanupAsync(prefix); }
    }

    private async Task RunAsync(string prefix, Flip flip)
    {
        var env = await _kit.IsolatedEnvAsync();
        await sandbox.PutMultipartAsync(prefix + "mp.bin", Objects["mp.bin"], BlockParts);
        await sandbox.PutMultipartAsync(prefix + "small-mp.bin", Objects["small-mp.bin"], PutBlobParts);
        await _kit.PutAsync(prefix, new Dictionary<string, byte[]> { ["plain.bin"] = Objects["plain.bin"] });
        await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3);
        var crcs = new Crc64StandIn(s3);
        foreach (var name in Objects.Keys) await crcs.AddAsync(sandbox.AdminS3(), sandbox.Bucket, prefix + name);
        await using var blob = new FaultProxy(new Uri(sandbox.BlobEndpoint), ProxyFlavor.Blob, certificate: FaultProxy.SandboxCertificate(sandbox.RepoRoot));

        int flipped = 0, blocksWithoutMd5 = 0;
        if (flip == Flip.GetBody)
            s3.OnResponse = (r, status, body) => r.Method == "GET" && status is 200 or 206 && r.Path.Contains(prefix.TrimEnd('/'), StringComparison.Ordinal) && body.Length > 0
                ? FlipExtensions.Flipped(body).Also(() => Interlocked.Increment(ref flipped))
                : body;
        blob.OnRequest = (r, _) =>
        {
            // The first block of mp.bin only; Put Blob: a PUT of a blob (no comp=, no restype=) with a body.
            var putBlock = r.Operation == "PUT comp=block";
            var putBlob = r.Method == "PUT" && !r.Query.Contains("comp=", StringComparison.Ordinal) && !r.Query.Contains("restype=", StringComparison.Ordinal) && r.Body.Length > 0;
            if ((flip == Flip.PutBlockBody && putBlock && Interlocked.Increment(ref flipped) == 1) || (flip == Flip.PutBlobBody && putBlob && Interlocked.Increment(ref flipped) > 0))
                r.Body[r.Body.Length / 2] ^= 0x01;
            if (putBlock && string.IsNullOrEmpty(r.Header("Content-MD5"))) Interlocked.Increment(ref blocksWithoutMd5);
            return Task.CompletedTask;
        };

        var report = TempPath(".jsonl");
        var copy = await sandbox.RunCliAsync(["copy", _kit.Src(prefix), _kit.Dst(prefix, blob.Url), "--s3-endpoint", s3.Url.ToString(), "--sts-endpoint", sandbox.StsEndpoint,
            "--mode", "stream", "--output", "json", "--report", report, "--progress", "none"], env);
        var summary = Json(copy);
        var rows = ReadReport(report).ToDictionary(e => Str(e, "source_key")[prefix.Length..]);
        var stored = await _kit.SnapshotAsync(prefix);
        // The two multipart objects were looked up once each (HEAD with checksum mode); the single-PUT one never.
        Assert.Equal(2, crcs.Answered);
        Assert.Equal(0, blocksWithoutMd5); // every block checked on arrival by its MD5, though the copy runs over https

        string[] byCrc = ["mp.bin", "small-mp.bin"];
        switch (flip)
        {
            case Flip.None:
                Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
                Assert.Equal(2, summary.GetProperty("proofs").GetProperty("crc64").GetInt32());
                Assert.Equal(1, summary.GetProperty("proofs").GetProperty("md5-by-destination").GetInt32());
                foreach (var name in byCrc) Assert.Contains("verified by crc64", Str(rows[name], "reason"));
                Assert.Contains("verified by md5-by-destination", Str(rows["plain.bin"], "reason"));
                Assert.Equal(2, blob.Stats.RequestsByOperation.GetValueOrDefault("PUT comp=block")); // mp.bin: the 8 MiB cut, not its parts
                Assert.Null(stored["mp.bin"].ContentMd5);   // in blocks: no whole-object MD5 computed...
                Assert.Equal("crc64", stored["mp.bin"].Metadata["skybridge_proof"]); // ...the blob says what proved it
                Assert.Equal(Convert.ToHexStringLower(MD5.HashData(Objects["small-mp.bin"])), stored["small-mp.bin"].ContentMd5); // one Put Blob: hashed anyway
                foreach (var (name, data) in Objects) // read back (mp.bin has no Content-MD5 for AssertEqualAsync to compare)
                {
                    var content = (await _kit.Inspector().GetBlobClient(prefix + name).DownloadContentAsync()).Value.Content.ToArray();
                    Assert.True(MD5.HashData(data).AsSpan().SequenceEqual(MD5.HashData(content)), $"{name}: bytes read back differ from the source");
                }
                Assert.Empty(await _kit.UncommittedOnlyAsync(prefix));
                var verify = await sandbox.RunCliAsync(["verify", _kit.Src(prefix), _kit.Dst(prefix), "--sts-endpoint", sandbox.StsEndpoint, "--output", "json", "--progress", "none"], env);
                Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
                return;

            case Flip.GetBody:
                Assert.True(flipped >= 3, $"{flipped} bodies flipped");
                Assert.True(copy.ExitCode == 1, $"exit {copy.ExitCode}\n{copy.Stdout}\n{copy.Stderr}");
                Assert.Equal(3, summary.GetProperty("failed").GetInt64());
                foreach (var name in byCrc) Assert.Contains("CRC64 check failed", Str(rows[name], "reason"));
                Assert.Contains("Md5Mismatch", Str(rows["plain.bin"], "reason"));
                Assert.Empty(stored);
                Assert.Equal(0, blob.Stats.RequestsByOperation.GetValueOrDefault("PUT comp=blocklist")); // mp.bin's staged blocks never committed
                return;

            case Flip.PutBlockBody:
                Assert.True(copy.ExitCode == 1, $"exit {copy.ExitCode}\n{copy.Stdout}\n{copy.Stderr}");
                Assert.Equal(1, summary.GetProperty("failed").GetInt64());
                Assert.Equal("failed", Str(rows["mp.bin"], "outcome"));
                Assert.Contains("Md5Mismatch", Str(rows["mp.bin"], "reason"));
                Assert.False(stored.ContainsKey("mp.bin"));
                Assert.Equal(0, blob.Stats.RequestsByOperation.GetValueOrDefault("PUT comp=blocklist"));
                Assert.Equal(["plain.bin", "small-mp.bin"], stored.Keys.Order());
                return;

            case Flip.PutBlobBody:
                Assert.True(flipped >= 2, $"{flipped} bodies flipped");
                Assert.True(copy.ExitCode == 1, $"exit {copy.ExitCode}\n{copy.Stdout}\n{copy.Stderr}");
                Assert.Equal(2, summary.GetProperty("failed").GetInt64());
                Assert.Contains("Md5Mismatch", Str(rows["small-mp.bin"], "reason")); // the crc64 object's Put Blob carried its MD5
                Assert.Contains("Md5Mismatch", Str(rows["plain.bin"], "reason"));
                Assert.Equal(["mp.bin"], stored.Keys);
                Assert.Contains("verified by crc64", Str(rows["mp.bin"], "reason"));
                return;
        }
    }
}
