using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Skybridge.Diagnostics;
using Skybridge.Jobs;
using Skybridge.Transfer;

namespace Skybridge.Tests.Jobs;

public sealed class JobJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skybridge-journal-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private JobJournal Open(string name = "journal.db") => JobJournal.Open(Path.Combine(_dir, name));

    private static SourceObject Obj(string key, long size = 10, string etag = "0123456789abcdef0123456789abcdef")
        => new(key, size, etag, new DateTimeOffset(2024, 5, 1, 0, 0, 0, TimeSpan.Zero));

    private static CopyResult Copied(byte[]? md5 = null) => new(md5 ?? new byte[16], null, "md5", []);

    [Fact]
    public async Task Records_the_plan_and_each_objects_state_transitions()
    {
        var journal = Open();
        var job = journal.CreateJob("copy", "s3://b/p/", "https://a.blob.core.windows.net/c/p/", ["--block-size", "1MiB"]);
        Assert.Equal(JobJournal.Interrupted, job.Status); // until a run starts
        await using (var run = journal.StartRun(job.Id, resume: false))
        {
            Assert.Null(run.Resume);
            Assert.Equal(1, run.Session);
            Assert.Equal(JobJournal.Running, journal.Get(job.Id)!.Status);
            run.Planned(Obj("a"), "p/a", "new");
            run.Skipped(Obj("b"), "p/b", "unchanged (same size and ETag)");
            run.Failed(Obj("c\\bad"), null, "invalid blob name: backslash in name");
            run.Planned(Obj("d"), "p/d", "new");
            run.ListedThrough("d");
            run.Copying(Obj("a"), "p/a");
            run.Committed(Obj("a"), "p/a", Copied(Enumerable.Range(0, 16).Select(i => (byte)i).ToArray()));
            run.Copying(Obj("d"), "p/d");
            run.Failed(Obj("d"), "p/d", "Azure 500 InternalError: boom");
            await run.FlushAsync();

            var rows = journal.Objects(job.Id).ToDictionary(o => o.Key);
            Assert.Equal((JobJournal.Committed, "copy", 1), (rows["a"].State, rows["a"].Decision, rows["a"].Attempts));
            Assert.Equal("000102030405060708090a0b0c0d0e0f", rows["a"].Md5);
            Assert.Equal((JobJournal.Skipped, "skip"), (rows["b"].State, rows["b"].Decision));
            Assert.Equal((JobJournal.Failed, "fail"), (rows["c\\bad"].State, rows["c\\bad"].Decision));
            // A copy that failed stays a planned copy, with the failure's reason.
            Assert.Equal((JobJournal.Failed, "copy", "Azure 500 InternalError: boom"), (rows["d"].State, rows["d"].Decision, rows["d"].Reason));
            Assert.Equal("d", journal.Get(job.Id)!.ListedThrough);
            await run.FinishAsync(JobJournal.Failed, "1 object(s) failed");
        }
        var done = journal.Get(job.Id)!;
        Assert.Equal(JobJournal.Failed, done.Status);
        Assert.NotNull(done.Finished);
        Assert.True(done.CanResume);
        Assert.Equal(["--block-size", "1MiB"], done.Args);
        var counts = journal.Counts(job.Id).ToDictionary(c => c.State, c => c.Objects);
        Assert.Equal(1, counts[JobJournal.Committed]);
        Assert.Equal(2, counts[JobJournal.Failed]);
        Assert.Equal(1, counts[JobJournal.Skipped]);
    }

    [Fact]
    public async Task A_resume_gets_the_watermark_and_the_unfinished_objects_up_to_it_in_key_order()
    {
        var journal = Open();
        var job = journal.CreateJob("copy", "s3://b/", "https://a.blob.core.windows.net/c/", []);
        await using (var run = journal.StartRun(job.Id, resume: false))
        {
            foreach (var k in new[] { "a", "b", "c", "d", "e" }) run.Planned(Obj(k), k, "new");
            run.ListedThrough("d");
            run.Copying(Obj("a"), "a");
            run.Committed(Obj("a"), "a", Copied());
            run.Copying(Obj("b"), "b");                 // interrupted mid-copy
            run.Copying(Obj("c"), "c");
            run.Failed(Obj("c"), "c", "S3 500 InternalError: x");
            await run.FinishAsync(JobJournal.Interrupted);
        }
        await using var resumed = journal.StartRun(job.Id, resume: true);
        Assert.Equal(2, resumed.Session);
        Assert.Equal(new ResumePoint("d", 5), resumed.Resume);
        var unfinished = new List<string>();
        await foreach (var u in resumed.UnfinishedAsync(default)) unfinished.Add(u.Source.Key);
        // e was decided after the watermark: the listing resumed after d decides it again.
        Assert.Equal(["b", "c", "d"], unfinished);
        Assert.Equal(JobJournal.Running, journal.Get(job.Id)!.Status);
        await resumed.FinishAsync(JobJournal.Completed);
        var sessions = journal.Sessions(job.Id);
        Assert.Equal([JobJournal.Interrupted, JobJournal.Completed], sessions.Select(s => s.Status));
        Assert.Equal("d", sessions[1].ResumedAfter);
        Assert.False(journal.Get(job.Id)!.CanResume);
    }

    [Fact]
    public async Task Reopens_after_an_unclean_close_with_every_committed_write_and_reports_the_dead_run_as_interrupted()
    {
        var journal = Open();
        var job = journal.CreateJob("copy", "s3://b/", "https://a.blob.core.windows.net/c/", []);
        var run = journal.StartRun(job.Id, resume: false);
        run.Planned(Obj("big"), "big", "new");
        run.ListedThrough("big");
        run.Copying(Obj("big"), "big");
        for (int i = 0; i < 3; i++) run.BlockStaged(Obj("big"), "big", i, $"id{i}", 100, new byte[16], reused: false);
        await run.FlushAsync();

        // What a kill -9 leaves on disk: the database and its WAL, never checkpointed, connections open.
        var crashed = Path.Combine(_dir, "crashed.db");
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            if (File.Exists(journal.Path + suffix)) File.Copy(journal.Path + suffix, crashed + suffix);
        Assert.True(new FileInfo(crashed + "-wal").Length > 0, "the writes are in the WAL");
        await run.DisposeAsync();

        var reopened = JobJournal.Open(crashed);
        var seen = reopened.Get(job.Id)!;
        Assert.Equal(JobJournal.Running, seen.Status);
        Assert.Equal("big", seen.ListedThrough);
        Assert.Equal(JobJournal.Copying, reopened.Objects(job.Id).Single().State);
        Assert.Equal(3, reopened.Blocks(job.Id, "big").Count);

        // The process that ran it is gone: shown as interrupted, and resumable.
        using (var c = new SqliteConnection($"Data Source={crashed};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE jobs SET pid = $pid";
            cmd.Parameters.AddWithValue("$pid", DeadPid());
            cmd.ExecuteNonQuery();
        }
        seen = reopened.Get(job.Id)!;
        Assert.True(seen.ProcessGone);
        Assert.Equal(JobJournal.Interrupted, seen.DisplayStatus);
        Assert.True(seen.CanResume);
        await using var resumed = reopened.StartRun(job.Id, resume: true);
        Assert.Equal("big", resumed.Resume!.ListedThrough);
        Assert.Equal([JobJournal.Killed, JobJournal.Running], reopened.Sessions(job.Id).Select(s => s.Status));
    }

    [Fact]
    public async Task A_job_still_running_in_a_live_process_cannot_be_started_twice()
    {
        var journal = Open();
        var job = journal.CreateJob("copy", "s3://b/", "https://a.blob.core.windows.net/c/", []);
        var run = journal.StartRun(job.Id, resume: false);
        try
        {
            var e = Assert.Throws<SkybridgeException>(() => journal.StartRun(job.Id, resume: true));
            Assert.Contains("is running", e.Message);
            Assert.Null(journal.FindResumable("copy", "s3://b/", "https://a.blob.core.windows.net/c/"));
        }
        finally
        {
            await run.DisposeAsync();
        }
        Assert.Equal(job.Id, journal.FindResumable("copy", "s3://b/", "https://a.blob.core.windows.net/c/")!.Id);
    }

    [Fact]
    public async Task Many_workers_writing_at_once_lose_nothing_and_batch_their_transactions()
    {
        var journal = Open();
        var job = journal.CreateJob("copy", "s3://b/", "https://a.blob.core.windows.net/c/", []);
        const int workers = 8, perWorker = 500;
        await using var run = journal.StartRun(job.Id, resume: false);
        for (int i = 0; i < workers * perWorker; i++) run.Planned(Obj($"k{i:D5}"), $"k{i:D5}", "new");
        run.ListedThrough($"k{workers * perWorker - 1:D5}");
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() =>
        {
            for (int i = w * perWorker; i < (w + 1) * perWorker; i++)
            {
                var o = Obj($"k{i:D5}");
                run.Copying(o, o.Key);
                run.BlockStaged(o, o.Key, 0, "id0", 10, new byte[16], reused: false);
                run.BlockStaged(o, o.Key, 1, "id1", 10, new byte[16], reused: false);
                run.Committed(o, o.Key, Copied());
            }
        })));
        await run.FinishAsync(JobJournal.Completed);
        var counts = journal.Counts(job.Id);
        Assert.Equal(workers * perWorker, Assert.Single(counts, c => c.State == JobJournal.Committed).Objects);
        Assert.Single(counts);
        Assert.Equal(2 * workers * perWorker, journal.Blocks(job.Id).Count);
        Assert.All(journal.Objects(job.Id), o => Assert.Equal(1, o.Attempts));
        var (transactions, operations, _) = run.WriteCounts;
        Assert.Equal(workers * perWorker * 5L + 1, operations); // 5 per object, and the watermark
        Assert.True(transactions < operations / 10, $"{transactions} transactions for {operations} operations");
    }

    [Fact]
    public async Task State_updates_queued_together_are_written_once_and_leave_the_rows_as_one_by_one_would()
    {
        var journal = Open();
        var job = journal.CreateJob("copy", "s3://b/", "https://a.blob.core.windows.net/c/", []);
        await using var run = journal.StartRun(job.Id, resume: false);
        foreach (var k in new[] { "a", "b", "c" }) run.Planned(Obj(k), k, "new");
        await run.FlushAsync();
        var before = run.WriteCounts;
        var md5 = Enumerable.Range(0, 16).Select(i => (byte)(i * 3)).ToArray();
        using (var holder = new SqliteConnection($"Data Source={Path.Combine(_dir, "journal.db")}"))
        {
            // Another connection holds the write lock: everything below queues up and goes in one batch.
            holder.Open();
            using var hold = holder.BeginTransaction();
            run.Copying(Obj("a"), "a");
            run.Committed(Obj("a"), "a", Copied(md5));
            run.Copying(Obj("b"), "b");
            run.Failed(Obj("b"), "b", "Azure 500 InternalError: boom"); // an upsert of the row: nothing merges across it
            run.Copying(Obj("b"), "b");
            run.Committed(Obj("b"), "b", Copied());
            run.Copying(Obj("c"), "c");
            await Task.Delay(300);
            hold.Rollback();
        }
        await run.FlushAsync();
        var after = run.WriteCounts;

        Assert.Equal(1, after.Transactions - before.Transactions);
        Assert.Equal(8, after.Operations - before.Operations); // 7 and the flush
        Assert.Equal(6, after.Statements - before.Statements); // a 1, b 3, c 1, and the heartbeat
        var rows = journal.Objects(job.Id).ToDictionary(o => o.Key);
        Assert.Equal((JobJournal.Committed, 1, Convert.ToHexStringLower(md5)), (rows["a"].State, rows["a"].Attempts, rows["a"].Md5));
        Assert.Equal("verified by md5", rows["a"].Reason);
        Assert.Equal((JobJournal.Committed, 2, "verified by md5"), (rows["b"].State, rows["b"].Attempts, rows["b"].Reason));
        Assert.Equal((JobJournal.Copying, 1, "new"), (rows["c"].State, rows["c"].Attempts, rows["c"].Reason));
    }

    [Fact]
    public async Task Nothing_secret_is_stored()
    {
        const string sasSignature = "sig=Zm9vYmFyYmF6cXV4c2VjcmV0c2lnbmF0dXJl";
        const string registered = "AKIDSECRETSESSIONTOKEN0123456789";
        SecretRedactor.Register(registered);
        var presigned = "https://bucket.s3.amazonaws.com/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20240101&X-Amz-Signature=deadbeefcafe0123&X-Amz-Security-Token=FwoGZXIvYXdzEJr";
        var jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9hd3MifQ.c2lnbmF0dXJl";
        var journal = Open("secrets.db");
        var job = journal.CreateJob("copy", "s3://b/p/", $"https://a.blob.core.windows.net/c/p/?sv=2024-01-01&{sasSignature}",
            ["--role-arn", "arn:aws:iam::123:role/r", "--audience", "api://aws", "--s3-endpoint", $"https://s3.local/?{sasSignature}"], notes: "token " + jwt);
        await using (var run = journal.StartRun(job.Id, resume: false))
        {
            run.Planned(Obj("a"), "p/a", "new");
            run.Copying(Obj("a"), "p/a");
            run.Failed(Obj("a"), "p/a", $"Azure 403 CannotVerifyCopySource: Put Block From URL {presigned} failed; session {registered}; token {jwt}");
            await run.FinishAsync(JobJournal.Failed, "stopped: " + presigned);
        }
        var stored = journal.Get(job.Id)!;
        Assert.Equal("https://a.blob.core.windows.net/c/p/", stored.Destination);
        Assert.Contains("arn:aws:iam::123:role/r", stored.Args);
        Assert.Contains("https://bucket.s3.amazonaws.com/key", journal.Objects(job.Id).Single().Reason);

        // Scan every byte the journal wrote (database and WAL).
        var bytes = new List<byte>();
        foreach (var f in Directory.GetFiles(_dir, "secrets.db*")) bytes.AddRange(File.ReadAllBytes(f));
        var text = Encoding.UTF8.GetString(bytes.ToArray());
        foreach (var secret in new[] { "Zm9vYmFyYmF6cXV4c2VjcmV0c2lnbmF0dXJl", registered, "deadbeefcafe0123", "FwoGZXIvYXdzEJr", "ASIAEXAMPLE", jwt, "X-Amz-Signature" })
            Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public void Job_ids_are_found_by_unique_prefix()
    {
        var journal = Open();
        var a = journal.CreateJob("copy", "s3://b/", "https://a.blob.core.windows.net/c/", []);
        Assert.Equal(a.Id, journal.Get(a.Id[..^2])!.Id);
        Assert.Null(journal.Get("nope"));
        Assert.Equal(a.Id, journal.List().Single().Id);
        Assert.True(journal.Delete(a.Id));
        Assert.Empty(journal.List());
    }

    private static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }
}
