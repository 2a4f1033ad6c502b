using System.Collections.Concurrent;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Proofs;

/// <summary>
/// The proofs hashed on this host (md5: a single-PUT object in blocks; multipart-etag: RGW ignores
/// partNumber, so the ETag is rebuilt from the whole object) compare the bytes read with the source
/// before they leave; a Put Block body changed after that is the destination's to refuse. RGW ->
/// Skybridge -> a <see cref="FaultProxy"/> (https) -> the benchmark's blackhole sink, which checks
/// x-ms-content-crc64 as Azure does (Azurite refuses the header): with --dest-crc64 on (auto on
/// Azure's endpoints) every block carries its CRC64, and a flipped block is refused, never committed.
/// </summary>
[Collection("sandbox")]
public sealed class HostHashedBlockChecksTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Blocks_hashed_here_carry_their_crc64_and_one_flipped_on_the_way_is_refused_and_never_committed(bool flip)
    {
        var prefix = NewPrefix("hhblk");
        try { await RunAsync(prefix, flip); }
        finally { await _kit.CleanupAsync(prefix); }
    }

    private async Task RunAsync(string prefix, bool flip)
    {
        var env = await _kit.IsolatedEnvAsync();
        var single = RandomBytes(9 * MiB + 5, 61); // three 4 MiB blocks: above --put-blob-max 0, so proved by md5 here
        var multi = RandomBytes(16 * MiB + 9, 62);
        await _kit.PutAsync(prefix, new Dictionary<string, byte[]> { ["single.bin"] = single });
        await sandbox.PutMultipartAsync(prefix + "multi.bin", multi, [8 * MiB, 8 * MiB, 9]); // 8 MiB: one of the usual layouts
        using var sink = await BlackholeSink.StartAsync(sandbox);
        var container = "hh" + Guid.NewGuid().ToString("N")[..12];
        await sink.CreateContainerAsync(container);
        // https in front of the sink: --upload-checksum auto then sends no MD5 (TLS protects the hop), as to Azure.
        await using var blob = new FaultProxy(sink.Url, ProxyFlavor.Blob, certificate: FaultProxy.SandboxCertificate(sandbox.RepoRoot));
        var flippedBlobs = new ConcurrentDictionary<string, bool>();
        var blockHeaders = new ConcurrentBag<(string? Crc64, string? Md5)>();
        blob.OnRequest = (r, _) =>
        {
            if (r.Operation == "PUT comp=block")
            {
                // The SDK sends a block's CRC64 as x-ms-content-crc64 or in a structured message (x-ms-structured-body).
                blockHeaders.Add((r.Header("x-ms-content-crc64") ?? r.Header("x-ms-structured-body"), r.Header("Content-MD5")));
                // One byte of each blob's first block to arrive, after this host hashed it.
                if (flip && r.Body.Length > 0 && flippedBlobs.TryAdd(r.Path, true)) r.Body[r.Body.Length / 2] ^= 0x01;
            }
            return Task.CompletedTask;
        };

        var report = TempPath(".jsonl");
        var copy = await sandbox.RunCliAsync(["copy", _kit.Src(prefix), $"{blob.Url}devstoreaccount1/{container}/", "--dest-sas", "sv=2025-01-05&sig=blackhole-ignores-it",
            "--sts-endpoint", sandbox.StsEndpoint, "--dest-crc64", "on", "--put-blob-max", "0", "--block-size", "4MiB",
            "--mode", "stream", "--output", "json", "--report", report, "--progress", "none"], env);
        var rows = ReadReport(report).ToDictionary(e => Str(e, "source_key")[prefix.Length..]);
        var stats = await sink.StatsAsync(container);

        // Every block carried its CRC64, no MD5.
        Assert.True(blockHeaders.Count > 0 && blockHeaders.All(h => !string.IsNullOrEmpty(h.Crc64) && string.IsNullOrEmpty(h.Md5)),
            string.Join("; ", blockHeaders.Select(h => $"crc64={h.Crc64} md5={h.Md5}")) + "\n" + copy.Stdout + copy.Stderr);
        if (!flip)
        {
            Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
            Assert.Contains("verified by md5", Str(rows["single.bin"], "reason"));
            Assert.Contains("verified by multipart-etag", Str(rows["multi.bin"], "reason"));
            Assert.Equal(2, stats.GetProperty("blobs").GetInt64());
            Assert.Equal(single.Length + multi.Length, stats.GetProperty("committedBytes").GetInt64());
            Assert.True(stats.GetProperty("crc64VerifiedBytes").GetInt64() >= single.Length + multi.Length, stats.ToString());
            Assert.Equal(0, stats.GetProperty("crc64Mismatches").GetInt64());
            return;
        }
        Assert.Equal(2, flippedBlobs.Count);
        Assert.True(copy.ExitCode == 1, $"exit {copy.ExitCode}\n{copy.Stdout}\n{copy.Stderr}");
        Assert.Equal(2, Json(copy).GetProperty("failed").GetInt64());
        foreach (var row in rows.Values)
        {
            Assert.Equal("failed", Str(row, "outcome"));
            Assert.Contains("Crc64Mismatch", Str(row, "reason"));
        }
        Assert.True(stats.GetProperty("crc64Mismatches").GetInt64() >= 2, stats.ToString());
        Assert.Equal(0, stats.GetProperty("blobs").GetInt64()); // no block list was committed
        Assert.Equal(0, blob.Stats.RequestsByOperation.GetValueOrDefault("PUT comp=blocklist"));
    }
}
