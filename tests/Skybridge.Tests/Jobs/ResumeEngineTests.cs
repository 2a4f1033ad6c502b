using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Skybridge.Providers.AzureBlob;
using Skybridge.Jobs;
using Skybridge.Tests.Transfer;
using Skybridge.Transfer;

namespace Skybridge.Tests.Jobs;

/// <summary>The engine with a job journal: interrupted, then resumed (in memory, no sandbox).</summary>
public sealed class ResumeEngineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skybridge-resume-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>A FakeSource that can start its listing after a key and look one key up, and counts what it listed.</summary>
    private sealed class ResumableSource(FakeSource inner) : IObjectSource, IResumableSource
    {
        public int Listed;
        public string? StartedAfter;
        /// <summary>Set once the listing has handed out this key.</summary>
        public readonly TaskCompletionSource Reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string? ReachKey;
        public string Describe => inner.Describe;
        public string Bucket => inner.Bucket;
        public string Prefix => inner.Prefix;
        public SourceCapabilities Capabilities => inner.Capabilities with { ListAfter = this };

        public async IAsyncEnumerable<SourceObject> ListAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await foreach (var o in inner.ListAsync(ct))
            {
                Listed++;
                if (o.Key == ReachKey) Reached.TrySetResult();
                yield return o;
            }
        }

        public async IAsyncEnumerable<SourceObject> ListAfterAsync(string startAfter, [EnumeratorCancellation] CancellationToken ct)
        {
            StartedAfter = startAfter;
            await foreach (var o in inner.ListAsync(ct))
                if (Utf8Ordinal.Instance.Compare(o.Key, startAfter) > 0) { Listed++; yield return o; }
        }

        public async Task<SourceObject?> GetAsync(string key, CancellationToken ct)
        {
            await foreach (var o in inner.ListAsync(ct)) if (o.Key == key) return o;
            return null;
        }

        public Task<SourceProperties> ReadAsync(SourceObject obj, long offset, Memory<byte> destination, CancellationToken ct) => inner.ReadAsync(obj, offset, destination, ct);
        public Task<IReadOnlyList<long>?> GetPartSizesAsync(SourceObject obj, int partCount, CancellationToken ct) => inner.GetPartSizesAsync(obj, partCount, ct);
        public Task<IReadOnlyDictionary<string, string>> GetTagsAsync(SourceObject obj, CancellationToken ct) => inner.GetTagsAsync(obj, ct);
    }

    private static readonly TransferOptions Options = new()
    {
        Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 2 },
        Concurrency = 1, // the listing stalls behind the big object, so the watermark is mid-listing when interrupted
        ListingReadAhead = 0, // ...which needs the listing to be read only as the engine decides (ReachKey below)
    };

    [Fact]
    public async Task An_interrupted_copy_resumes_from_its_staged_blocks_and_the_watermark_without_recopying_finished_objects()
    {
        var fake = new FakeSource();
        var data = new Dictionary<string, byte[]>
        {
            ["a"] = Bytes(300, 1),
            ["b"] = Bytes(400, 2),
            ["m/big.bin"] = Bytes(10_500, 3), // 11 blocks of 1000
        };
        for (int i = 0; i < 10; i++) data[$"z/{i:D2}"] = Bytes(100, 10 + i);
        foreach (var (k, v) in data) fake.Put(k, v);
        var src = new ResumableSource(fake);
        var dst = new FakeDestination();
        var journal = JobJournal.Open(Path.Combine(_dir, "journal.db"));
        var job = journal.CreateJob("copy", src.Describe, dst.Describe, []);

        // Run 1: Ctrl-C while block 6 of the big object is read, once the listing is stalled behind it
        // (the producer has listed z/02 and waits for room in the queue).
        using var cts = new CancellationTokenSource();
        src.ReachKey = "z/02";
        fake.BeforeRead = (o, offset) =>
        {
            if (o.Key != "m/big.bin" || offset < 6000) return;
            Assert.True(src.Reached.Task.Wait(TimeSpan.FromSeconds(10)));
            cts.Cancel();
        };
        await using (var run = journal.StartRun(job.Id, resume: false))
        {
            var engine = new TransferEngine(src, dst, Options, new TransferStats()) { Journal = run };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.RunAsync(RunMode.Copy, cts.Token));
            await run.FinishAsync(JobJournal.Interrupted);
        }
        Assert.False(dst.Blobs.ContainsKey("m/big.bin")); // never half-visible: no commit without every block
        var rows = journal.Objects(job.Id).ToDictionary(o => o.Key);
        Assert.Equal(JobJournal.Committed, rows["a"].State);
        Assert.Equal(JobJournal.Committed, rows["b"].State);
        Assert.Equal(JobJournal.Copying, rows["m/big.bin"].State);
        var watermark = journal.Get(job.Id)!.ListedThrough!;
        Assert.StartsWith("z/", watermark); // decided past the big object, not to the end
        Assert.NotEqual("z/09", watermark);
        var staged = await dst.GetUncommittedBlocksAsync("m/big.bin", default);
        Assert.InRange(staged.Count, 5, 10);
        var firstRunBlocks = journal.Blocks(job.Id, "m/big.bin");
        Assert.All(firstRunBlocks, b => Assert.Contains(staged, s => s.Id == b.BlockId)); // the journal never claims more than the service has
        var aWritten = dst.Blobs["a"].Modified;
        var (puts, stagedCalls) = (dst.Puts, dst.StagedBlocks);

        // Run 2: resume.
        fake.BeforeRead = null;
        src.Listed = 0;
        var stats = new TransferStats();
        await using (var run = journal.StartRun(job.Id, resume: true))
        {
            var engine = new TransferEngine(src, dst, Options, stats) { Journal = run };
            var result = await engine.RunAsync(RunMode.Copy, CancellationToken.None);
            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            await run.FinishAsync(JobJournal.Completed, stats: stats);
        }

        foreach (var (k, v) in data)
        {
            Assert.Equal(v, dst.Blobs[k].Data);
            Assert.Equal(MD5.HashData(v), dst.Blobs[k].Write.ContentMd5);
        }
        // Only the missing blocks went up; the kept ones were re-read (to hash), not re-sent.
        Assert.Equal(11 - staged.Count, dst.StagedBlocks - stagedCalls);
        var session2 = journal.Blocks(job.Id, "m/big.bin").Where(b => b.Session == 2).ToList();
        Assert.Equal(staged.Select(s => s.Id).Order(), session2.Where(b => b.Reused).Select(b => b.BlockId).Order());
        Assert.Equal(11 - staged.Count, session2.Count(b => !b.Reused));
        Assert.DoesNotContain(session2.Where(b => !b.Reused), b => staged.Any(s => s.Id == b.BlockId));
        // Finished objects were not copied again; the listing restarted after the watermark.
        Assert.Equal(aWritten, dst.Blobs["a"].Modified);
        Assert.Equal(10, dst.Puts - puts); // the ten z/* objects, not a or b
        Assert.Equal(watermark, src.StartedAfter);
        Assert.Equal(data.Keys.Count(k => Utf8Ordinal.Instance.Compare(k, watermark) > 0), src.Listed);
        Assert.Equal(JobJournal.Completed, journal.Get(job.Id)!.Status);
        Assert.All(journal.Objects(job.Id), o => Assert.Equal(JobJournal.Committed, o.State));
        Assert.Equal(1, journal.Objects(job.Id).Single(o => o.Key == "a").Session);
    }

    [Fact]
    public async Task An_object_decided_before_the_interruption_but_not_yet_passed_by_the_watermark_is_copied_once()
    {
        var fake = new FakeSource();
        var a = fake.Put("a", Bytes(100, 1));
        var b = fake.Put("b", Bytes(100, 2));
        fake.Put("c", Bytes(100, 3));
        var src = new ResumableSource(fake);
        var dst = new FakeDestination();
        var journal = JobJournal.Open(Path.Combine(_dir, "twice.db"));
        var job = journal.CreateJob("copy", src.Describe, dst.Describe, []);
        // Run 1 as a Ctrl-C can leave it: "b" was decided (and queued) while the queue was full, so the
        // watermark never moved past "a".
        await using (var run = journal.StartRun(job.Id, resume: false))
        {
            run.Planned(a, "a", "new");
            run.ListedThrough("a");
            run.Planned(b, "b", "new");
            await run.FinishAsync(JobJournal.Interrupted);
        }

        // Run 2: "b" is resumed from the journal, and the listing (after "a") meets it again.
        await using (var run = journal.StartRun(job.Id, resume: true))
        {
            var engine = new TransferEngine(src, dst, Options, new TransferStats()) { Journal = run };
            Assert.Equal(ExitCodes.Ok, (await engine.RunAsync(RunMode.Copy, CancellationToken.None)).ExitCode);
            await run.FinishAsync(JobJournal.Completed);
        }
        Assert.Equal(3, dst.Puts); // a, b and c once each
        Assert.All(journal.Objects(job.Id), o => Assert.Equal((JobJournal.Committed, "copy"), (o.State, o.Decision)));
    }

    [Fact]
    public async Task Staged_blocks_of_an_object_that_changed_since_are_not_reused()
    {
        var fake = new FakeSource();
        var old = Bytes(5500, 1);
        var obj = fake.Put("big", old);
        var src = new ResumableSource(fake);
        var dst = new FakeDestination();
        var journal = JobJournal.Open(Path.Combine(_dir, "changed.db"));
        var job = journal.CreateJob("copy", src.Describe, dst.Describe, []);
        using var cts = new CancellationTokenSource();
        fake.BeforeRead = (o, offset) => { if (offset >= 3000) cts.Cancel(); };
        await using (var run = journal.StartRun(job.Id, resume: false))
        {
            var engine = new TransferEngine(src, dst, Options, new TransferStats()) { Journal = run };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.RunAsync(RunMode.Copy, cts.Token));
            await run.FinishAsync(JobJournal.Interrupted);
        }
        Assert.NotEmpty(await dst.GetUncommittedBlocksAsync("big", default));

        fake.BeforeRead = null;
        var changed = Bytes(5500, 2);
        fake.Put("big", changed); // overwritten between the runs: new ETag
        var before = dst.StagedBlocks;
        await using (var run = journal.StartRun(job.Id, resume: true))
        {
            var engine = new TransferEngine(src, dst, Options, new TransferStats()) { Journal = run };
            Assert.Equal(ExitCodes.Ok, (await engine.RunAsync(RunMode.Copy, CancellationToken.None)).ExitCode);
            await run.FinishAsync(JobJournal.Completed);
        }
        Assert.Equal(changed, dst.Blobs["big"].Data);
        Assert.Equal(6, dst.StagedBlocks - before); // every block staged again, for the new version
        Assert.DoesNotContain(journal.Blocks(job.Id, "big"), b => b.Session == 2 && b.Reused);
        Assert.NotEqual(obj.ETag, journal.Objects(job.Id).Single().ETag);
    }

    [Fact]
    public async Task A_staged_block_whose_bytes_differ_from_the_journal_md5_is_staged_again()
    {
        var fake = new FakeSource();
        var data = Bytes(3500, 4);
        var obj = fake.Put("big", data);
        var src = new ResumableSource(fake);
        var dst = new FakeDestination();
        var journal = JobJournal.Open(Path.Combine(_dir, "md5.db"));
        var job = journal.CreateJob("copy", src.Describe, dst.Describe, []);
        var plan = AzureBlockBlob.Plan(data.Length, 1000);
        var id0 = AzureBlockBlob.BlockId(0, obj.ETag, 1000);
        var id1 = AzureBlockBlob.BlockId(1, obj.ETag, 1000);
        await using (var run = journal.StartRun(job.Id, resume: false))
        {
            run.Planned(obj, "big", "new");
            run.ListedThrough("big");
            run.Copying(obj, "big");
            // Block 0 staged as recorded; block 1 recorded with an MD5 its staged bytes do not have.
            dst.StageRaw("big", id0, data[..1000]);
            run.BlockStaged(obj, "big", 0, id0, 1000, MD5.HashData(data.AsSpan(0, 1000)), reused: false);
            dst.StageRaw("big", id1, new byte[1000]);
            run.BlockStaged(obj, "big", 1, id1, 1000, MD5.HashData(new byte[1000]), reused: false);
            await run.FinishAsync(JobJournal.Interrupted);
        }
        var before = dst.StagedBlocks;
        await using (var run = journal.StartRun(job.Id, resume: true))
        {
            var engine = new TransferEngine(src, dst, Options, new TransferStats()) { Journal = run };
            Assert.Equal(ExitCodes.Ok, (await engine.RunAsync(RunMode.Copy, CancellationToken.None)).ExitCode);
            await run.FinishAsync(JobJournal.Completed);
        }
        Assert.Equal(data, dst.Blobs["big"].Data);
        Assert.Equal(plan.BlockCount - 1, dst.StagedBlocks - before); // all but block 0
    }

    [Fact]
    public async Task A_blob_committed_just_before_the_kill_is_not_copied_again()
    {
        var fake = new FakeSource();
        var obj = fake.Put("x", Bytes(2500, 5));
        var src = new ResumableSource(fake);
        var dst = new FakeDestination();
        // The previous run committed x, then died before its journal said so.
        await new TransferEngine(src, dst, Options, new TransferStats()).RunAsync(RunMode.Copy, CancellationToken.None);
        var journal = JobJournal.Open(Path.Combine(_dir, "late.db"));
        var job = journal.CreateJob("copy", src.Describe, dst.Describe, []);
        await using (var run = journal.StartRun(job.Id, resume: false))
        {
            run.Planned(obj, "x", "new");
            run.ListedThrough("x");
            run.Copying(obj, "x");
        }
        var (puts, staged, commits) = (dst.Puts, dst.StagedBlocks, dst.Commits);
        await using (var run = journal.StartRun(job.Id, resume: true))
        {
            var stats = new TransferStats();
            var engine = new TransferEngine(src, dst, Options, stats) { Journal = run };
            await engine.RunAsync(RunMode.Copy, CancellationToken.None);
            Assert.Equal(1, stats.Skipped);
            await run.FinishAsync(JobJournal.Completed);
        }
        Assert.Equal((puts, staged, commits), (dst.Puts, dst.StagedBlocks, dst.Commits));
        Assert.Equal(JobJournal.Skipped, journal.Objects(job.Id).Single().State);
    }
}
