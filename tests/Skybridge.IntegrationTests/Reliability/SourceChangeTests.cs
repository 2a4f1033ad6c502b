using System.Security.Cryptography;
using Amazon.S3.Model;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Reliability;

/// <summary>
/// Issue 8, part 4: source objects overwritten while Skybridge is reading them. The proxy in front
/// of RGW overwrites an object (with the admin key) at an exact moment: before its first GET (a
/// small object), or before the GET of its third block (a multi-block one). The copy must notice
/// (ranged GETs are pinned to the listed ETag), report the object as changed, never commit a blob
/// mixing two versions, leave an older blob intact, and the next run must copy the new version.
/// </summary>
[Collection("sandbox")]
public sealed class SourceChangeTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    [Fact]
    public async Task An_object_overwritten_mid_transfer_is_detected_reported_never_mixed_and_copied_by_the_next_run()
    {
        var prefix = NewPrefix("srcchange");
        try { await RunAsync(prefix); }
        finally { await _kit.CleanupAsync(prefix); }
    }

    private async Task RunAsync(string prefix)
    {
        var env = await _kit.IsolatedEnvAsync();
        var v0 = new Dictionary<string, byte[]>
        {
            ["big.bin"] = RandomBytes(4 * MiB + 1000, 1),        // 5 blocks of 1 MiB
            ["small.txt"] = "version 0 of small"u8.ToArray(),
            ["stable/a.bin"] = RandomBytes(10_000, 2),
            ["stable/b.bin"] = RandomBytes(2 * MiB + 7, 3),
        };
        await _kit.PutAsync(prefix, v0);
        var first = await sandbox.RunCliAsync(["copy", _kit.Src(prefix), _kit.Dst(prefix), "--block-size", "1MiB", "--progress", "none"], env);
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        var atV0 = await _kit.SnapshotAsync(prefix);

        // v1 of two objects and a new one; each will be overwritten again (v2) while run 2 reads it.
        var v1 = new Dictionary<string, byte[]>
        {
            ["big.bin"] = RandomBytes(4 * MiB + 1000, 11),
            ["small.txt"] = "version 1 of small"u8.ToArray(),
            ["new-big.bin"] = RandomBytes(3 * MiB + 5, 12),
        };
        await _kit.PutAsync(prefix, v1);
        var v2 = new Dictionary<string, byte[]>
        {
            ["big.bin"] = RandomBytes(4 * MiB + 1000, 21),      // same size: only the ETag tells
            ["small.txt"] = "version 2 of small"u8.ToArray(),
            ["new-big.bin"] = RandomBytes(3 * MiB + 5, 22),
        };

        var s3 = _kit.Sandbox.AdminS3();
        var overwritten = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        await using var proxy = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3);
        proxy.OnRequest = async (request, _) =>
        {
            if (request.Method != "GET" || request.Query.Length > 0) return;
            var key = Uri.UnescapeDataString(request.Path).Split('/', 3)[2][prefix.Length..];
            if (!v2.TryGetValue(key, out var data)) return;
            var range = request.Header("Range") ?? "";
            // big objects: at the third block (two blocks already read and staged); small: at once.
            var moment = data.Length > MiB ? range.StartsWith($"bytes={2 * MiB}-", StringComparison.Ordinal) : true;
            if (!moment || !overwritten.TryAdd(key, range)) return;
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + key, InputStream = new MemoryStream(data), UseChunkEncoding = false });
        };

        var report = TempPath(".jsonl");
        var second = await sandbox.RunCliAsync(["copy", _kit.Src(prefix), _kit.Dst(prefix), "--s3-endpoint", proxy.Url.ToString(), "--sts-endpoint", sandbox.StsEndpoint,
            "--block-size", "1MiB", "--block-concurrency", "1", "--output", "json", "--report", report, "--progress", "none"], env);
        Assert.Equal(3, overwritten.Count); // the three overwrites really happened mid-run
        Assert.Equal(1, second.ExitCode);
        var summary = Json(second);
        Assert.Equal(3, summary.GetProperty("failed").GetInt64());
        var rows = ReadReport(report).ToDictionary(e => Str(e, "source_key")[prefix.Length..]);
        foreach (var key in v2.Keys)
        {
            Assert.Equal("failed", Str(rows[key], "outcome"));
            Assert.Contains("changed during the copy", Str(rows[key], "reason"));
        }
        Assert.Contains("changed during the copy", summary.GetProperty("errors").ToString()); // in the summary too

        // Never mixed: the blobs copied at v0 are untouched (same ETag, bytes = v0); the new object has no blob.
        var afterChange = await _kit.SnapshotAsync(prefix);
        Assert.Equal(atV0["big.bin"].ETag, afterChange["big.bin"].ETag);
        Assert.Equal(atV0["small.txt"].ETag, afterChange["small.txt"].ETag);
        Assert.False(afterChange.ContainsKey("new-big.bin"));
        var big = (await _kit.Inspector().GetBlobClient(prefix + "big.bin").DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(MD5.HashData(v0["big.bin"]), MD5.HashData(big));

        // verify says the destination is behind the source (not "equal").
        var verify = await sandbox.RunCliAsync(["verify", _kit.Src(prefix), _kit.Dst(prefix), "--output", "json", "--progress", "none"], env);
        Assert.Equal(1, verify.ExitCode);
        Assert.Equal(1, Json(verify).GetProperty("missing").GetInt64());
        Assert.Equal(2, Json(verify).GetProperty("mismatched").GetInt64());

        // The next run copies the current versions, and only them.
        var third = await sandbox.RunCliAsync(["copy", _kit.Src(prefix), _kit.Dst(prefix), "--block-size", "1MiB", "--output", "json", "--progress", "none"], env);
        Assert.True(third.ExitCode == 0, third.Stdout + third.Stderr);
        Assert.Equal(3, Json(third).GetProperty("copied").GetInt64());
        var current = new Dictionary<string, byte[]>(v0);
        foreach (var (k, v) in v2) current[k] = v;
        await _kit.AssertEqualAsync(prefix, current);

        _kit.Figures("source-change", new
        {
            overwrites_injected = overwritten.Count,
            overwritten_at = overwritten.ToDictionary(k => k.Key, k => k.Value.Length == 0 ? "first GET" : k.Value),
            run2_exit_code = second.ExitCode,
            run2_failed = summary.GetProperty("failed").GetInt64(),
            run2_reason = Str(rows["big.bin"], "reason"),
            verify_after_change = new { missing = Json(verify).GetProperty("missing").GetInt64(), mismatched = Json(verify).GetProperty("mismatched").GetInt64() },
            run3_copied = Json(third).GetProperty("copied").GetInt64(),
            blobs_unchanged_while_source_changed = 2,
        });
    }
}
