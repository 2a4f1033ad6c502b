using System.Text.Json;
using Skybridge.Providers.AzureBlob;
using Skybridge.Jobs;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Tests.Jobs;

public class JobSpecTests
{
    private static readonly TransferOptions Everything = new()
    {
        NamePolicy = NamePolicy.Encode,
        Decider = new Decider(CompareMode.Mtime, OverwriteMode.IfNewer),
        Filter = new Filter(["**/*.csv", "logs/[ab]*"], ["tmp/**"], DateTimeOffset.Parse("2024-01-01T00:00:00Z"), DateTimeOffset.Parse("2025-01-01T00:00:00Z"), 10, 1 << 30),
        Concurrency = 7,
        ListingReadAhead = 99,
        Mode = CopyMode.Service,
        Copy = new CopySettings { BlockSize = 16 << 20, BlocksPerObject = 3, AccessTier = "Cool", CopyTags = false, UploadMd5 = false },
        MaxMemory = 64 << 20,
        MaxBandwidth = 5 << 20,
        Delete = true,
        MaxDelete = 12,
        Force = true,
        DeepVerify = true,
        HashSource = true,
    };

    [Fact]
    public void A_spec_round_trips_every_option_through_json()
    {
        var spec = new JobSpec { Mode = RunMode.Sync, Source = "s3://b/p/", Destination = "https://a.blob.core.windows.net/c/p/", Options = Everything };
        var json = spec.ToJson();
        var back = JobSpec.FromJson(json);

        Assert.Equal(json, back.ToJson());
        Assert.Equal((RunMode.Sync, "s3://b/p/", "https://a.blob.core.windows.net/c/p/"), (back.Mode, back.Source, back.Destination));
        var o = back.Options;
        Assert.Equal((CompareMode.Mtime, OverwriteMode.IfNewer), (o.Decider.Compare, o.Decider.Overwrite));
        Assert.Equal(Everything.Copy, o.Copy);
        Assert.Equal((NamePolicy.Encode, 7, 99, CopyMode.Service, 64L << 20, (long?)(5 << 20), true, (long?)12, true, true, true),
            (o.NamePolicy, o.Concurrency, o.ListingReadAhead, o.Mode, o.MaxMemory, o.MaxBandwidth, o.Delete, o.MaxDelete, o.Force, o.DeepVerify, o.HashSource));
        // The filter is rebuilt from its patterns and windows: it decides as the original does.
        var t = DateTimeOffset.Parse("2024-06-01T00:00:00Z");
        foreach (var (name, size, at) in new[] { ("x/y.csv", 100L, t), ("tmp/a.csv", 100L, t), ("logs/a1", 100L, t), ("logs/c1", 100L, t), ("y.csv", 5L, t), ("y.csv", 100L, t.AddYears(2)) })
            Assert.Equal(Everything.Filter.Includes(name, size, at), o.Filter.Includes(name, size, at));
        Assert.Equal(["**/*.csv", "logs/[ab]*"], o.Filter.Include);
    }

    [Fact]
    public void The_defaults_survive_a_round_trip()
    {
        var back = JobSpec.FromJson(new JobSpec { Mode = RunMode.Copy, Source = "s3://b/", Destination = "https://a/c/", Options = new TransferOptions() }.ToJson());
        Assert.Equal(new TransferOptions().Copy, back.Options.Copy);
        Assert.Same(Filter.None.GetType(), back.Options.Filter.GetType());
        Assert.True(back.Options.Filter.Includes("any/thing", 0, DateTimeOffset.UnixEpoch));
        Assert.Equal((CompareMode.Etag, OverwriteMode.IfChanged, CopyMode.Auto), (back.Options.Decider.Compare, back.Options.Decider.Overwrite, back.Options.Mode));
    }

    [Fact]
    public void A_spec_from_a_newer_release_is_refused()
    {
        var json = new JobSpec { Mode = RunMode.Copy, Source = "s3://b/", Destination = "https://a/c/", Options = new TransferOptions() }.ToJson()
            .Replace("\"version\":1", "\"version\":2");
        Assert.Contains("version 2", Assert.Throws<JsonException>(() => JobSpec.FromJson(json)).Message);
    }

    [Fact]
    public void The_journal_stores_a_new_jobs_spec_and_reads_it_back()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("skybridge-spec-").FullName, "j.db");
        var journal = JobJournal.Open(path);
        Assert.Equal(JobJournal.SchemaVersion, journal.Version);
        var spec = new JobSpec { Mode = RunMode.Sync, Source = "s3://b/p/", Destination = "https://a.blob.core.windows.net/c/p/", Options = Everything };
        var job = journal.CreateJob("sync", spec.Source, spec.Destination, ["--delete"], spec: spec);
        Assert.Equal(spec.ToJson(), JobJournal.Open(path).Get(job.Id)!.Spec!.ToJson());
    }

    [Fact]
    public void A_journal_from_a_newer_release_is_refused_not_guessed_at()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("skybridge-spec-").FullName, "j.db");
        JobJournal.Open(path);
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE meta SET value = '99' WHERE key = 'schema_version';";
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<SkybridgeException>(() => JobJournal.Open(path));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("schema version 99", e.Message);
    }

    [Fact]
    public void A_resumed_job_keeps_what_decides_its_result_and_takes_this_runs_resources()
    {
        var run = new TransferOptions
        {
            Concurrency = 2, ListingReadAhead = 3, MaxMemory = 32 << 20, MaxBandwidth = 1 << 20,
            Copy = new CopySettings { BlocksPerObject = 1, BlockSize = 4 << 20, UploadMd5 = true }, // block size is the job's
            NamePolicy = NamePolicy.Fail, Delete = false,
        };
        var resumed = Everything.WithResourcesOf(run);

        Assert.Equal((2, 3, 32L << 20, (long?)(1 << 20), 1), (resumed.Concurrency, resumed.ListingReadAhead, resumed.MaxMemory, resumed.MaxBandwidth, resumed.Copy.BlocksPerObject));
        Assert.Equal(Everything.Copy with { BlocksPerObject = 1 }, resumed.Copy);
        Assert.Equal((NamePolicy.Encode, true, (long?)12, true, CopyMode.Service), (resumed.NamePolicy, resumed.Delete, resumed.MaxDelete, resumed.Force, resumed.Mode));
        Assert.Same(Everything.Filter, resumed.Filter);
        Assert.Same(Everything.Decider, resumed.Decider);
    }
}
