using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3.Model;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Skybridge.Providers.AzureBlob;
using Skybridge.IntegrationTests.Sandbox;
using Skybridge.Jobs;

namespace Skybridge.IntegrationTests.Resume;

/// <summary>
/// Resumable jobs end to end on the sandbox (RGW + Azurite, keyless): the CLI is killed (-9) or
/// interrupted (SIGINT) in the middle of a large multi-block object, then resumed. The tests read
/// the job journal, the destination's block lists and the blobs themselves.
/// </summary>
[Collection("sandbox")]
public sealed class ResumeSandboxTests(SandboxFixture sandbox) : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
    private readonly string _dir = Directory.CreateTempSubdirectory("skybridge-it-resume-").FullName;
    private readonly List<Seeded> _seeded = [];

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The sandbox's RGW keeps everything in a 4 GiB memstore shared by every test run: leave nothing behind.</summary>
    public async Task DisposeAsync()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        var s3 = sandbox.AdminS3();
        foreach (var s in _seeded)
        {
            try
            {
                foreach (var key in s.Objects.Keys)
                    await s3.DeleteObjectAsync(sandbox.Bucket, s.Prefix + key);
                await Inspector(s).DeleteIfExistsAsync();
            }
            catch (Exception) { /* best effort */ }
        }
    }

    private static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private sealed record Seeded(string Prefix, SortedDictionary<string, byte[]> Objects, string Container)
    {
        public string Big => Objects.Keys.Single(k => k.StartsWith("m-", StringComparison.Ordinal));
    }

    /// <summary>Small objects before and after one large object (in key order), under a fresh prefix; a fresh container.</summary>
    private async Task<Seeded> SeedAsync(string test, int bigMiB, int before, int after)
    {
        var prefix = $"it-{test}-{Guid.NewGuid():N}"[..24] + "/";
        var s3 = sandbox.AdminS3();
        var objects = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < before; i++) objects[$"a/{i:D3}.txt"] = Encoding.UTF8.GetBytes($"small object {i} " + new string('x', 2000 + i));
        objects[$"m-big-{bigMiB}mib.bin"] = Random(bigMiB * MiB + 12345, 42);
        for (int i = 0; i < after; i++) objects[$"z/{i:D3}.txt"] = Encoding.UTF8.GetBytes($"late object {i} " + new string('y', 1500 + i));
        await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (o, ct) =>
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = sandbox.Bucket, Key = prefix + o.Key, InputStream = new MemoryStream(o.Value), UseChunkEncoding = false,
            }, ct));
        var seeded = new Seeded(prefix, objects, $"it-{test}-{Guid.NewGuid():N}"[..30]);
        _seeded.Add(seeded);
        return seeded;
    }

    private string Src(Seeded s) => $"s3://{sandbox.Bucket}/{s.Prefix}";
    private string Dst(Seeded s) => $"{sandbox.BlobEndpoint.TrimEnd('/')}/{s.Container}/{s.Prefix}";

    private BlobContainerClient Inspector(Seeded s) => new(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"], s.Container);

    /// <summary>The CLI as a child process we can kill (stdout/stderr drained in the background).</summary>
    private sealed class RunningCli(Process process, Task<string> stdout, Task<string> stderr) : IDisposable
    {
        public Process Process => process;
        public async Task<CliResult> WaitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(cts.Token);
            return new CliResult(process.ExitCode, await stdout, await stderr);
        }

        public void Dispose()
        {
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.Dispose();
        }
    }

    private RunningCli StartCli(params string[] args)
    {
        var psi = CliCommand.Current.StartInfo(args);
        psi.RedirectStandardOutput = psi.RedirectStandardError = psi.RedirectStandardInput = true;
        psi.UseShellExecute = false;
        psi.WorkingDirectory = sandbox.RepoRoot;
        foreach (var (k, v) in sandbox.Env) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        p.StandardInput.Close();
        return new RunningCli(p, p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
    }

    private async Task<CliResult> Cli(params string[] args)
    {
        var r = await sandbox.RunCliAsync(args, null, TimeSpan.FromMinutes(5));
        Assert.DoesNotContain("sig=", r.Stdout + r.Stderr);
        return r;
    }

    /// <summary>Polls the journal (a second reader, as 'jobs show' would be) until the big object is being copied with at least <paramref name="blocks"/> blocks staged.</summary>
    private static async Task<(JobJournal Journal, JobInfo Job)> WaitForStagedBlocksAsync(string journalPath, Seeded s, int blocks, RunningCli cli)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (cli.Process.HasExited)
                Assert.Fail("the copy ended before it could be interrupted: " + await cli.WaitAsync(TimeSpan.FromSeconds(5)));
            if (File.Exists(journalPath))
            {
                var journal = JobJournal.Open(journalPath);
                if (journal.List().SingleOrDefault() is { } job)
                {
                    var big = journal.Objects(job.Id, JobJournal.Copying).FirstOrDefault(o => o.Key == s.Prefix + s.Big);
                    if (big is not null && journal.Blocks(job.Id, big.Key).Count >= blocks) return (journal, job);
                }
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the journal never showed the big object with staged blocks");
    }

    private static async Task<HashSet<string>> UncommittedAsync(BlobContainerClient c, string blob)
    {
        try
        {
            var list = (await c.GetBlockBlobClient(blob).GetBlockListAsync(BlockListTypes.Uncommitted)).Value;
            return list.UncommittedBlocks.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return [];
        }
    }

    private static async Task<bool> ExistsAsync(BlobContainerClient c, string blob) => (await c.GetBlobClient(blob).ExistsAsync()).Value;

    private static async Task<byte[]> DownloadMd5Async(BlobContainerClient c, string blob)
    {
        using var md5 = MD5.Create();
        await using var stream = (await c.GetBlobClient(blob).DownloadStreamingAsync()).Value.Content;
        return await md5.ComputeHashAsync(stream);
    }

    [Fact]
    public async Task Kill_9_mid_object_then_resume_stages_only_the_missing_blocks_and_does_not_copy_finished_objects_again()
    {
        var s = await SeedAsync("kill", bigMiB: 40, before: 10, after: 20);
        var journalPath = Path.Combine(_dir, "journal.db");
        var inspector = Inspector(s);
        var bigBlob = s.Prefix + s.Big;
        var etag = Convert.ToHexStringLower(MD5.HashData(s.Objects[s.Big]));
        var plan = AzureBlockBlob.Plan(s.Objects[s.Big].Length, MiB);
        var ids = Enumerable.Range(0, plan.BlockCount).Select(i => AzureBlockBlob.BlockId(i, etag, MiB)).ToList();
        Assert.Equal(41, plan.BlockCount);

        // Run 1: one object at a time, 4 MiB/s, so the listing stalls behind the big object and the kill lands mid-object.
        // 2 MiB/s: ~12 s for the big object, so the SIGINT after its third block lands mid-run even when
        // the test host is slow to see the journal (in a full CI run at 4 MiB/s the copy once ended first).
        using (var cli = StartCli("copy", Src(s), Dst(s), "--journal", journalPath, "--block-size", "1MiB", "--max-bandwidth", "2MiB",
                   "--concurrency", "1", "--block-concurrency", "2", "--mode", "stream", "--progress", "none"))
        {
            await WaitForStagedBlocksAsync(journalPath, s, blocks: 8, cli);
            cli.Process.Kill(); // SIGKILL: no chance to write anything more
            await cli.Process.WaitForExitAsync();
        }

        var journal = JobJournal.Open(journalPath);
        var job = journal.List().Single();
        Assert.Equal(JobJournal.Running, job.Status);          // what the killed process left
        Assert.Equal(JobJournal.Interrupted, job.DisplayStatus); // what 'jobs show' makes of it
        var rows = journal.Objects(job.Id).ToDictionary(o => o.Key[s.Prefix.Length..]);
        Assert.Equal(JobJournal.Copying, rows[s.Big].State);
        foreach (var small in s.Objects.Keys.Where(k => k.StartsWith("a/", StringComparison.Ordinal)))
            Assert.Equal(JobJournal.Committed, rows[small].State);
        var watermark = job.ListedThrough!;
        Assert.StartsWith(s.Prefix + "z/", watermark);                 // decided past the big object...
        Assert.True(string.CompareOrdinal(watermark, s.Prefix + "z/019.txt") < 0, watermark); // ...but not to the end
        Assert.False(await ExistsAsync(inspector, bigBlob));           // never half-visible

        var stagedBefore = await UncommittedAsync(inspector, bigBlob);
        var journalBlocks = journal.Blocks(job.Id, bigBlob);
        Assert.True(stagedBefore.Count >= 8 && stagedBefore.Count < plan.BlockCount, $"{stagedBefore.Count} blocks staged");
        Assert.All(journalBlocks, b => Assert.Contains(b.BlockId, stagedBefore)); // the journal never claims a block the service lacks
        Assert.All(stagedBefore, id => Assert.Contains(id, ids));                 // and every staged block is one of this version's
        var finished = new Dictionary<string, (ETag, DateTimeOffset)>();
        foreach (var small in s.Objects.Keys.Where(k => k.StartsWith("a/", StringComparison.Ordinal)))
        {
            var p = (await inspector.GetBlobClient(s.Prefix + small).GetPropertiesAsync()).Value;
            finished[small] = (p.ETag, p.LastModified);
        }

        // Resume (without the bandwidth cap this time).
        var resumed = await Cli("jobs", "resume", job.Id[..17], "--journal", journalPath, "--max-bandwidth", "1024MiB", "--progress", "none");
        Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
        Assert.Contains($"job {job.Id}: resuming (run 2), listing after {watermark}", resumed.Stderr);

        job = journal.Get(job.Id)!;
        Assert.Equal(JobJournal.Completed, job.Status);
        Assert.All(journal.Objects(job.Id), o => Assert.Equal(JobJournal.Committed, o.State));
        var run2 = journal.Sessions(job.Id)[1];
        Assert.Equal(watermark, run2.ResumedAfter);
        Assert.Equal(s.Objects.Keys.Count(k => string.CompareOrdinal(s.Prefix + k, watermark) > 0), run2.Listed); // finished ranges not relisted

        // Only the missing blocks were staged; the kept ones are exactly those the service had.
        var blocks2 = journal.Blocks(job.Id, bigBlob).Where(b => b.Session == 2).ToList();
        Assert.Equal(plan.BlockCount, blocks2.Count);
        Assert.Equal(stagedBefore.Order(), blocks2.Where(b => b.Reused).Select(b => b.BlockId).Order());
        Assert.Equal(plan.BlockCount - stagedBefore.Count, blocks2.Count(b => !b.Reused));
        Assert.DoesNotContain(blocks2, b => !b.Reused && stagedBefore.Contains(b.BlockId));
        Assert.Equal(stagedBefore.Count, run2.BlocksReused);
        var committed = (await inspector.GetBlockBlobClient(bigBlob).GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks;
        Assert.Equal(ids, committed.Select(b => b.Name));

        // The blob is right, and what was finished before the kill was not written again.
        var props = (await inspector.GetBlobClient(bigBlob).GetPropertiesAsync()).Value;
        Assert.Equal(MD5.HashData(s.Objects[s.Big]), props.ContentHash);
        Assert.Equal(MD5.HashData(s.Objects[s.Big]), await DownloadMd5Async(inspector, bigBlob));
        foreach (var (small, (tag, modified)) in finished)
        {
            var p = (await inspector.GetBlobClient(s.Prefix + small).GetPropertiesAsync()).Value;
            Assert.Equal((tag, modified), (p.ETag, p.LastModified));
            Assert.Equal(1, journal.Objects(job.Id).Single(o => o.Key == s.Prefix + small).Session);
        }

        var verify = await Cli("verify", Src(s), Dst(s));
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
    }

    [Fact]
    public async Task Ctrl_c_mid_run_exits_130_with_a_consistent_journal_and_copy_resume_completes_the_job()
    {
        var s = await SeedAsync("sigint", bigMiB: 24, before: 5, after: 10);
        var journalPath = Path.Combine(_dir, "journal.db");
        var inspector = Inspector(s);
        var bigBlob = s.Prefix + s.Big;

        CliResult interrupted;
        string jobId;
        // 2 MiB/s: ~12 s for the big object, so the SIGINT after its third block lands mid-run even when
        // the test host is slow to see the journal (in a full CI run at 4 MiB/s the copy once ended first).
        using (var cli = StartCli("copy", Src(s), Dst(s), "--journal", journalPath, "--block-size", "1MiB", "--max-bandwidth", "2MiB",
                   "--concurrency", "2", "--mode", "stream", "--progress", "none"))
        {
            var (_, job) = await WaitForStagedBlocksAsync(journalPath, s, blocks: 3, cli);
            jobId = job.Id;
            using (var kill = Process.Start("kill", ["-INT", cli.Process.Id.ToString()])) await kill.WaitForExitAsync();
            interrupted = await cli.WaitAsync(TimeSpan.FromSeconds(60));
        }
        Assert.True(interrupted.ExitCode == 130, $"exit {interrupted.ExitCode}\n{interrupted.Stdout}\n{interrupted.Stderr}");
        Assert.Contains("interrupted", interrupted.Stderr);
        Assert.Contains($"skybridge jobs resume {jobId}", interrupted.Stderr);

        // The journal is consistent: the job says interrupted (written by the process itself), every
        // object is in a known state, what it calls committed is at the destination, and the object in
        // flight is not visible (Put Block List never ran).
        var journal = JobJournal.Open(journalPath);
        var recorded = journal.Get(jobId)!;
        Assert.Equal(JobJournal.Interrupted, recorded.Status);
        Assert.Equal(JobJournal.Interrupted, journal.Sessions(jobId).Single().Status);
        var rows = journal.Objects(jobId);
        Assert.All(rows, o => Assert.Contains(o.State, new[] { JobJournal.Pending, JobJournal.Copying, JobJournal.Committed, JobJournal.Skipped }));
        foreach (var o in rows.Where(o => o.State == JobJournal.Committed))
            Assert.Equal(s.Objects[o.Key[s.Prefix.Length..]].Length, (await inspector.GetBlobClient(o.BlobName).GetPropertiesAsync()).Value.ContentLength);
        Assert.NotEqual(JobJournal.Committed, rows.Single(o => o.Key == bigBlob).State);
        Assert.False(await ExistsAsync(inspector, bigBlob));

        var show = await Cli("jobs", "show", jobId, "--journal", journalPath);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains($"job {jobId}: interrupted", show.Stdout);
        Assert.Contains("copying   " + bigBlob, show.Stdout);
        var list = await Cli("jobs", "list", "--journal", journalPath);
        Assert.Contains("interrupted", list.Stdout);

        // copy --resume finds the job by source and destination and completes it.
        var resumed = await Cli("copy", Src(s), Dst(s), "--resume", "--journal", journalPath, "--block-size", "1MiB", "--mode", "stream", "--progress", "none");
        Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
        Assert.Contains($"job {jobId}: resuming (run 2)", resumed.Stderr);
        Assert.Equal(JobJournal.Completed, journal.Get(jobId)!.Status);
        // Committed; or, for an object whose Put Blob the service completed while Ctrl-C cancelled the
        // request (so run 1 could not record it), found unchanged by run 2 and skipped: never copied twice.
        Assert.All(journal.Objects(jobId), o => Assert.True(
            o.State == JobJournal.Committed || (o.State == JobJournal.Skipped && o.Session == 2 && o.Reason!.StartsWith("unchanged")),
            $"{o.Key}: {o.State} ({o.Reason}) in run {o.Session}"));
        Assert.True(journal.Sessions(jobId)[1].BlocksReused > 0, "the resumed run kept the blocks staged before Ctrl-C");

        var verify = await Cli("verify", Src(s), Dst(s));
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Contains("source and destination are equal", verify.Stdout);

        // Nothing secret in the journal (the sandbox identity's header and keys, tokens).
        var bytes = Encoding.UTF8.GetString(Directory.GetFiles(_dir, "journal.db*").SelectMany(File.ReadAllBytes).ToArray());
        foreach (var secret in new[] { sandbox.Env["IDENTITY_HEADER"], sandbox.AdminSecretKey, "eyJ", "X-Amz-Signature", "sig=" })
            Assert.DoesNotContain(secret, bytes);
    }
}
