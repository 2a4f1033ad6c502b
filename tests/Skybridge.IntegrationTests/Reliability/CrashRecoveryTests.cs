using System.Security.Cryptography;
using System.Text.Json;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Reliability;

/// <summary>
/// Issue 8, part 2: kill -9 (SIGKILL: no handler, nothing flushed) at precise points of a copy,
/// chosen by proxies in front of RGW and Azurite (the listing, a block being read, a block being
/// staged, all blocks staged but not committed, committed but not yet known to Skybridge, after N
/// single-shot uploads), right after the job journal's WAL grows, and at seeded random times; then
/// resume (copy --resume or jobs resume). Every resumed run must end with destination == source
/// (the inspector's MD5s, provenance metadata), and no object finished before the crash may be
/// copied again: its blob keeps its ETag, the resume's report does not copy it, and the journal
/// says it was finished in the first session.
/// </summary>
[Collection("sandbox")]
public sealed class CrashRecoveryTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    public static IEnumerable<object[]> Points =>
    [
        ["list-first-request"], ["list-third-request"], ["read-block-2"], ["stage-block-3"], ["stage-done-commit-pending"],
        ["commit-done-unreported"], ["after-10-put-blobs"], ["journal-write"], ["random-1"], ["random-2"], ["random-3"],
        ["random-4"], ["crash-during-resume"],
    ];

    private static Task<(string Prefix, Dictionary<string, byte[]> Objects)>? _source;
    private static readonly object Gate = new();
    private static readonly List<object> Results = [];

    private Task<(string, Dictionary<string, byte[]>)> SourceOnceAsync()
    {
        lock (Gate) return _source ??= SeedAsync();
    }

    /// <summary>40 small objects in 4 folders (one Put Blob each) and 6 of 1.1-1.3 MiB (5-6 blocks of 256 KiB each).</summary>
    private async Task<(string, Dictionary<string, byte[]>)> SeedAsync()
    {
        var prefix = NewPrefix("crash-src");
        var rng = new Random(2);
        var objects = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < 40; i++) objects[$"f{i % 4}/small-{i:D2}.bin"] = RandomBytes(rng.Next(0, 20_000), 200 + i);
        for (int i = 0; i < 6; i++) objects[$"large/blob-{i}.bin"] = RandomBytes(MiB + 100_000 + rng.Next(200_000), 300 + i);
        await _kit.PutAsync(prefix, objects);
        return (prefix, objects);
    }

    [Theory]
    [MemberData(nameof(Points))]
    public async Task Kill_9_then_resume_converges_to_the_source_without_recopying_finished_objects(string point)
    {
        var (srcPrefix, objects) = await SourceOnceAsync();
        var dstPrefix = NewPrefix("crash-" + point[..Math.Min(point.Length, 8)]);
        try { await CrashAndResumeAsync(point, srcPrefix, dstPrefix, objects); }
        finally { await _kit.CleanupAsync(dstPrefix); }
    }

    private async Task CrashAndResumeAsync(string point, string srcPrefix, string dstPrefix, Dictionary<string, byte[]> objects)
    {
        var env = await _kit.IsolatedEnvAsync();
        var journal = env["SKYBRIDGE_JOURNAL"]!;
        await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3);
        await using var blob = new FaultProxy(new Uri(sandbox.BlobEndpoint), ProxyFlavor.Blob, certificate: FaultProxy.SandboxCertificate(sandbox.RepoRoot));
        string Dst() => $"{blob.Url.GetLeftPart(UriPartial.Authority)}{new Uri(sandbox.DestUrl).AbsolutePath.TrimEnd('/')}/{dstPrefix}";
        string[] copy = ["copy", $"s3://{sandbox.Bucket}/{srcPrefix}", Dst(), "--s3-endpoint", s3.Url.ToString(), "--sts-endpoint", sandbox.StsEndpoint,
            "--block-size", "256KiB", "--block-concurrency", "2", "--concurrency", "4", "--mode", "stream", "--progress", "none"];

        // ---- run 1, killed at the point ----
        // 1 MiB/s for the ~7.6 MB set: ~7 s of copying, so every kill point (the random ones up to
        // 2.8 s into the job) lands mid-job; at 3 MiB/s a fast machine finished the job by 2.15 s,
        // the kill found nothing to resume and the resume started a second job.
        var run = new CliProcess([.. copy, "--max-bandwidth", "1MiB"], _kit.Env(env));
        var crashed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var killedAfter = TimeSpan.Zero;
        void Kill(string where)
        {
            if (crashed.Task.IsCompleted) return;
            killedAfter = run.Started.Elapsed;
            run.Kill9();
            crashed.TrySetResult(where);
        }
        ArmCrash(point, run, s3, blob, journal, Kill);
        var first = await run.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(crashed.Task.IsCompleted, $"{point}: the run ended before the crash point (exit {first.ExitCode})\n{first.Stderr}");
        Assert.True(run.Killed);
        var where = await crashed.Task;
        blob.OnRequest = null; blob.OnResponse = null; s3.OnRequest = null;

        // Whatever is committed at the destination is a whole, correct object (no partial blob).
        var afterCrash = await _kit.SnapshotAsync(dstPrefix);
        foreach (var (name, state) in afterCrash)
        {
            Assert.True(objects.ContainsKey(name), $"{point}: unexpected blob {name}");
            Assert.Equal(Convert.ToHexStringLower(MD5.HashData(objects[name])), state.ContentMd5);
            Assert.Equal(objects[name].Length, state.Size);
        }

        // ---- optional second crash, during the resume ----
        var sessions = 1;
        var finishedBefore = afterCrash;
        if (point == "crash-during-resume")
        {
            var again = new CliProcess([.. copy, "--resume", "--max-bandwidth", "3MiB"], _kit.Env(env));
            var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var commits = 0;
            blob.OnResponse = (r, status, body) =>
            {
                if (r.Method == "PUT" && status == 201 && Interlocked.Increment(ref commits) == 5) { again.Kill9(); second.TrySetResult(); }
                return body;
            };
            await again.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(second.Task.IsCompleted, "the resume ended before its crash point");
            blob.OnResponse = null;
            sessions++;
            var afterSecond = await _kit.SnapshotAsync(dstPrefix);
            foreach (var (name, state) in finishedBefore) Assert.Equal(state.ETag, afterSecond[name].ETag);
            finishedBefore = afterSecond;
        }

        // ---- resume to the end ----
        var report = TempPath(".jsonl");
        string[] resumeArgs = point is "random-2" or "journal-write"
            ? ["jobs", "resume", JobId(first.Stderr), "--report", report] // the other resume path
            : [.. copy, "--resume", "--report", report];
        var resume = await sandbox.RunCliAsync([.. resumeArgs, "--output", "json"], env, TimeSpan.FromMinutes(3));
        Assert.True(resume.ExitCode == 0, $"{point}: resume exit {resume.ExitCode}\n{resume.Stdout}\n{resume.Stderr}");
        sessions++;

        // Destination == source, checked by the inspector (bytes, Content-MD5, provenance).
        await _kit.AssertEqualAsync(dstPrefix, objects, srcPrefix);
        var final = await _kit.SnapshotAsync(dstPrefix);
        foreach (var (name, state) in final)
            Assert.Equal(sandbox.Bucket, state.Metadata["skybridge_source_bucket"]);
        if (point is "commit-done-unreported" or "journal-write" or "crash-during-resume") // Skybridge's own verify too (time: not on every case)
        {
            var verify = await sandbox.RunCliAsync(["verify", $"s3://{sandbox.Bucket}/{srcPrefix}", $"{sandbox.DestUrl.TrimEnd('/')}/{dstPrefix}", "--output", "json"], env);
            Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        }

        // Nothing finished before the crash was copied again: same ETag, not in the resume's report, journal agrees.
        foreach (var (name, state) in finishedBefore)
            Assert.True(state.ETag == final[name].ETag, $"{point}: {name} was rewritten by the resume");
        var recopied = ReadReport(report).Where(e => Str(e, "outcome") == "copied").Select(e => Str(e, "source_key")[srcPrefix.Length..]).ToList();
        Assert.Empty(recopied.Intersect(finishedBefore.Keys));
        Assert.Equal(recopied.Count, recopied.Distinct().Count());
        Assert.Equal(objects.Count - finishedBefore.Count, recopied.Count);
        AssertEveryCopyVerified(ReadReport(report), Json(resume));
        var rows = await JournalAsync(journal);
        // More rows than objects: the resume started a second job instead of continuing the first (its stderr says why).
        Assert.True(objects.Count == rows.Count, $"{point}: the journal has {rows.Count} object rows for {objects.Count} objects "
            + $"(sessions {string.Join(",", rows.Select(r => r.Session).Distinct())}); killed at {where}\nrun 1 stderr:\n{first.Stderr}\nresume stderr:\n{resume.Stderr}");
        // Finished: committed by a run, or found already committed at the destination by the resume
        // (the crash came between the commit and its journal record): "skipped", never copied again.
        Assert.All(rows, r => Assert.Contains(r.State, new[] { "committed", "skipped" }));
        Assert.All(rows.Where(r => r.State == "skipped"), r => Assert.Contains(r.Key[srcPrefix.Length..], finishedBefore.Keys));
        var journalCopies = rows.Sum(r => r.Attempts);

        lock (Results)
        {
            Results.Add(new
            {
                point,
                killed_at = where,
                killed_after_seconds = Math.Round(killedAfter.TotalSeconds, 2),
                blobs_committed_at_crash = afterCrash.Count,
                sessions,
                resumed_with = resumeArgs[0] == "jobs" ? "jobs resume" : "copy --resume",
                copied_by_final_resume = recopied.Count,
                rewritten_after_finishing = 0,
                journal_copy_attempts = journalCopies,
                journal_skipped_as_already_committed = rows.Count(r => r.State == "skipped"),
                objects = objects.Count,
            });
            _kit.Figures("crash-recovery", new { points = Points.Count(), results = Results });
        }
    }

    /// <summary>Sets the hooks (or timer) that kill run 1 at the named point.</summary>
    private static void ArmCrash(string point, CliProcess run, FaultProxy s3, FaultProxy blob, string journal, Action<string> kill)
    {
        int lists = 0, reads = 0, blocks = 0, puts = 0;
        static bool IsList(ProxyRequest r) => r.Query.Contains("list-type", StringComparison.Ordinal);
        // Drop the request that reached the crash point: a killed client's request never arrives.
        static Task Drop() => throw new OperationCanceledException("client killed at the crash point");
        switch (point)
        {
            case "list-first-request":
                s3.OnRequest = (r, _) => IsList(r) && Interlocked.Increment(ref lists) == 1 ? KillAnd(kill, "first S3 list request") : Task.CompletedTask;
                break;
            case "list-third-request":
                s3.OnRequest = (r, _) => IsList(r) && Interlocked.Increment(ref lists) == 3 ? KillAnd(kill, "third S3 list request (folders listed in parallel)") : Task.CompletedTask;
                break;
            case "read-block-2":
                s3.OnRequest = (r, _) => r.Method == "GET" && r.Path.Contains("/large/", StringComparison.Ordinal) && r.Header("Range") is { } range
                    && range.StartsWith("bytes=262144-", StringComparison.Ordinal) && Interlocked.Increment(ref reads) == 1
                    ? KillAnd(kill, "S3 GET of block 2 of a large object") : Task.CompletedTask;
                break;
            case "stage-block-3":
                blob.OnRequest = (r, _) => r.Query.Contains("comp=block&", StringComparison.Ordinal) && Interlocked.Increment(ref blocks) == 3
                    ? KillAnd(kill, "third Put Block (body received, not forwarded)") : Task.CompletedTask;
                break;
            case "stage-done-commit-pending":
                blob.OnRequest = (r, _) => r.Query.Contains("comp=blocklist", StringComparison.Ordinal) ? KillAnd(kill, "Put Block List arrives: blocks staged, not committed") : Task.CompletedTask;
                break;
            case "commit-done-unreported":
                blob.OnResponse = (r, status, body) =>
                {
                    if (r.Query.Contains("comp=blocklist", StringComparison.Ordinal) && status == 201) kill("Put Block List committed, response not delivered");
                    return body;
                };
                break;
            case "after-10-put-blobs":
                blob.OnResponse = (r, status, body) =>
                {
                    if (r.Method == "PUT" && r.Query.Length == 0 && status == 201 && Interlocked.Increment(ref puts) == 10) kill("10th Put Blob committed");
                    return body;
                };
                break;
            case "journal-write":
                _ = Task.Run(async () =>
                {
                    // The first time the journal's WAL grows after copying started: SQLite is writing (or just wrote) a batch.
                    var wal = journal + "-wal";
                    long last = -1;
                    while (!run.HasExited)
                    {
                        var size = File.Exists(wal) ? new FileInfo(wal).Length : -1;
                        if (last > 0 && size > last && Interlocked.CompareExchange(ref puts, 0, 0) >= 3) { kill($"journal WAL grew {last} -> {size} bytes"); return; }
                        last = size;
                        await Task.Delay(1);
                    }
                });
                blob.OnResponse = (r, status, body) => { if (r.Method == "PUT" && status == 201) Interlocked.Increment(ref puts); return body; };
                break;
            case var random when random.StartsWith("random-", StringComparison.Ordinal):
                var at = TimeSpan.FromSeconds(new Random(1000 + int.Parse(random[7..])).NextDouble() * 2.0 + 0.8);
                _ = Task.Run(async () =>
                {
                    // Counted from the job's start (its line on stderr), not the process's: on a loaded
                    // host .NET can take over a second to start, and a kill before the job exists
                    // tests nothing (there is no job to resume).
                    while (!run.Stderr.Contains("job ") && !run.HasExited) await Task.Delay(5);
                    var jobStarted = run.Started.Elapsed;
                    while (run.Started.Elapsed - jobStarted < at && !run.HasExited) await Task.Delay(5);
                    kill($"random time {at.TotalSeconds:0.00} s (seeded) into the job");
                });
                break;
            case "crash-during-resume":
                blob.OnResponse = (r, status, body) =>
                {
                    if (r.Method == "PUT" && status == 201 && Interlocked.Increment(ref puts) == 8) kill("8th blob write of run 1 (then the resume is killed too)");
                    return body;
                };
                break;
            default:
                throw new ArgumentException(point);
        }

        Task KillAnd(Action<string> k, string where) { k(where); return Drop(); }
    }

    private static string JobId(string stderr)
        => System.Text.RegularExpressions.Regex.Match(stderr, @"job (\d{8}-\d{6}-[0-9a-f]{6})").Groups[1].Value is { Length: > 0 } id ? id
            : throw new Xunit.Sdk.XunitException("no job id in the output:\n" + stderr);

    private sealed record JournalRow(string Key, string State, int Attempts, int Session);

    /// <summary>The journal's objects, read with the sqlite3 CLI (not through Skybridge).</summary>
    private async Task<List<JournalRow>> JournalAsync(string path)
    {
        var (rc, stdout, stderr) = await sandbox.RunProcessAsync("sqlite3", ["-json", "-readonly", path, "SELECT key, state, attempts, session FROM objects"]);
        Assert.True(rc == 0, stderr);
        return JsonSerializer.Deserialize<List<JsonElement>>(stdout.Length == 0 ? "[]" : stdout)!
            .Select(e => new JournalRow(e.GetProperty("key").GetString()!, e.GetProperty("state").GetString()!, e.GetProperty("attempts").GetInt32(), e.GetProperty("session").GetInt32()))
            .ToList();
    }
}
