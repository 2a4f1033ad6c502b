using System.Diagnostics;
using System.Text.Json;
using Skybridge.Distributed;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Distributed;

/// <summary>
/// Issue 13: distributed migrations on the Durable Task Framework, with the real CLI as worker
/// processes, a private task hub per test in Azurite (keyless), RGW as the source.
/// </summary>
[Collection("sandbox")]
public sealed class MigrationOnSandboxTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    [Fact]
    public async Task Two_workers_migrate_hundreds_of_objects_in_eight_partitions_and_the_report_has_one_line_per_key()
    {
        var src = NewPrefix("mig-two-src");
        var dst = NewPrefix("mig-two-dst");
        await using var mig = new MigrationKit(sandbox, _kit);
        try
        {
            var objects = await _kit.SeedMixedAsync(src, small: 240, big: 1, seed: 13);
            var id = await mig.StartAsync(src, dst, "--partitions", "8", "--batch-size", "40", "--block-size", "1MiB");
            var w1 = await mig.StartWorkerAsync("trace"); // and scanned for secrets below
            var w2 = await mig.StartWorkerAsync();

            var status = await mig.WaitAsync(id, TimeSpan.FromMinutes(4));
            Assert.Equal("completed", status.GetProperty("state").GetString());
            Assert.True(status.GetProperty("partitions").GetInt32() >= 8, status.ToString());
            Assert.Equal(status.GetProperty("partitions").GetInt32(), status.GetProperty("partitions_done").GetInt32());
            Assert.Equal(0, status.GetProperty("failed").GetInt64());
            Assert.Equal(objects.Count, status.GetProperty("copied").GetInt64());
            Assert.True(status.GetProperty("workers").GetArrayLength() >= 2, status.ToString()); // both heartbeats, for per-worker throughput

            await _kit.AssertEqualAsync(dst, objects, src);
            var report = await mig.ReportAsync(id);
            Assert.Equal(objects.Count, report.Count);
            Assert.Equal(objects.Keys.Select(k => src + k).Order(StringComparer.Ordinal), report.Select(l => Str(l, "source_key")).Order(StringComparer.Ordinal));
            Assert.All(report, l => Assert.Equal("copied", Str(l, "outcome")));
            // Both workers executed batches: the work was shared, not done by one of them.
            Assert.Contains("executed batch", w1.Stderr);
            Assert.Contains("executed batch", w2.Stderr);

            // No token, key, session token or signature in a trace-level worker log, the report, or anything the task hub stores.
            var texts = await mig.HubContentsAsync();
            Assert.Contains(texts, t => t.Where.Contains("History", StringComparison.OrdinalIgnoreCase)); // the scan saw the history rows
            texts.Add(("worker stderr (trace)", w1.Stderr));
            texts.Add(("worker stdout", w1.Stdout));
            texts.Add(("report", string.Join("\n", report.Select(l => l.ToString()))));
            Assert.True(w1.Stderr.Length > 10_000, "the trace-level worker logged little: is it at trace?");
            // The secret sweep's patterns: any JWT, presigned-URL signatures and session tokens, SAS signatures, account keys.
            foreach (var pattern in new[] { SecretHygieneSweepTests.AnyJwt(), SecretHygieneSweepTests.SignedUrlPattern() })
                Assert.All(texts, t => Assert.False(pattern.IsMatch(t.Text), $"{t.Where}: a secret pattern at {pattern.Match(t.Text).Index}"));
        }
        finally
        {
            await _kit.CleanupAsync(src);
            await _kit.CleanupAsync(dst);
        }
    }

    [Fact]
    public async Task A_worker_killed_with_kill_9_and_restarted_loses_nothing_and_copies_nothing_committed_twice()
    {
        var src = NewPrefix("mig-kill-src");
        var dst = NewPrefix("mig-kill-dst");
        await using var mig = new MigrationKit(sandbox, _kit);
        try
        {
            var rng = new Random(9);
            var objects = Enumerable.Range(0, 3000).ToDictionary(i => $"k{i % 7}/o-{i:D5}.bin", i => RandomBytes(rng.Next(1, 4096), 90_000 + i), StringComparer.Ordinal);
            await _kit.PutAsync(src, objects);
            var id = await mig.StartAsync(src, dst, "--partitions", "8", "--batch-size", "100", "--mode", "stream");
            var workers = new[] { await mig.StartWorkerAsync(), await mig.StartWorkerAsync(), await mig.StartWorkerAsync() };

            // The victim is the worker holding a batch in flight (its .started marker names it, its
            // outcomes are not written), once a first batch is committed. It is frozen (SIGSTOP) and
            // checked again, so the batch cannot finish between the look and the kill; if it just
            // did, the worker is thawed and the next one is looked for. Then kill -9.
            var clock = Stopwatch.StartNew();
            (string Batch, CliProcess Worker) victim;
            while (true)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(4), "no worker was seen mid-batch: the migration did not get going\n"
                    + string.Join("\n----\n", workers.Select(w => w.Stderr[Math.Max(0, w.Stderr.Length - 3000)..])));
                if (await mig.BatchHeldByAsync(id, workers) is { } held)
                {
                    await MigrationKit.SignalAsync(held.Worker, "STOP");
                    await Task.Delay(500); // a request it sent just before may still land
                    if (!await mig.FinishedAsync(held.Batch)) { victim = held; break; }
                    await MigrationKit.SignalAsync(held.Worker, "CONT");
                }
                await Task.Delay(200);
            }
            var inFlight = await mig.InFlightBatchesAsync(id);
            var before = await _kit.SnapshotAsync(dst);
            var killedAfter = clock.Elapsed;
            victim.Worker.Kill9();
            var killedAt = Stopwatch.StartNew();
            await mig.StartWorkerAsync(); // restarted

            // Recovered: every batch in flight at the kill (the killed worker's among them) has finished.
            // The killed worker's control-queue messages come back only after their visibility
            // timeout, so that timeout plus a batch's re-run bounds the recovery (a fixed 60 s did
            // not: recovery took 65 s once the visibility became 60 s).
            var recoveryBound = TaskHubConnection.ControlQueueVisibility + TimeSpan.FromSeconds(30);
            while ((await mig.InFlightBatchesAsync(id)).Overlaps(inFlight))
            {
                Assert.True(killedAt.Elapsed < recoveryBound, $"batches in flight at the kill not finished after {killedAt.Elapsed} (bound {recoveryBound})");
                await Task.Delay(500);
            }
            var recovery = killedAt.Elapsed;
            // The killed worker was mid-batch: its batch's outcomes were written by a later attempt, every object in it re-decided.
            Assert.Contains(victim.Batch, inFlight);
            var victimLines = await mig.OutcomeLinesAsync(victim.Batch);
            Assert.NotEmpty(victimLines);
            Assert.All(victimLines, l => Assert.Contains("an earlier attempt of", l, StringComparison.Ordinal));

            var status = await mig.WaitAsync(id, TimeSpan.FromMinutes(5));
            var total = clock.Elapsed;
            Assert.Equal("completed", status.GetProperty("state").GetString());
            Assert.Equal(0, status.GetProperty("failed").GetInt64());
            await _kit.AssertEqualAsync(dst, objects, src);

            // Nothing committed before the kill was written again: same ETag, same last-modified.
            var after = await _kit.SnapshotAsync(dst);
            foreach (var (name, blob) in before)
            {
                Assert.Equal(blob.ETag, after[name].ETag);
                Assert.Equal(blob.LastModified, after[name].LastModified);
            }
            var report = await mig.ReportAsync(id);
            Assert.Equal(objects.Count, report.Count);
            Assert.Equal(objects.Count, report.Select(l => Str(l, "source_key")).Distinct().Count());
            // Only objects in flight at the kill may run again, and the report says so; none of them was committed before it.
            var reruns = report.Where(l => Str(l, "reason").Contains("executed again", StringComparison.Ordinal)).Select(l => Str(l, "source_key")[src.Length..]).ToList();
            Assert.DoesNotContain(reruns, before.ContainsKey);
            Assert.Equal(reruns.Count, status.GetProperty("rerun").GetInt64());

            _kit.Figures("distributed-kill-9", new
            {
                objects = objects.Count, workers = 3, killed_after_s = Math.Round(killedAfter.TotalSeconds, 1), killed_batch = victim.Batch[(id.Length + 1)..],
                killed_batch_objects = victimLines.Length, committed_before_kill = before.Count, in_flight_batches_at_kill = inFlight.Count, recovery_s = Math.Round(recovery.TotalSeconds, 1),
                total_s = Math.Round(total.TotalSeconds, 1), rerun_objects = reruns.Count,
            });
        }
        finally
        {
            await _kit.CleanupAsync(src);
            await _kit.CleanupAsync(dst);
        }
    }

    [Fact]
    public async Task Copy_and_a_migration_of_the_same_data_give_the_same_destination_and_the_same_outcomes()
    {
        var src = NewPrefix("mig-same-src");
        var viaCopy = NewPrefix("mig-same-cp");
        var viaMigration = NewPrefix("mig-same-mg");
        await using var mig = new MigrationKit(sandbox, _kit);
        try
        {
            var objects = await _kit.SeedMixedAsync(src, small: 80, big: 1, seed: 31);
            // A key that is not a valid blob name (skipped by the name policy) and one outside the filter.
            await _kit.PutAsync(src, new Dictionary<string, byte[]> { ["odd/trailing-dot."] = [1, 2, 3], ["alpha/ignored.tmp"] = [4] });
            string[] options = ["--exclude", "**/*.tmp", "--block-size", "1MiB", "--mode", "stream"];

            var copyReport = TempPath(".jsonl");
            var copy = await mig.CliAsync(["copy", _kit.Src(src), _kit.Dst(viaCopy), "--report", copyReport, "--no-journal", "--progress", "none", .. options]);
            Assert.True(copy.ExitCode == 0, copy.Stderr);

            var id = await mig.StartAsync(src, viaMigration, ["--partitions", "4", "--batch-size", "25", .. options]);
            await mig.StartWorkerAsync();
            var status = await mig.WaitAsync(id, TimeSpan.FromMinutes(4));
            Assert.Equal("completed", status.GetProperty("state").GetString());

            static Dictionary<string, string> Lines(IEnumerable<JsonElement> report, string dstPrefix) => report.ToDictionary(
                l => Str(l, "source_key"),
                l => string.Join("|", Str(l, "outcome"), Str(l, "etag"), l.TryGetProperty("size", out var s) ? s.GetInt64() : -1, Str(l, "md5"),
                    Str(l, "blob_name") is { Length: > 0 } b ? b[dstPrefix.Length..] : "", Str(l, "reason"), Str(l, "mode")));
            var byCopy = Lines(ReadReport(copyReport), viaCopy);
            var byMigration = Lines(await mig.ReportAsync(id), viaMigration);
            Assert.Equal(objects.Count + 1, byCopy.Count); // + the skipped invalid name; the excluded key has no line
            Assert.Contains(byCopy.Values, v => v.StartsWith("skipped|", StringComparison.Ordinal));
            Assert.Equal(byCopy.OrderBy(p => p.Key, StringComparer.Ordinal), byMigration.OrderBy(p => p.Key, StringComparer.Ordinal));

            var a = await _kit.SnapshotAsync(viaCopy);
            var b = await _kit.SnapshotAsync(viaMigration);
            Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, blob) in a)
            {
                Assert.Equal(blob.ContentMd5, b[name].ContentMd5);
                Assert.Equal(blob.Size, b[name].Size);
                Assert.Equal(blob.Metadata.OrderBy(m => m.Key), b[name].Metadata.OrderBy(m => m.Key));
            }
            await _kit.AssertEqualAsync(viaMigration, objects, src);
        }
        finally
        {
            await _kit.CleanupAsync(src);
            await _kit.CleanupAsync(viaCopy);
            await _kit.CleanupAsync(viaMigration);
        }
    }
}
