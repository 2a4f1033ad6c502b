using System.Diagnostics;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Reliability;

/// <summary>
/// Issue 8, part 1: transient faults between Skybridge and both services (a <see cref="FaultProxy"/>
/// in front of RGW and one in front of Azurite, https), and permanent faults that must fail fast.
/// </summary>
[Collection("sandbox")]
public sealed class FaultInjectionTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);
    private Dictionary<string, string?> _env = [];

    private string[] Copy(string prefix, FaultProxy s3, FaultProxy blob, string report, params string[] more) =>
    [
        "copy", _kit.Src(prefix), _kit.Dst(prefix, blob.Url), "--s3-endpoint", s3.Url.ToString(), "--sts-endpoint", sandbox.StsEndpoint,
        "--block-size", "1MiB", "--output", "json", "--report", report, "--progress", "none", .. more,
    ];

    [Fact]
    public async Task Copy_of_500_mixed_objects_under_12_percent_faults_on_both_sides_is_exact_and_complete()
    {
        var prefix = NewPrefix("faults");
        try { await TransientAsync(prefix); }
        finally { await _kit.CleanupAsync(prefix); }
    }

    private async Task TransientAsync(string prefix)
    {
        _env = await _kit.IsolatedEnvAsync();
        var objects = await _kit.SeedMixedAsync(prefix, small: 490, big: 8, seed: 8);
        Assert.Equal(500, objects.Count);
        var totalBytes = objects.Values.Sum(v => (long)v.Length);

        await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3, FaultPlan.Transient(0.12, seed: 81));
        await using var blob = new FaultProxy(new Uri(sandbox.BlobEndpoint), ProxyFlavor.Blob, FaultPlan.Transient(0.12, seed: 82),
            FaultProxy.SandboxCertificate(sandbox.RepoRoot));

        var report = TempPath(".jsonl");
        var (copy, elapsed) = await _kit.TimedCliAsync(Copy(prefix, s3, blob, report), _env);
        var summary = Json(copy);
        Assert.True(copy.ExitCode == 0, $"exit {copy.ExitCode}\n{copy.Stdout}\n{copy.Stderr}");
        Assert.Equal(500, summary.GetProperty("copied").GetInt64());
        Assert.Equal(0, summary.GetProperty("failed").GetInt64());

        // The faults really happened, at >= 10% of the requests on each side, of every kind.
        foreach (var (name, proxy) in new[] { ("s3", s3), ("blob", blob) })
        {
            var rate = (double)proxy.Stats.Faults / proxy.Stats.Requests;
            Assert.True(rate >= 0.10, $"{name}: {proxy.Stats.Faults} faults in {proxy.Stats.Requests} requests");
            Assert.True(proxy.Stats.SdkRetries + proxy.Stats.RepeatedRequests > 0, $"{name}: no retry seen");
        }
        var kinds = s3.Stats.FaultsByKind.Keys.Concat(blob.Stats.FaultsByKind.Keys).ToHashSet();
        foreach (var kind in Enum.GetValues<FaultKind>().Where(k => k is not (FaultKind.None or FaultKind.Status403)))
            Assert.Contains(kind, kinds);

        // Objects that fit in one block went in one Put Blob each, not Put Block + Put Block List.
        var singleShot = objects.Count(o => o.Value.Length <= MiB);
        var ops = blob.Stats.RequestsByOperation;
        Assert.True(ops.GetValueOrDefault("PUT") >= singleShot, $"{ops.GetValueOrDefault("PUT")} Put Blob for {singleShot} single-block objects");
        Assert.True(ops.GetValueOrDefault("PUT comp=blocklist") < 3 * (objects.Count - singleShot), $"{ops.GetValueOrDefault("PUT comp=blocklist")} commits for {objects.Count - singleShot} multi-block objects");

        // Each object copied exactly once (one report row each), and nothing else written.
        var rows = ReadReport(report);
        var copiedKeys = rows.Where(e => Str(e, "outcome") == "copied").Select(e => Str(e, "source_key")).ToList();
        Assert.Equal(500, copiedKeys.Count);
        Assert.Equal(500, copiedKeys.Distinct().Count());
        // ...each one verified, its proof named (the multipart sources by their rebuilt ETag).
        var proofs = AssertEveryCopyVerified(rows, summary);
        Assert.Equal(2, proofs.GetValueOrDefault("multipart-etag"));

        // Destination == source, by the inspector's own MD5s; then by Skybridge's deep verify (direct, no proxy).
        var readBack = await _kit.AssertEqualAsync(prefix, objects);
        Assert.Equal(totalBytes, readBack);
        var verify = await sandbox.RunCliAsync(["verify", _kit.Src(prefix), _kit.Dst(prefix), "--deep", "--output", "json", "--progress", "none"], _env);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Equal(500, Json(verify).GetProperty("matched").GetInt64());

        // A second run under the same faults copies nothing and rewrites nothing.
        var before = await _kit.SnapshotAsync(prefix);
        var s3First = s3.Stats.Summary();
        var blobFirst = blob.Stats.Summary();
        s3.ResetStats();
        blob.ResetStats();
        var again = await sandbox.RunCliAsync(Copy(prefix, s3, blob, TempPath(".jsonl")), _env);
        Assert.True(again.ExitCode == 0, again.Stdout + again.Stderr);
        Assert.Equal(0, Json(again).GetProperty("copied").GetInt64());
        Assert.Equal(500, Json(again).GetProperty("skipped").GetInt64());
        var after = await _kit.SnapshotAsync(prefix);
        Assert.Equal(before.Values.Select(b => (b.Name, b.ETag)), after.Values.Select(b => (b.Name, b.ETag)));

        _kit.Figures("faults-transient", new
        {
            objects = objects.Count,
            bytes = totalBytes,
            multi_block_objects = objects.Count(o => o.Value.Length > MiB),
            fault_rate_configured = 0.12,
            copy_seconds = Math.Round(elapsed.TotalSeconds, 1),
            copy_exit_code = copy.ExitCode,
            s3 = s3First,
            blob = blobFirst,
            rerun_copied = Json(again).GetProperty("copied").GetInt64(),
            rerun_requests = s3.Stats.Requests + blob.Stats.Requests,
            rerun_faults = s3.Stats.Faults + blob.Stats.Faults,
            verified_bytes_read_back = readBack,
        });
    }

    // ---- permanent faults: bounded retries, then a clear failure ----

    private sealed record Permanent(string Name, CliResult Result, TimeSpan Elapsed, ProxyStats S3, ProxyStats Blob);

    /// <summary>Copies a 3-object prefix through both proxies with the given plans.</summary>
    private async Task<Permanent> RunPermanentAsync(string name, FaultPlan s3Plan, FaultPlan blobPlan, string? bucket = null)
    {
        var prefix = NewPrefix(name);
        if (bucket is null)
            await _kit.PutAsync(prefix, new Dictionary<string, byte[]> { ["a.txt"] = "a"u8.ToArray(), ["b/c.txt"] = "c"u8.ToArray(), ["d.bin"] = RandomBytes(70_000, 4) });
        await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3, s3Plan);
        await using var blob = new FaultProxy(new Uri(sandbox.BlobEndpoint), ProxyFlavor.Blob, blobPlan, FaultProxy.SandboxCertificate(sandbox.RepoRoot));
        var source = bucket is null ? _kit.Src(prefix) : $"s3://{bucket}/{prefix}";
        var sw = Stopwatch.StartNew();
        var r = await sandbox.RunCliAsync(["copy", source, _kit.Dst(prefix, blob.Url), "--s3-endpoint", s3.Url.ToString(), "--sts-endpoint", sandbox.StsEndpoint,
            "--progress", "none"], _env, TimeSpan.FromMinutes(3));
        var result = new Permanent(name, r, sw.Elapsed, s3.Stats, blob.Stats);
        // Whatever failed, nothing partial was left at the destination.
        var partial = await _kit.UncommittedOnlyAsync(prefix);
        await _kit.CleanupAsync(prefix);
        Assert.Empty(partial);
        return result;
    }

    private static object Figure(Permanent p) => new
    {
        exit_code = p.Result.ExitCode,
        seconds = Math.Round(p.Elapsed.TotalSeconds, 1),
        error = p.Result.Stderr.Split('\n').FirstOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)),
        fix = p.Result.Stderr.Split('\n').FirstOrDefault(l => l.StartsWith("fix:", StringComparison.Ordinal)),
        s3_requests = p.S3.Requests,
        s3_max_attempts = p.S3.MaxAttemptsOfOneOperation,
        blob_requests = p.Blob.Requests,
        blob_max_attempts = p.Blob.MaxAttemptsOfOneOperation,
    };

    [Fact]
    public async Task Permanent_faults_end_within_a_bound_with_the_documented_exit_code_and_a_clear_message()
    {
        // Run every scenario first (figures for RELIABILITY.md even when one fails), then assert.
        _env = await _kit.IsolatedEnvAsync();
        var noAccess = "rel-noaccess-" + Guid.NewGuid().ToString("N")[..8];
        await sandbox.AdminS3().PutBucketAsync(noAccess);
        Permanent[] runs;
        try
        {
            // The Blob 503 run mostly waits in the SDK's back-off: let it run beside the others.
            var busy = RunPermanentAsync("blob-503-serverbusy", FaultPlan.None, FaultPlan.Always(FaultKind.Status503));
            runs =
            [
                // 100% 503 SlowDown from S3: the SDK's bounded retries, then exit 1 naming the error.
                await RunPermanentAsync("s3-503-slowdown", FaultPlan.Always(FaultKind.Status503), FaultPlan.None),
                // Every object read reset mid-body (listing fine): every object fails, the run still ends.
                await RunPermanentAsync("s3-reset-every-read", FaultPlan.Always(FaultKind.ResetMidBody, r => r.Query.Length == 0 && r.Method == "GET"), FaultPlan.None),
                // 403 from Blob Storage: exit 3 at once, no retry.
                await RunPermanentAsync("blob-403", FaultPlan.None, FaultPlan.Always(FaultKind.Status403)),
                // A real 403 from RGW (a bucket the role may not list): exit 3, naming the permission.
                await RunPermanentAsync("s3-403-real", FaultPlan.None, FaultPlan.None, bucket: noAccess),
                // A bucket that does not exist: a configuration error (exit 2), not retried.
                await RunPermanentAsync("s3-missing-bucket", FaultPlan.None, FaultPlan.None, bucket: "rel-missing-" + Guid.NewGuid().ToString("N")[..8]),
                // 100% ServerBusy from Blob Storage: bounded retries, exit 1.
                await busy,
            ];
        }
        finally
        {
            await sandbox.AdminS3().DeleteBucketAsync(noAccess);
        }
        _kit.Figures("faults-permanent", runs.ToDictionary(r => r.Name, Figure));
        var run = runs.ToDictionary(r => r.Name);
        string Out(string name) => run[name].Result.Stderr + run[name].Result.Stdout;

        Assert.Equal(1, run["s3-503-slowdown"].Result.ExitCode);
        Assert.Contains("SlowDown", Out("s3-503-slowdown"));
        Assert.InRange(run["s3-503-slowdown"].S3.MaxAttemptsOfOneOperation, 2, 7); // 6 attempts: MaxErrorRetry 5

        Assert.Equal(1, run["s3-reset-every-read"].Result.ExitCode);
        Assert.Contains("failed", run["s3-reset-every-read"].Result.Stdout);

        Assert.Equal(1, run["blob-503-serverbusy"].Result.ExitCode);
        Assert.Contains("ServerBusy", Out("blob-503-serverbusy"));
        Assert.InRange(run["blob-503-serverbusy"].Blob.MaxAttemptsOfOneOperation, 2, 6);

        Assert.Equal(3, run["blob-403"].Result.ExitCode);
        Assert.Equal(1, run["blob-403"].Blob.MaxAttemptsOfOneOperation);

        Assert.Equal(3, run["s3-403-real"].Result.ExitCode);
        Assert.Contains("s3:ListBucket", Out("s3-403-real"));
        Assert.Equal(1, run["s3-403-real"].S3.MaxAttemptsOfOneOperation);

        Assert.Equal(2, run["s3-missing-bucket"].Result.ExitCode);
        Assert.Contains("does not exist", Out("s3-missing-bucket"));
        Assert.Equal(1, run["s3-missing-bucket"].S3.MaxAttemptsOfOneOperation);

        foreach (var r in runs)
        {
            Assert.True(r.Elapsed < TimeSpan.FromSeconds(r.Result.ExitCode == 1 ? 60 : 15), $"{r.Name} took {r.Elapsed}");
            var lines = r.Result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Any(l => l.StartsWith("error: ", StringComparison.Ordinal)), $"{r.Name}: no error line\n{r.Result.Stderr}");
            // A run-level failure says how to fix it; per-object failures are listed one by one instead.
            if (r.Name != "s3-reset-every-read")
                Assert.True(lines.Any(l => l.StartsWith("fix: ", StringComparison.Ordinal)), $"{r.Name}: no fix line\n{r.Result.Stderr}");
        }
    }
}
