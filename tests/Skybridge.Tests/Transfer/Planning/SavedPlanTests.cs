using System.Text;
using Skybridge.Jobs;
using Skybridge.Transfer;
using Skybridge.Transfer.Planning;

namespace Skybridge.Tests.Transfer.Planning;

/// <summary>
/// A saved plan (plan --save, then apply): the file round-trips every decision, is refused whole
/// when it is not a complete plan, and applying it gives what a copy or sync of the same state gives.
/// </summary>
public sealed class SavedPlanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skybridge-plan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static TransferOptions Small(TransferOptions? o = null) => (o ?? new TransferOptions()) with
    {
        Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 4 },
        Concurrency = 4,
    };

    private static byte[] Bytes(int n, int seed) => Skybridge.Contracts.ContractData.Bytes(n, seed);

    private static FakeSource Seed()
    {
        var src = new FakeSource();
        src.Put("a.txt", Encoding.UTF8.GetBytes("hello"));
        src.Put("dir/", []);                                            // directory marker: skipped
        src.Put("dir/big.bin", Bytes(5500, 1));                         // blocks
        src.Put("dir/multi.bin", Bytes(4200, 2), parts: [2000, 2000, 200]);
        src.Put("same.bin", Bytes(300, 3));
        src.Put("bad\\name", Bytes(10, 4));                             // invalid blob name: skipped
        return src;
    }

    /// <summary>Plans into a file (the plan run's engine), as 'plan --save' does.</summary>
    private async Task<(SavedPlan Plan, RunResult Result)> PlanAsync(FakeSource src, FakeDestination dst, TransferOptions options, string name = "plan.jsonl")
    {
        var path = PathOf(name);
        var spec = new JobSpec { Mode = options.Delete ? RunMode.Sync : RunMode.Copy, Source = "s3://bucket/", Destination = "https://acct.blob.core.windows.net/c/", Options = options };
        RunResult result;
        using (var writer = SavedPlan.Create(path, spec))
        {
            var engine = new TransferEngine(src, dst, options, new TransferStats()) { Observers = [writer] };
            result = await engine.RunAsync(RunMode.Plan, CancellationToken.None);
            writer.Complete(result);
        }
        return (SavedPlan.Open(path), result);
    }

    private static async Task<(RunResult Result, ListReport Report)> ApplyAsync(FakeSource src, FakeDestination dst, SavedPlan plan)
    {
        var report = new ListReport();
        var engine = new TransferEngine(src, dst, plan.Spec.Options, new TransferStats(), report);
        return (await engine.ApplyAsync(plan.Spec.Mode, plan.EntriesAsync(CancellationToken.None), CancellationToken.None), report);
    }

    private static async Task<(RunResult Result, ListReport Report)> RunAsync(FakeSource src, FakeDestination dst, RunMode mode, TransferOptions options)
    {
        var report = new ListReport();
        var engine = new TransferEngine(src, dst, options, new TransferStats(), report);
        return (await engine.RunAsync(mode, CancellationToken.None), report);
    }

    private static void Write(FakeDestination d, string name, byte[] data, int secondsLater = 0)
        => d.Blobs[name] = (data, new BlobWrite { ContentMd5 = [] }, DateTimeOffset.UtcNow.AddSeconds(secondsLater));

    private static string[] Lines(ListReport r)
        => r.Entries.Select(e => $"{e.SourceKey}|{e.BlobName}|{e.Outcome}|{e.Reason}|{e.Md5}").Order(StringComparer.Ordinal).ToArray();

    private static string[] Contents(FakeDestination d)
        => d.Blobs.Select(b => $"{b.Key}|{Convert.ToHexString(b.Value.Data)}|{string.Join(",", b.Value.Write.Metadata.Where(m => m.Key != "skybridge_copied_at").Select(m => m.Key + "=" + m.Value))}").ToArray();

    [Fact]
    public async Task Applying_a_saved_plan_gives_the_destination_and_report_a_copy_gives()
    {
        var options = Small();
        var src = Seed();
        var planned = new FakeDestination();
        var copied = new FakeDestination();
        // Both destinations start with same.bin up to date (same bytes, same ETag), so both runs skip it.
        var earlier = new FakeSource();
        earlier.Put("same.bin", Bytes(300, 3));
        foreach (var d in new[] { planned, copied })
            await RunAsync(earlier, d, RunMode.Copy, options);

        var (plan, planResult) = await PlanAsync(src, planned, options);
        Assert.Equal(ExitCodes.Ok, planResult.ExitCode);
        Assert.Single(planned.Blobs); // planning wrote nothing
        Assert.Equal(3, plan.Totals.Copies); // a.txt, big.bin, multi.bin; same.bin is up to date
        Assert.Equal(0, plan.Totals.Deletes);

        var (applied, applyReport) = await ApplyAsync(src, planned, plan);
        var (copy, copyReport) = await RunAsync(src, copied, RunMode.Copy, options);

        Assert.Equal(copy.ExitCode, applied.ExitCode);
        Assert.Equal(3, applied.Stats.Copied);
        Assert.Equal(copy.Stats.Skipped, applied.Stats.Skipped);
        Assert.Equal(Contents(copied), Contents(planned));
        Assert.Equal(Lines(copyReport), Lines(applyReport));
    }

    [Fact]
    public async Task Applying_again_copies_nothing_twice_and_a_blob_changed_since_the_plan_is_neither_overwritten_nor_deleted()
    {
        var options = Small() with { Delete = true };
        var src = Seed();
        var dst = new FakeDestination();
        Write(dst, "extra-1", Bytes(5, 9));
        Write(dst, "extra-2", Bytes(5, 10));
        var (plan, _) = await PlanAsync(src, dst, options);
        Assert.Equal(RunMode.Sync, plan.Spec.Mode);
        Assert.Equal(4, plan.Totals.Copies);
        Assert.Equal(2, plan.Totals.Deletes);

        // After the plan: someone writes a.txt and replaces extra-2.
        Write(dst, "a.txt", Encoding.UTF8.GetBytes("someone else's"));
        Write(dst, "extra-2", Bytes(7, 11), secondsLater: 1);

        var (first, report) = await ApplyAsync(src, dst, plan);
        Assert.Equal(3, first.Stats.Copied);
        Assert.Equal(1, first.Stats.Failed);
        Assert.Equal(Outcome.Failed, report.For("a.txt").Outcome);
        Assert.Contains("the destination blob changed after the plan was made (a blob was written where the plan saw none)", report.For("a.txt").Reason);
        Assert.Equal("someone else's", Encoding.UTF8.GetString(dst.Blobs["a.txt"].Data));
        // A failure blocks every delete, as in sync: both extras stay.
        Assert.NotNull(first.DeleteRefused);
        Assert.True(dst.Blobs.ContainsKey("extra-1") && dst.Blobs.ContainsKey("extra-2"));

        // The next plan sees the new state; applying it deletes extra-1 once, and again changes nothing.
        dst.Blobs.Remove("a.txt");
        var (second, _) = await PlanAsync(src, dst, options, "second.jsonl");
        Write(dst, "extra-2", Bytes(8, 12), secondsLater: 2); // replaced again after this plan
        var (again, againReport) = await ApplyAsync(src, dst, second);
        Assert.Equal(1, again.Stats.Copied); // a.txt only: the rest records this source version already
        Assert.Equal(1, again.Stats.Deleted);
        Assert.False(dst.Blobs.ContainsKey("extra-1"));
        Assert.True(dst.Blobs.ContainsKey("extra-2"));
        Assert.Contains("the blob was replaced", againReport.For("extra-2").Reason);

        var (third, thirdReport) = await ApplyAsync(src, dst, second);
        Assert.Equal(0, third.Stats.Copied);
        Assert.Equal(0, third.Stats.Deleted);
        Assert.Equal("already applied (the blob records this source version)", thirdReport.For("a.txt").Reason);
        Assert.Equal("no longer in the destination", thirdReport.For("extra-1").Reason);
    }

    [Fact]
    public async Task A_plan_that_is_incomplete_edited_foreign_or_newer_is_refused_before_anything_is_applied()
    {
        var (plan, _) = await PlanAsync(Seed(), new FakeDestination(), Small());
        var lines = File.ReadAllLines(plan.Path);

        void Refused(string name, string[] content, string expected)
        {
            File.WriteAllLines(PathOf(name), content);
            var e = Assert.Throws<SkybridgeException>(() => SavedPlan.Open(PathOf(name)));
            Assert.Equal(ErrorKind.Usage, e.Kind);
            Assert.Contains(expected, e.Message);
            Assert.NotNull(e.Fix);
        }

        Refused("cut.jsonl", lines[..^1], "is incomplete");
        Refused("dropped.jsonl", [.. lines[..2], .. lines[3..]], "is incomplete");
        Refused("after.jsonl", [.. lines, lines[1]], "a line after the plan's last line");
        Refused("garbled.jsonl", [lines[0], "{not json", .. lines[1..]], "corrupt at line 2");
        Refused("foreign.jsonl", ["{\"source_key\":\"a\"}"], "is not a Skybridge plan");
        Refused("empty.jsonl", [], "is not a Skybridge plan");
        Refused("newer.jsonl", [lines[0].Replace("\"version\":1,\"created_utc\"", "\"version\":99,\"created_utc\""), .. lines[1..]], "format version 99");
        var missing = Assert.Throws<SkybridgeException>(() => SavedPlan.Open(PathOf("missing.jsonl")));
        Assert.Equal(ErrorKind.Usage, missing.Kind);
    }

    [Fact]
    public async Task An_interrupted_plan_run_leaves_no_plan_file()
    {
        var path = PathOf("interrupted.jsonl");
        var spec = new JobSpec { Mode = RunMode.Copy, Source = "s3://bucket/", Destination = "https://acct.blob.core.windows.net/c/", Options = Small() };
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        using (var writer = SavedPlan.Create(path, spec))
        {
            var engine = new TransferEngine(Seed(), new FakeDestination(), Small(), new TransferStats()) { Observers = [writer] };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.RunAsync(RunMode.Plan, cts.Token));
        }
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Recheck_executes_only_what_the_destination_still_holds_as_the_plan_saw_it()
    {
        var source = new SourceObject("k", 3, "0cc175b9c0f1b6a831c399e269772661", DateTimeOffset.UnixEpoch);
        var seen = new DestinationBlob("k", 1, [1], DateTimeOffset.UnixEpoch, new Dictionary<string, string>());
        var copy = new TransferItem { Action = ItemAction.Copy, Reason = ItemReason.SizeDiffers, Source = source, BlobName = "k", Existing = seen };
        var delete = new TransferItem { Action = ItemAction.Delete, Reason = ItemReason.NotInSource, BlobName = "k", Existing = seen };
        var recorded = new DestinationBlob("k", 3, null, DateTimeOffset.UnixEpoch.AddDays(1), new Dictionary<string, string> { [ProvenanceKeys.SourceEtag] = source.ETag });

        Assert.Same(copy, PlanRecheck.Revise(copy, seen));
        Assert.Same(delete, PlanRecheck.Revise(delete, seen));
        Assert.Equal(ItemReason.AppliedBefore, PlanRecheck.Revise(copy, recorded).Reason);
        Assert.Equal(ItemAction.Skip, PlanRecheck.Revise(copy, recorded).Action);
        Assert.Equal(ItemReason.GoneBeforeApply, PlanRecheck.Revise(delete, null).Reason);
        Assert.Equal((ItemAction.Fail, "the blob was removed"), (PlanRecheck.Revise(copy, null).Action, PlanRecheck.Revise(copy, null).Detail));
        Assert.Equal("the blob was replaced", PlanRecheck.Revise(delete, seen with { LastModified = seen.LastModified.AddTicks(1) }).Detail);
        Assert.Equal("the blob was replaced", PlanRecheck.Revise(copy, seen with { ContentMd5 = [2] }).Detail);
        var fresh = copy with { Existing = null };
        Assert.Equal("a blob was written where the plan saw none", PlanRecheck.Revise(fresh, seen).Detail);
        Assert.Same(fresh, PlanRecheck.Revise(fresh, null));
    }
}
