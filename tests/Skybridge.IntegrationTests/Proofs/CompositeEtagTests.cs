using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using Xunit.Abstractions;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Proofs;

/// <summary>
/// composite-etag against the real servers: a multipart object in RGW -> Skybridge -> Azurite
/// (https, keyless), a <see cref="FaultProxy"/> on each side. RGW here ignores partNumber, so the
/// S3 proxy carries a <see cref="PartSizeStandIn"/> that answers HEAD ?partNumber=N as S3 does.
/// The copy goes in one Put Block per part, each with its MD5 as transactional Content-MD5
/// (Azurite checks it), the multipart ETag rebuilt from those MD5s is compared before the commit,
/// and a byte flipped in a GET body or in a Put Block body is refused and never committed.
/// </summary>
[Collection("sandbox")]
public sealed class CompositeEtagTests(SandboxFixture sandbox, ITestOutputHelper output)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    public enum Flip { None, GetBody, PutBlockBody }

    private static readonly int[] Parts = [5 * MiB, 5 * MiB, MiB + 7];

    [Theory]
    [InlineData(Flip.None)]
    [InlineData(Flip.GetBody)]
    [InlineData(Flip.PutBlockBody)]
    public async Task A_multipart_object_is_copied_part_per_block_and_proved_by_its_rebuilt_etag_and_a_flipped_byte_is_never_committed(Flip flip)
    {
        var prefix = NewPrefix("compo");
        try { await RunAsync(prefix, flip); }
        finally { await _kit.CleanupAsync(prefix); }
    }

    private async Task RunAsync(string prefix, Flip flip)
    {
        var env = await _kit.IsolatedEnvAsync();
        var data = RandomBytes(Parts.Sum(), 43);
        await sandbox.PutMultipartAsync(prefix + "mp.bin", data, Parts);
        await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3);
        var parts = new PartSizeStandIn(s3);
        parts.Add(sandbox.Bucket, prefix + "mp.bin", Parts);
        await using var blob = new FaultProxy(new Uri(sandbox.BlobEndpoint), ProxyFlavor.Blob, certificate: FaultProxy.SandboxCertificate(sandbox.RepoRoot));
        int flipped = 0;
        var blockMd5s = new ConcurrentBag<string?>();
        if (flip == Flip.GetBody)
            s3.OnResponse = FlipExtensions.GetBodiesFlipped(prefix, () => Interlocked.Increment(ref flipped));
        blob.OnRequest = (r, _) =>
        {
            if (r.Operation == "PUT comp=block")
            {
                blockMd5s.Add(r.Header("Content-MD5"));
                // Flip a byte in the second block only: the others arrive intact.
                if (flip == Flip.PutBlockBody && r.Body.Length == 5 * MiB && Interlocked.Increment(ref flipped) == 1) r.Body[r.Body.Length / 2] ^= 0x01;
            }
            return Task.CompletedTask;
        };

        var report = TempPath(".jsonl");
        var copy = await sandbox.RunCliAsync(["copy", _kit.Src(prefix), _kit.Dst(prefix, blob.Url), "--s3-endpoint", s3.Url.ToString(), "--sts-endpoint", sandbox.StsEndpoint,
            "--mode", "stream", "--output", "json", "--report", report, "--progress", "none"], env);
        var summary = Json(copy);
        var row = ReadReport(report).Single(e => Str(e, "source_key") == prefix + "mp.bin");
        var stored = await _kit.SnapshotAsync(prefix);
        Assert.True(parts.Answered >= Parts.Length, $"{parts.Answered} part HEADs answered");
        // One Put Block per part, never the 8 MiB cut, each carrying an MD5 (the copy runs over https: --upload-checksum auto sends none otherwise).
        Assert.All(blockMd5s, md5 => Assert.False(string.IsNullOrEmpty(md5)));

        if (flip == Flip.None)
        {
            Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
            Assert.Equal(Parts.Length, blob.Stats.RequestsByOperation.GetValueOrDefault("PUT comp=block"));
            Assert.Equal(1, summary.GetProperty("proofs").GetProperty("composite-etag").GetInt32());
            Assert.StartsWith("copied", Str(row, "outcome"));
            Assert.Contains("verified by composite-etag", Str(row, "reason"));
            var state = stored["mp.bin"];
            Assert.Null(state.ContentMd5); // no whole-object MD5 was computed...
            Assert.Equal("composite-etag", state.Metadata["skybridge_proof"]); // ...the blob says what proved it
            Assert.Equal(data.Length, state.Size);
            var content = (await _kit.Inspector().GetBlobClient(prefix + "mp.bin").DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(MD5.HashData(data), MD5.HashData(content));
            // verify (no data read) trusts the recorded, proved ETag.
            var verify = await sandbox.RunCliAsync(["verify", _kit.Src(prefix), _kit.Dst(prefix), "--sts-endpoint", sandbox.StsEndpoint, "--output", "json", "--progress", "none"], env);
            Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
            return;
        }

        Assert.True(flipped >= 1, $"{flipped} bodies flipped");
        Assert.True(copy.ExitCode == 1, $"exit {copy.ExitCode}\n{copy.Stdout}\n{copy.Stderr}");
        Assert.Equal(1, summary.GetProperty("failed").GetInt64());
        Assert.Equal("failed", Str(row, "outcome"));
        Assert.Contains(flip == Flip.GetBody ? "multipart ETag check failed" : "Md5Mismatch", Str(row, "reason"));
        Assert.Empty(stored); // the block list was never committed
        Assert.Equal(0, blob.Stats.RequestsByOperation.GetValueOrDefault("PUT comp=blocklist"));
    }

    /// <summary>
    /// The CPU this host spends on a multipart copy, the same object both ways: behind the part-size
    /// stand-in (composite-etag: each part hashed once by its worker) and straight from RGW, which
    /// ignores partNumber (the inferred layout: the whole object hashed in order, plus the rebuilt
    /// ETag, as every multipart copy did before; the CLI's start, STS and listing are in both).
    /// Asserts each proof; records the figures
    /// (.artifacts/reliability/composite-etag-cpu-{MiB}mib.json) for the README.
    /// </summary>
    [Fact]
    public async Task A_multipart_copy_by_composite_etag_hashes_no_whole_object_measured_against_the_inferred_layout()
    {
        var prefix = NewPrefix("compocpu");
        try
        {
            var env = await _kit.IsolatedEnvAsync();
            // 128 MiB by default, the AWS CLI's 8 MiB parts; SKYBRIDGE_COMPOSITE_MEASURE_MIB for another size
            // (two sizes give the CPU per GB without the CLI's fixed start-up cost).
            var mib = int.TryParse(Environment.GetEnvironmentVariable("SKYBRIDGE_COMPOSITE_MEASURE_MIB"), out var m) && m >= 8 ? m : 128;
            int[] layout = [.. Enumerable.Repeat(8 * MiB, mib / 8)];
            var data = RandomBytes(layout.Sum(), 44);
            await sandbox.PutMultipartAsync(prefix + "mp.bin", data, layout);
            await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3);
            new PartSizeStandIn(s3).Add(sandbox.Bucket, prefix + "mp.bin", layout);
            var figures = new Dictionary<string, object>();
            foreach (var (name, endpoint, proof) in new[] { ("composite-etag", s3.Url.ToString(), "composite-etag"), ("inferred", sandbox.S3Endpoint, "multipart-etag") })
            {
                var target = _kit.Dst(prefix + name + "/");
                // bash's time (TIMEFORMAT: user and system CPU seconds of the CLI process and its children).
                var (rc, stdout, stderr) = await sandbox.RunProcessAsync("bash", ["-c", "TIMEFORMAT='cpu %U %S'; time \"$@\"", "bash", CliCommand.Current.Program, .. CliCommand.Current.Arguments([
                    "copy", _kit.Src(prefix), target, "--s3-endpoint", endpoint, "--sts-endpoint", sandbox.StsEndpoint, "--mode", "stream", "--output", "json", "--progress", "none"])], env,
                    TimeSpan.FromMinutes(4));
                Assert.True(rc == 0, stdout + stderr);
                Assert.Equal(1, Json(new CliResult(rc, stdout, stderr)).GetProperty("proofs").GetProperty(proof).GetInt32());
                var line = stderr.Split('\n').Last(l => l.StartsWith("cpu ", StringComparison.Ordinal)).Split(' ');
                var cpu = double.Parse(line[1], CultureInfo.InvariantCulture) + double.Parse(line[2], CultureInfo.InvariantCulture);
                figures[name] = new { cpu_s = cpu, cpu_s_per_gb = cpu / (data.Length / 1e9) };
                output.WriteLine($"{name}: {cpu:F2} CPU s, {cpu / (data.Length / 1e9):F2} CPU-s/GB");
            }
            figures["object"] = new { bytes = data.Length, parts = layout.Length, uptime = File.ReadAllText("/proc/loadavg").Trim() };
            _kit.Figures($"composite-etag-cpu-{mib}mib", figures);
        }
        finally { await _kit.CleanupAsync(prefix); }
    }
}
