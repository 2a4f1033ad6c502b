using System.CommandLine;
using System.Text.Json;
using Skybridge.Cli;
using Skybridge.Cli.Commands;
using Skybridge.Distributed;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Planning;

namespace Skybridge.Tests.Distributed;

/// <summary>The parts of a distributed migration that need no task hub: partitioning, payloads, counters, hub settings, the command line.</summary>
public class DistributedTests
{
    private static void AssertTiles(IReadOnlyList<KeyRange> ranges, IEnumerable<string> keys)
    {
        Assert.Null(ranges[0].After);
        Assert.Null(ranges[^1].Through);
        for (int i = 1; i < ranges.Count; i++) Assert.Equal(ranges[i - 1].Through, ranges[i].After);
        foreach (var key in keys) Assert.Single(ranges, r => r.Contains(key));
    }

    [Fact]
    public void Keys_without_delimiters_are_cut_into_even_key_ranges_that_tile_the_key_space()
    {
        var keys = Enumerable.Range(0, 1000).Select(i => $"p/obj-{i:D5}").ToList();
        var ranges = Partitioner.Split(keys, "p/", 8);
        Assert.Equal(8, ranges.Count);
        AssertTiles(ranges, keys);
        foreach (var r in ranges) Assert.InRange(keys.Count(r.Contains), 124, 126);
        Assert.Contains(ranges, r => r.Contains("p/zzz-after-the-sample")); // keys past the sample fall in the last range
    }

    [Fact]
    public void Cuts_move_to_the_nearest_folder_edge_so_delimiter_prefixes_stay_whole()
    {
        // 4 folders of 240 keys and 8 partitions wanted: even cuts at 120, 240, ... move to folder edges where one is within half a partition.
        var keys = new[] { "a/", "b/", "c/", "d/" }.SelectMany(f => Enumerable.Range(0, 240).Select(i => $"{f}k{i:D4}")).ToList();
        var ranges = Partitioner.Split(keys, "", 8);
        AssertTiles(ranges, keys);
        foreach (var edge in new[] { "a/k0239", "b/k0239", "c/k0239" }) Assert.Contains(ranges, r => r.Through == edge);
    }

    [Fact]
    public void A_tiny_or_empty_sample_gives_one_or_few_ranges()
    {
        Assert.Equal([KeyRange.All], Partitioner.Split([], "", 16));
        Assert.Equal([KeyRange.All], Partitioner.Split(["x"], "", 16));
        var three = Partitioner.Split(["a", "b", "c"], "", 16);
        AssertTiles(three, ["a", "b", "c"]);
        Assert.True(three.Count <= 3);
    }

    [Fact]
    public void Payloads_round_trip_and_a_newer_version_is_refused_not_guessed()
    {
        var state = new PartitionState("m1", 3, "a", "b", 1000, 10) { ListedThrough = "a/x", Pages = 4, Totals = new BatchTotals { Copied = 7 } };
        var back = Payload.Read<PartitionState>(Payload.Write(state));
        Assert.Equal(("a/x", 4, 7L), (back.ListedThrough, back.Pages, back.Totals.Copied));

        var newer = Payload.Write(state with { Version = Payload.CurrentVersion + 1 });
        var e = Assert.Throws<JsonException>(() => Payload.Read<PartitionState>(newer));
        Assert.Contains("same Skybridge version on every worker", e.Message);

        // DTFx stores an orchestration's string output / custom status as a JSON string.
        Assert.Equal(7, Payload.ReadStored<PartitionState>(JsonSerializer.Serialize(Payload.Write(state))).Totals.Copied);
    }

    [Fact]
    public void Totals_add_up_and_keep_only_the_most_common_failure_reasons()
    {
        var sum = new BatchTotals();
        for (int i = 0; i < 15; i++)
            sum += new BatchTotals { Failed = i + 1, Copied = 1, BytesCopied = 10, Rerun = i % 2, FailReasons = new Dictionary<string, long> { [$"reason {i}"] = i + 1 } };
        Assert.Equal((15L, 150L, 120L, 7L), (sum.Copied, sum.BytesCopied, sum.Failed, sum.Rerun));
        Assert.Equal(BatchTotals.MaxReasons, sum.FailReasons.Count);
        Assert.Contains("reason 14", sum.FailReasons.Keys);
        Assert.DoesNotContain("reason 0", sum.FailReasons.Keys);
    }

    [Fact]
    public void A_migration_s_deletes_are_guarded_as_sync_s_on_the_whole_migration_s_totals()
    {
        var options = new TransferOptions { Delete = true, MaxDelete = 10 };
        Assert.Null(TransferEngine.DeleteGuard(RunMode.Sync, options, failed: 0, count: 10, sourcesInScope: 500));
        Assert.Contains("1 object(s) failed", TransferEngine.DeleteGuard(RunMode.Sync, options with { Force = true }, failed: 1, count: 1, sourcesInScope: 500)); // --force never overrides a failure
        Assert.Contains("source listing is empty", TransferEngine.DeleteGuard(RunMode.Sync, options, 0, 3, sourcesInScope: 0));
        Assert.Contains("more than --max-delete 10", TransferEngine.DeleteGuard(RunMode.Sync, options, 0, 11, 500));
        Assert.Null(TransferEngine.DeleteGuard(RunMode.Sync, options with { Force = true }, 0, 11, 0));

        // Deleted outcomes count as deletes, and extras and deletes add up across partitions.
        var item = new TransferItem { Action = ItemAction.Delete, Reason = ItemReason.NotInSource, BlobName = "dst/gone" };
        var deleted = PlanBatchActivity.Count(ItemOutcome.Settled(Outcome.Deleted, "deleted"), item);
        Assert.Equal((1L, 0L, 0L), (deleted.Deleted, deleted.Skipped, deleted.Copied));
        var sum = new BatchTotals { Extras = 2 } + new BatchTotals { Extras = 3, Deleted = 1 } + deleted;
        Assert.Equal((5L, 2L), (sum.Extras, sum.Deleted));
    }

    private static MigrationStatus Status(string state, int partitions, int done, long copied, long skipped, long failed, double objectsPerSecond, long inDone = 0)
        => new("m1", state, partitions, done, copied + skipped + failed, copied, copied * 10, skipped, failed, 0, 0, 0,
            DateTime.UnixEpoch, DateTime.UnixEpoch, objectsPerSecond, 0, new Dictionary<string, long>(), null) { ObjectsInDonePartitions = inDone };

    [Fact]
    public void The_eta_comes_from_the_expected_total_or_from_the_finished_partitions_and_is_unknown_before_either()
    {
        // 2 of 10 partitions finished with 200 objects: the 8 others end at ~100 each; 300 are done in them already.
        var running = Status("running", 10, 2, copied: 400, skipped: 90, failed: 10, objectsPerSecond: 5, inDone: 200);
        Assert.Equal(new MigrationEstimate(1000, 100, "partitions"), MigrationForecast.Estimate(running));
        Assert.Equal(new MigrationEstimate(5000, 900, "expected"), MigrationForecast.Estimate(running, expectedObjects: 5000));
        Assert.Equal(new MigrationEstimate(500, 0, "expected"), MigrationForecast.Estimate(running, expectedObjects: 10)); // never below what is done
        Assert.Equal(new MigrationEstimate(null, null, "unknown"), MigrationForecast.Estimate(Status("running", 10, 0, 50, 0, 0, 5)));
        Assert.Equal(new MigrationEstimate(1000, null, "partitions"), MigrationForecast.Estimate(running with { ObjectsPerSecond = 0 })); // no rate yet
        Assert.Equal(new MigrationEstimate(700, 0, "finished"), MigrationForecast.Estimate(Status("completed", 10, 10, 700, 0, 0, 7)));
        // More finished than their share: the running ones have done more than the average, nothing negative is left.
        Assert.Equal(600, MigrationForecast.Estimate(Status("running", 4, 3, 600, 0, 0, 1, inDone: 300)).TotalObjects);
    }

    [Fact]
    public void The_rate_now_is_the_objects_finished_between_two_looks()
    {
        var before = Status("running", 4, 0, 100, 0, 0, 1);
        var after = Status("running", 4, 1, 150, 40, 10, 1);
        Assert.Equal(20, MigrationForecast.RateBetween(before, after, TimeSpan.FromSeconds(5)));
        Assert.Equal(0, MigrationForecast.RateBetween(before, after, TimeSpan.Zero));
        Assert.Equal(0, MigrationForecast.RateBetween(after, before, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void A_worker_heartbeat_round_trips_and_gives_its_throughput()
    {
        var started = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var beat = new WorkerHeartbeat("host-1", started, started.AddSeconds(50), Objects: 1000, BytesCopied: 4096, Batches: 10, Concurrency: 16) { BatchesAtOnce = 4 };
        var back = Payload.Read<WorkerHeartbeat>(Payload.Write(beat));
        Assert.Equal(beat, back);
        Assert.Equal(20, back.ObjectsPerSecond);
        Assert.Equal(0, (beat with { LastSeenUtc = started }).ObjectsPerSecond);
    }

    [Fact]
    public void Partitions_at_once_are_twice_the_live_workers_batch_slots()
    {
        var now = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        WorkerHeartbeat Beat(string name, double secondsAgo, int slots)
            => new(name, now.AddHours(-1), now.AddSeconds(-secondsAgo), 0, 0, 0, 16) { BatchesAtOnce = slots };

        // Three live workers of 2, 2 and 4 slots; one gone 31 s before the newest heartbeat is not counted.
        var workers = new[] { Beat("a", 0, 2), Beat("b", 9, 2), Beat("c", 29, 4), Beat("dead", 31, 8) };
        Assert.Equal(new PartitionsAtOnce(16, 8), PartitionsAtOnce.Auto(workers, ownSlots: 2));
        // "Gone" is measured from the newest heartbeat, not this host's clock: all stale by the clock still count.
        var old = workers.Select(w => w with { LastSeenUtc = w.LastSeenUtc.AddDays(-3) }).ToList();
        Assert.Equal(16, PartitionsAtOnce.Auto(old, ownSlots: 2).Count);
        // The asking worker is alive even before its first heartbeat; a version-2 heartbeat (no slots) counts one.
        Assert.Equal(new PartitionsAtOnce(6, 3), PartitionsAtOnce.Auto([], ownSlots: 3));
        Assert.Equal(new PartitionsAtOnce(4, 2), PartitionsAtOnce.Auto([Beat("v2", 0, 0), Beat("v2b", 1, 0)], ownSlots: 1));
        Assert.Equal(2, PartitionsAtOnce.Auto([], ownSlots: 0).Count);
    }

    [Fact]
    public void A_migration_started_by_a_version_2_build_reads_as_one_without_a_bound()
    {
        // What a version-2 build wrote: no PartitionsAtOnce; the orchestration replays it with every partition at once.
        var v2 = """{"migration_id":"m1","partitions":64,"batch_size":500,"pages_per_execution":10,"sample_limit":100000,"version":2,"split_after_pages":20}""";
        var input = Payload.Read<MigrationInput>(v2);
        Assert.Equal(2, input.Version);
        Assert.True(input.Version < Payload.PartitionsAtOnceSince);
        Assert.Equal(0, input.PartitionsAtOnce);
        var v3 = Payload.Read<MigrationInput>(Payload.Write(new MigrationInput("m2", 64, 500, 10, 100_000) { PartitionsAtOnce = 12 }));
        Assert.Equal((Payload.CurrentVersion, 12), (v3.Version, v3.PartitionsAtOnce));
        Assert.True(v3.Version >= Payload.PartitionsAtOnceSince);
    }

    [Fact]
    public void The_queue_and_table_endpoints_follow_from_the_blob_endpoint()
    {
        var (q, t) = TaskHubConnection.SiblingEndpoints(new Uri("https://acct.blob.core.windows.net"));
        Assert.Equal(("https://acct.queue.core.windows.net/", "https://acct.table.core.windows.net/"), (q.ToString(), t.ToString()));
        var (q2, t2) = TaskHubConnection.SiblingEndpoints(new Uri("https://127.0.0.1:10000/devstoreaccount1"));
        Assert.Equal(("https://127.0.0.1:10001/devstoreaccount1", "https://127.0.0.1:10002/devstoreaccount1"), (q2.ToString(), t2.ToString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ab")]
    [InlineData("1hub")]
    [InlineData("my-hub")]
    public void Task_hub_names_dtfx_refuses_are_usage_errors_with_a_fix(string? name)
    {
        var e = Assert.Throws<SkybridgeException>(() => TaskHubConnection.ValidName(name));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.NotNull(e.Fix);
    }

    private static Task<int> Run(params string[] args)
    {
        var root = new RootCommand();
        foreach (var o in CommonOptions.All) root.Options.Add(o);
        root.Subcommands.Add(MigrateCommands.Create());
        return root.Parse(args).InvokeAsync();
    }

    private const string Hub = "--hub=unit1";
    private const string Storage = "--hub-storage=https://127.0.0.1:9/devstoreaccount1";

    [Theory]
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c", "--hub-storage=https://acct.blob.core.windows.net")] // no hub
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c", "--hub=bad_name", Storage)]
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c", Hub, "--hub-storage=http://acct.blob.core.windows.net")]
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c?sv=2024&sig=abc", Hub, Storage)]
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c", Hub, Storage, "--partitions=0")]
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c", Hub, Storage, "--id=has space")]
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c", Hub, Storage, "--compare=sometimes")]
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c", Hub, Storage, "--hub-partitions=17")]
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c", Hub, Storage, "--delete", "--max-delete=-1")]
    [InlineData("migrate", "start", "s3://bucket/p", "https://acct.blob.core.windows.net/c", Hub, Storage, "--split-after=-1")]
    [InlineData("migrate", "status", "m1", Hub, Storage, "--expected-objects=-5")]
    [InlineData("migrate", "worker", Hub, Storage, "--concurrency=0")]
    [InlineData("migrate", "worker", Hub, Storage, "--max-memory=1KiB")]
    [InlineData("migrate", "report", "m1", Hub, Storage)] // no --report
    public async Task Bad_command_lines_exit_with_2_before_touching_the_task_hub(params string[] args)
        => Assert.Equal(ExitCodes.Usage, await Run(args));
}
