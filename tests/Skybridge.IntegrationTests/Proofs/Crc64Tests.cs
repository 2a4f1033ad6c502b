using System.Diagnostics;
using System.Globalization;
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
public sealed class Crc64Tests(SandboxFixture sandbox, Xunit.Abstractions.ITestOutputHelper output)
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
            s3.OnResponse = FlipExtensions.GetBodiesFlipped(prefix, () => Interlocked.Increment(ref flipped));
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

    /// <summary>
    /// The CPU this host spends on one multipart copy to the benchmark's blackhole sink (verification
    /// on: it checks every x-ms-content-crc64 / Content-MD5 as Azure does), the same object both ways:
    /// behind the CRC64 stand-in with --dest-crc64 on (crc64: each 8 MiB block CRC'd once, in
    /// parallel, and sent as its x-ms-content-crc64) and straight from RGW (multipart-etag: the whole
    /// object MD5-hashed in order, as every such copy cost before; --upload-checksum none, as the
    /// benchmark runs). /usr/bin/time -v of the CLI process; the figures (and the load) go to
    /// .artifacts/reliability/crc64-cpu-{MiB}mib.json. 128 MiB by default, SKYBRIDGE_CRC64_MEASURE_MIB for another size.
    /// </summary>
    [Fact]
    public async Task A_multipart_copy_by_crc64_hashes_no_whole_object_measured_against_the_whole_object_md5()
    {
        var prefix = NewPrefix("crc64cpu");
        var mib = int.TryParse(Environment.GetEnvironmentVariable("SKYBRIDGE_CRC64_MEASURE_MIB"), out var m) && m >= 16 ? m : 128;
        int[] layout = [.. Enumerable.Repeat(8 * MiB, mib / 8)];
        using var sink = await BlackholeSink.StartAsync(sandbox);
        try
        {
            var env = await _kit.IsolatedEnvAsync();
            var data = RandomBytes(layout.Sum(), 54);
            await sandbox.PutMultipartAsync(prefix + "mp.bin", data, layout);
            await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3);
            var crcs = new Crc64StandIn(s3);
            await crcs.AddAsync(sandbox.AdminS3(), sandbox.Bucket, prefix + "mp.bin");
            var figures = new Dictionary<string, object> { ["uptime_before"] = File.ReadAllText("/proc/loadavg").Trim() };
            foreach (var (name, endpoint, proof, extra) in new[]
            {
                ("crc64", s3.Url.ToString(), "crc64", new[] { "--dest-crc64", "on" }),
                ("whole-object-md5", sandbox.S3Endpoint, "multipart-etag", new[] { "--upload-checksum", "none" }),
            })
            {
                await sink.CreateContainerAsync(name);
                var (rc, stdout, stderr) = await sandbox.RunProcessAsync("/usr/bin/time", ["-v", CliCommand.Current.Program, .. CliCommand.Current.Arguments([
                    "copy", _kit.Src(prefix), $"{sink.Url}devstoreaccount1/{name}/", "--dest-sas", "sv=2025-01-05&sig=blackhole-ignores-it",
                    "--s3-endpoint", endpoint, "--sts-endpoint", sandbox.StsEndpoint, "--mode", "stream", "--output", "json", "--progress", "none", .. extra])], env,
                    TimeSpan.FromMinutes(6));
                Assert.True(rc == 0, stdout + stderr);
                Assert.Equal(1, Json(new CliResult(rc, stdout, stderr)).GetProperty("proofs").GetProperty(proof).GetInt32());
                double Field(string label) => double.Parse(stderr.Split('\n').Single(l => l.Trim().StartsWith(label, StringComparison.Ordinal)).Split(':').Last().Trim(), CultureInfo.InvariantCulture);
                var cpu = Field("User time (seconds)") + Field("System time (seconds)");
                figures[name] = new { cpu_s = cpu, cpu_s_per_gb = cpu / (data.Length / 1e9), max_rss_mb = Field("Maximum resident set size (kbytes)") / 1024 };
                output.WriteLine($"{name}: {cpu:F2} CPU s, {cpu / (data.Length / 1e9):F2} CPU-s/GB");
            }
            Assert.Equal(1, crcs.Answered); // only the crc64 run asked
            // The sink checked CRC64s (the crc64 run's blocks) and refused none.
            var stats = await sink.StatsAsync();
            Assert.True(stats.GetProperty("crc64VerifiedBytes").GetInt64() >= data.Length, stats.ToString());
            Assert.Equal(0, stats.GetProperty("crc64Mismatches").GetInt64());
            figures["object"] = new { bytes = data.Length, parts = layout.Length, uptime_after = File.ReadAllText("/proc/loadavg").Trim() };
            _kit.Figures($"crc64-cpu-{mib}mib", figures);
        }
        finally { await _kit.CleanupAsync(prefix); }
    }
}
