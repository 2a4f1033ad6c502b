using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Microsoft.Data.Sqlite;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using Skybridge.Jobs;
using Skybridge.Transfer;

namespace Skybridge.IntegrationTests.Jobs;

/// <summary>
/// A journal written by the release before journal schema 2 (Fixtures/journal-ce5f00f.db: a job
/// killed mid-copy) is migrated when opened, and its job lists, shows and resumes to completion.
/// The fixture's job names fixed prefixes (s3://BUCKET/journal-v1-fixture/, DEST/journal-v1-fixture/):
/// the test seeds the same bytes there, so the ETags recorded in the journal still hold.
/// </summary>
[Collection("sandbox")]
public sealed class JournalMigrationTests(SandboxFixture sandbox) : IAsyncLifetime
{
    private const string JobId = "20261201-093319-1d17ba";
    private const string Prefix = "journal-v1-fixture/";
    private readonly string _dir = Directory.CreateTempSubdirectory("skybridge-it-journal-v1-").FullName;

    private static byte[] Content(int i) => Enumerable.Range(0, 64 * 1024).Select(j => (byte)((i * 31 + j * 7) % 251)).ToArray();

    private BlobContainerClient Inspector() => new(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"], new Uri(sandbox.DestUrl).AbsolutePath.Split('/')[2]);

    public async Task InitializeAsync()
    {
        var s3 = sandbox.AdminS3();
        for (int i = 0; i < 20; i++)
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = $"{Prefix}obj-{i:D2}.bin", InputStream = new MemoryStream(Content(i)), UseChunkEncoding = false });
        await foreach (var blob in Inspector().GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = Prefix })) await Inspector().DeleteBlobAsync(blob.Name);
    }

    public async Task DisposeAsync()
    {
        var s3 = sandbox.AdminS3();
        for (int i = 0; i < 20; i++) await s3.DeleteObjectAsync(sandbox.Bucket, $"{Prefix}obj-{i:D2}.bin");
        await foreach (var blob in Inspector().GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = Prefix })) await Inspector().DeleteBlobAsync(blob.Name);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_journal_of_the_previous_release_lists_shows_and_resumes_after_migration()
    {
        var journal = Path.Combine(_dir, "journal.db");
        File.Copy(Path.Combine(sandbox.RepoRoot, "tests/Skybridge.IntegrationTests/Jobs/Fixtures/journal-ce5f00f.db"), journal);

        var list = await sandbox.RunCliAsync(["jobs", "list", "--journal", journal, "--output", "json"]);
        Assert.True(list.ExitCode == 0, list.Stderr);
        var job = JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Single();
        Assert.Equal((JobId, "interrupted", "copy"), (job.GetProperty("id").GetString(), job.GetProperty("status").GetString(), job.GetProperty("mode").GetString()));
        Assert.Equal(2, JobJournal.Open(journal).Version); // migrated on open
        Assert.Null(JobJournal.Open(journal).Get(JobId)!.Spec); // recorded before specs existed

        var show = await sandbox.RunCliAsync(["jobs", "show", JobId, "--journal", journal]);
        Assert.True(show.ExitCode == 0, show.Stderr);
        Assert.Contains($"decided up to {Prefix}obj-11.bin", show.Stdout);
        Assert.Contains("copying 4", show.Stdout);
        Assert.Contains("pending 9", show.Stdout);

        // The stored command line said --max-bandwidth 1KiB (the fixture was made slow on purpose): resume faster.
        var resume = await sandbox.RunCliAsync(["jobs", "resume", JobId, "--journal", journal, "--max-bandwidth", "1GiB", "--output", "json"], timeout: TimeSpan.FromMinutes(3));
        Assert.True(resume.ExitCode == 0, resume.Stdout + resume.Stderr);
        Assert.Equal(20, JsonDocument.Parse(resume.Stdout).RootElement.GetProperty("copied").GetInt32());

        var blobs = new Dictionary<string, byte[]>();
        await foreach (var b in Inspector().GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = Prefix })) blobs[b.Name] = b.Properties.ContentHash;
        Assert.Equal(20, blobs.Count);
        for (int i = 0; i < 20; i++) Assert.Equal(MD5.HashData(Content(i)), blobs[$"{Prefix}obj-{i:D2}.bin"]);
        var after = JobJournal.Open(journal);
        Assert.Equal(JobJournal.Completed, after.Get(JobId)!.Status);
        Assert.Equal(20, after.Counts(JobId).Single(c => c.State == JobJournal.Committed).Objects);
    }

    /// <summary>
    /// A new job stores its spec; a resumed one runs from it, not from its command line: the test
    /// blanks the stored command line of a job started with --overwrite never, puts a blob where the
    /// unfinished object goes, and the resume still leaves that blob alone.
    /// </summary>
    [Fact]
    public async Task A_resumed_job_runs_from_its_stored_spec_not_from_its_command_line()
    {
        var prefix = $"spec-resume-{Guid.NewGuid():N}"[..24] + "/";
        var s3 = sandbox.AdminS3();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + "a.bin", InputStream = new MemoryStream(Content(1)), UseChunkEncoding = false });
        var journal = Path.Combine(_dir, "spec.db");
        try
        {
            // Started slow and killed once the job exists: the object is decided, not committed.
            using (var run = new CliProcess(["copy", $"s3://{sandbox.Bucket}/{prefix}", $"{sandbox.DestUrl}/{prefix}", "--overwrite", "never", "--journal", journal,
                       "--max-bandwidth", "1KiB", "--mode", "stream", "--progress", "none"], sandbox.Env.ToDictionary(e => e.Key, e => (string?)e.Value)))
            {
                var started = System.Diagnostics.Stopwatch.StartNew();
                while (!run.Stderr.Contains("job ") && !run.HasExited && started.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
                await Task.Delay(1500);
                run.Kill9();
                await run.WaitAsync(TimeSpan.FromSeconds(30));
            }
            var job = JobJournal.Open(journal).List().Single();
            Assert.Equal(OverwriteMode.Never, job.Spec!.Options.Decider.Overwrite);
            using (var c = new SqliteConnection($"Data Source={journal};Pooling=False"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "UPDATE jobs SET args = '[]';"; // the command line no longer says --overwrite never (nor --max-bandwidth)
                cmd.ExecuteNonQuery();
            }
            // Someone else's blob where the unfinished object goes: "never" means it stays.
            await Inspector().UploadBlobAsync(prefix + "a.bin", BinaryData.FromString("someone else's"));

            var resume = await sandbox.RunCliAsync(["jobs", "resume", job.Id, "--journal", journal, "--output", "json"], timeout: TimeSpan.FromMinutes(3));
            Assert.True(resume.ExitCode == 0, resume.Stdout + resume.Stderr);
            Assert.Equal((0, 1), (JsonDocument.Parse(resume.Stdout).RootElement.GetProperty("copied").GetInt32(), JsonDocument.Parse(resume.Stdout).RootElement.GetProperty("skipped").GetInt32()));
            Assert.Equal("someone else's", (await Inspector().GetBlobClient(prefix + "a.bin").DownloadContentAsync()).Value.Content.ToString());
        }
        finally
        {
            await s3.DeleteObjectAsync(sandbox.Bucket, prefix + "a.bin");
            await Inspector().DeleteBlobIfExistsAsync(prefix + "a.bin");
        }
    }
}
