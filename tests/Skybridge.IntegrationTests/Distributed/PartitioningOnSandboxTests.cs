using System.Text.Json;
using Skybridge.Distributed;
using Skybridge.IntegrationTests.Contracts;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using Skybridge.Transfer.Planning;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Distributed;

/// <summary>Partition discovery by delimiter prefixes on Ceph RGW, and a partition re-splitting its range mid-migration.</summary>
[Collection("sandbox")]
public sealed class PartitioningOnSandboxTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    [Fact]
    public async Task Partitions_are_found_from_the_delimiter_prefixes_of_rgw_and_big_ones_are_split_again_by_theirs()
    {
        await using var rgw = new RgwSourceContract.Rgw(sandbox);
        // Three top-level folders: a big one with 12 sub-folders, two small ones; and a loose object.
        var keys = Enumerable.Range(0, 12).SelectMany(d => Enumerable.Range(0, 4).Select(k => $"logs/2026-{d + 1:D2}/part-{k}.gz"))
            .Concat(["img/a.png", "img/b.png", "docs/readme.md", "index.html"]).ToList();
        await rgw.PutManyAsync(keys);
        var source = rgw.Open();
        Assert.NotNull(source.Capabilities.Folders);

        var ranges = await new PartitionDiscovery(source, batchSize: 1000, sampleLimit: 100_000, minPerPartition: 1).SplitAsync(KeyRange.All, 8, CancellationToken.None);

        Assert.True(ranges.Count >= 8, string.Join(" ", ranges));
        Assert.Null(ranges[0].After);
        Assert.Null(ranges[^1].Through);
        for (int i = 1; i < ranges.Count; i++) Assert.Equal(ranges[i - 1].Through, ranges[i].After);
        foreach (var key in keys) Assert.Single(ranges, r => r.Contains(rgw.Root + key));
        // Cut at delimiter prefixes: every month folder whole, logs/ spread over most partitions.
        foreach (var month in keys.Where(k => k.StartsWith("logs/", StringComparison.Ordinal)).GroupBy(k => k[..13]))
            Assert.Single(ranges, r => month.Any(k => r.Contains(rgw.Root + k)));
        Assert.True(ranges.Count(r => keys.Any(k => k.StartsWith("logs/", StringComparison.Ordinal) && r.Contains(rgw.Root + k))) >= 5, string.Join(" ", ranges));
        Assert.Single(ranges, r => r.Contains(rgw.Root + "img/a.png") && r.Contains(rgw.Root + "img/b.png"));
    }

    [Fact]
    public async Task A_partition_past_its_split_threshold_hands_the_rest_on_and_every_key_is_copied_once()
    {
        var src = NewPrefix("mig-split-src");
        var dst = NewPrefix("mig-split-dst");
        await using var mig = new MigrationKit(sandbox, _kit);
        try
        {
            // Flat keys (no folders): one partition at the start, re-split after 2 pages of 25.
            var rng = new Random(5);
            var objects = Enumerable.Range(0, 400).ToDictionary(i => $"obj-{i:D4}.bin", i => RandomBytes(rng.Next(1, 2048), 50_000 + i), StringComparer.Ordinal);
            await _kit.PutAsync(src, objects);
            var id = await mig.StartAsync(src, dst, "--partitions", "1", "--batch-size", "25", "--split-after", "2", "--mode", "stream");
            await mig.StartWorkerAsync();
            await mig.StartWorkerAsync();

            var status = await mig.WaitAsync(id, TimeSpan.FromMinutes(6));
            Assert.Equal("completed", status.GetProperty("state").GetString());
            Assert.True(status.GetProperty("partitions").GetInt32() >= 5, status.ToString()); // the first, then 4 pieces of its rest
            Assert.Equal(status.GetProperty("partitions").GetInt32(), status.GetProperty("partitions_done").GetInt32());
            Assert.Equal(objects.Count, status.GetProperty("copied").GetInt64());
            Assert.Equal(0, status.GetProperty("failed").GetInt64());
            // The documented JSON shape (README): totals, the estimate, each worker's throughput.
            Assert.Equal(objects.Count, status.GetProperty("processed").GetInt64());
            var estimate = status.GetProperty("estimate");
            Assert.Equal(("finished", objects.Count, 0.0), (estimate.GetProperty("basis").GetString(), estimate.GetProperty("total_objects").GetInt64(), estimate.GetProperty("eta_seconds").GetDouble()));
            Assert.True(status.GetProperty("objects_per_second").GetDouble() > 0, status.ToString());
            Assert.Equal(0, status.GetProperty("deleted").GetInt64());
            var workers = status.GetProperty("workers").EnumerateArray().ToList();
            Assert.True(workers.Count >= 2, status.ToString());
            Assert.True(workers.Sum(w => w.GetProperty("objects").GetInt64()) >= 1, status.ToString()); // a heartbeat follows each batch (within 1 s) and every 10 s: the last may lag
            Assert.All(workers, w => Assert.False(string.IsNullOrEmpty(w.GetProperty("worker").GetString())));
            Assert.All(workers, w => Assert.True(w.GetProperty("objects_per_second").GetDouble() >= 0));
            await _kit.AssertEqualAsync(dst, objects, src);
            var report = await mig.ReportAsync(id);
            Assert.Equal(objects.Count, report.Count);
            Assert.Equal(objects.Count, report.Select(l => Str(l, "source_key")).Distinct().Count());
        }
        finally
        {
            await _kit.CleanupAsync(src);
            await _kit.CleanupAsync(dst);
        }
    }

    [Fact]
    public async Task A_migration_runs_twice_its_workers_batch_slots_of_partitions_at_once_and_the_rest_wait_their_turn()
    {
        var src = NewPrefix("mig-width-src");
        var dst = NewPrefix("mig-width-dst");
        await using var mig = new MigrationKit(sandbox, _kit);
        try
        {
            // 8 folders of 12 objects: 8 partitions of two 10-object pages each, for one worker with one batch slot.
            var rng = new Random(9);
            var objects = Enumerable.Range(0, 96).ToDictionary(i => $"f{i / 12}/obj-{i:D3}.bin", i => RandomBytes(rng.Next(1, 4096), 60_000 + i), StringComparer.Ordinal);
            await _kit.PutAsync(src, objects);
            // 16 KiB/s for ~200 KB: ~12 s of copying, so status is seen while partitions wait (on an
            // idle machine the whole migration took 6 s and a poll could miss every waiting moment).
            await mig.StartWorkerAsync("information", "--batches", "1", "--max-bandwidth", "16KiB");
            var id = await mig.StartAsync(src, dst, "--partitions", "8", "--batch-size", "10", "--mode", "stream");

            // While it runs, status says how many run at once and how many wait.
            var seenWaiting = false;
            JsonElement status;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                status = await mig.StatusAsync(id);
                if (status.GetProperty("finished").GetBoolean()) break;
                if (status.GetProperty("partitions_waiting").GetInt32() > 0)
                {
                    Assert.Equal(2, status.GetProperty("partitions_at_once").GetInt32()); // 2 x one slot
                    seenWaiting = true;
                }
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(6), $"not finished after 6 minutes: {status}");
                await Task.Delay(500);
            }
            Assert.True(seenWaiting, $"no status showed partitions waiting their turn: {status}");
            Assert.Equal("completed", status.GetProperty("state").GetString());
            Assert.Equal(8, status.GetProperty("partitions").GetInt32());
            Assert.Equal(8, status.GetProperty("partitions_done").GetInt32());
            Assert.Equal(0, status.GetProperty("partitions_waiting").GetInt32());
            Assert.Equal(objects.Count, status.GetProperty("copied").GetInt64());

            // From the task hub's own records: never more than 2 partitions alive at the same moment
            // (each from its creation to its completion); without the bound all 8 start together.
            var partitions = await mig.PartitionStatesAsync(id);
            Assert.Equal(8, partitions.Count);
            Assert.All(partitions, p => Assert.Equal(DurableTask.Core.OrchestrationStatus.Completed, p.OrchestrationStatus));
            var mostAtOnce = partitions.Max(p => partitions.Count(q => q.CreatedTime <= p.CreatedTime && q.CompletedTime > p.CreatedTime));
            Assert.True(mostAtOnce <= 2, string.Join("\n", partitions.Select(p => $"{p.OrchestrationInstance.InstanceId} {p.CreatedTime:O} -> {p.CompletedTime:O}")));
            await _kit.AssertEqualAsync(dst, objects, src);
        }
        finally
        {
            await _kit.CleanupAsync(src);
            await _kit.CleanupAsync(dst);
        }
    }
}
