using System.Security.Cryptography;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using Skybridge.LocalCloud.CopyFromUrlShim;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Proofs;

/// <summary>
/// Service-side copies (--mode service) through a private copy-from-URL shim (this worktree's,
/// which reports the CRC64 of what it fetched as Azure's Put Block From URL answer does) in front
/// of Azurite. The shim fetches the presigned URLs through a <see cref="FaultProxy"/> in front of
/// RGW carrying a <see cref="Crc64StandIn"/>, so what it fetched can be changed on the way. A
/// single-PUT object in one block is service-md5 (the shim checks x-ms-source-content-md5); one in
/// blocks and multipart ones are crc64 (the blocks' CRC64s combined, compared before the commit:
/// service-unverified before). A byte flipped in what the shim fetched is refused, for every proof
/// kind, and nothing is committed.
/// </summary>
[Collection("sandbox")]
public sealed class ServiceSideFlipTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    private static readonly Dictionary<string, byte[]> Singles = new()
    {
        ["plain.bin"] = RandomBytes(300_000, 61),        // one block: Put Blob From URL, service-md5
        ["big.bin"] = RandomBytes(12 * MiB + 5, 62),     // two blocks: crc64
    };
    private static readonly Dictionary<string, (byte[] Data, int[] Parts)> Multiparts = new()
    {
        ["mp.bin"] = (RandomBytes(11 * MiB + 7, 63), [5 * MiB, 5 * MiB, MiB + 7]), // two blocks: crc64
        ["small-mp.bin"] = (RandomBytes(6 * MiB, 64), [5 * MiB, MiB]),             // one Put Block From URL: crc64
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Service_side_copies_are_proved_by_service_md5_or_crc64_and_a_byte_flipped_in_what_the_shim_fetched_is_never_committed(bool flip)
    {
        var prefix = NewPrefix("svcflip");
        try { await RunAsync(prefix, flip); }
        finally { await _kit.CleanupAsync(prefix); }
    }

    private async Task RunAsync(string prefix, bool flip)
    {
        var env = await _kit.IsolatedEnvAsync();
        await _kit.PutAsync(prefix, Singles);
        foreach (var (name, (data, parts)) in Multiparts) await sandbox.PutMultipartAsync(prefix + name, data, parts);
        await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3);
        var crcs = new Crc64StandIn(s3);
        foreach (var name in Singles.Keys.Concat(Multiparts.Keys)) await crcs.AddAsync(sandbox.AdminS3(), sandbox.Bucket, prefix + name);
        int flipped = 0;
        if (flip)
            s3.OnResponse = FlipExtensions.GetBodiesFlipped(prefix, () => Interlocked.Increment(ref flipped));

        var ca = Path.Combine(sandbox.RepoRoot, ".sandbox", "ca");
        var log = TempPath(".log");
        var port = FreePort();
        await using var shim = ShimHost.Build(new ShimOptions
        {
            Port = port, Upstream = new Uri(sandbox.BlobEndpoint), LogPath = log,
            CertPem = Path.Combine(ca, "server.pem"), KeyPem = Path.Combine(ca, "server.key"),
        });
        await shim.StartAsync();
        var shimUrl = new Uri($"https://127.0.0.1:{port}");

        var report = TempPath(".jsonl");
        var copy = await sandbox.RunCliAsync(["copy", _kit.Src(prefix), _kit.Dst(prefix, shimUrl), "--s3-endpoint", s3.Url.ToString(), "--sts-endpoint", sandbox.StsEndpoint,
            "--mode", "service", "--output", "json", "--report", report, "--progress", "none"], env);
        var summary = Json(copy);
        var rows = ReadReport(report).ToDictionary(e => Str(e, "source_key")[prefix.Length..]);
        var stored = await _kit.SnapshotAsync(prefix);
        await shim.StopAsync();
        // Every byte went through the shim: 1 Put Blob From URL + 5 Put Block From URL (big.bin 2, mp.bin 2, small-mp.bin 1).
        Assert.True(File.ReadAllLines(log).Length >= 6, File.ReadAllText(log));
        string[] byCrc = ["big.bin", "mp.bin", "small-mp.bin"];

        if (!flip)
        {
            Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
            Assert.All(rows.Values, row => Assert.Equal("service", Str(row, "mode"))); // none through this host
            Assert.Equal(0, s3.Stats.RequestsByOperation.GetValueOrDefault("GET") - File.ReadAllLines(log).Length); // every GET was the shim's
            Assert.Equal(3, summary.GetProperty("proofs").GetProperty("crc64").GetInt32());
            Assert.Equal(1, summary.GetProperty("proofs").GetProperty("service-md5").GetInt32());
            foreach (var name in byCrc) Assert.Contains("verified by crc64 (Azure computed each block's CRC64", Str(rows[name], "reason"));
            var all = Singles.Concat(Multiparts.Select(m => KeyValuePair.Create(m.Key, m.Value.Data)));
            foreach (var (name, data) in all)
            {
                var content = (await _kit.Inspector().GetBlobClient(prefix + name).DownloadContentAsync()).Value.Content.ToArray();
                Assert.True(MD5.HashData(data).AsSpan().SequenceEqual(MD5.HashData(content)), $"{name}: bytes read back differ from the source");
            }
            return;
        }

        Assert.True(flipped >= 6, $"{flipped} bodies flipped");
        Assert.True(copy.ExitCode == 1, $"exit {copy.ExitCode}\n{copy.Stdout}\n{copy.Stderr}");
        Assert.Equal(4, summary.GetProperty("failed").GetInt64());
        Assert.Contains("Md5Mismatch", Str(rows["plain.bin"], "reason"));
        foreach (var name in byCrc) Assert.Contains("CRC64 check failed", Str(rows[name], "reason"));
        Assert.Empty(stored); // nothing committed
    }
}
