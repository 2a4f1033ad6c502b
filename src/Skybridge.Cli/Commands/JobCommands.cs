using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Skybridge.Providers.AzureBlob;
using Skybridge.Cli.Rendering;
using Skybridge.Diagnostics;
using Skybridge.Jobs;
using Skybridge.Providers.S3;
using Skybridge.Transfer;

namespace Skybridge.Cli.Commands;

/// <summary>
/// skybridge jobs list | show ID | resume ID, and the journal options of copy/sync (--journal,
/// --no-journal, --resume). Every copy/sync is a job in the journal (SQLite, default
/// $XDG_STATE_HOME/skybridge/journal.db); an interrupted one continues where it stopped.
/// </summary>
internal static class JobCommands
{
    public static readonly Option<string?> Journal = new("--journal")
    {
        Description = "Job journal (SQLite) path (default: $XDG_STATE_HOME/skybridge/journal.db, i.e. ~/.local/state/skybridge/journal.db; or SKYBRIDGE_JOURNAL).",
        Recursive = true,
    };
    public static readonly Option<bool> NoJournal = new("--no-journal") { Description = "Do not record this run as a job (it cannot be resumed)." };
    public static readonly Option<bool> Resume = new("--resume")
    {
        Description = "Resume the latest unfinished job with the same source and destination (a new job when there is none).",
    };
    /// <summary>Set by 'jobs resume ID' when it re-runs the job's command line.</summary>
    public static readonly Option<string?> ResumeJob = new("--resume-job") { Description = "Resume this job (what 'skybridge jobs resume ID' runs).", Hidden = true };

    /// <summary>The journal options of copy and sync.</summary>
    public static IEnumerable<Option> TransferOptions => [Journal, NoJournal, Resume, ResumeJob];

    /// <summary>Options never stored with a job: secrets, and what only concerns one run.</summary>
    private static readonly HashSet<string> NotStored = new(StringComparer.Ordinal)
    {
        "--dest-sas", "--dest-connection-string", "--journal", "--no-journal", "--resume", "--resume-job", "--report",
    };

    private static readonly Argument<string> Id = new("id") { Description = "Job id (or a unique prefix of it), as 'jobs list' shows." };
    private static readonly Option<bool> All = new("--all") { Description = "List every job (default: the 20 most recent)." };

    // What 'jobs resume' may change for the resumed run (the rest comes from the job's command line).
    private static readonly Option<string?> DestSas = new("--dest-sas") { Description = "SAS for the destination (never stored in the journal; prefer SKYBRIDGE_DEST_SAS)." };
    private static readonly Option<string?> DestConnectionString = new("--dest-connection-string") { Description = "Storage connection string (never stored; prefer SKYBRIDGE_DEST_CONNECTION_STRING)." };
    private static readonly Option<string?> Concurrency = new("--concurrency") { Description = "Objects copied at the same time." };
    private static readonly Option<string?> BlockConcurrency = new("--block-concurrency") { Description = "Blocks of one object in flight." };
    private static readonly Option<string?> MaxMemory = new("--max-memory") { Description = "Cap on block buffers in memory." };
    private static readonly Option<string?> MaxBandwidth = new("--max-bandwidth") { Description = "Cap on bytes per second read from S3 for this run." };
    private static readonly Option<string?> Report = new("--report") { Description = "Per-object manifest of this run (JSON Lines, or CSV)." };
    private static readonly Option<string?> Progress = new("--progress") { Description = "auto | plain | none." };

    // The anonymous shapes below go through reflection; the per-state counts' dictionary type comes
    // from generated metadata, which the Native AOT build has no reflection code for.
    private static readonly JsonSerializerOptions JsonOut = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(JobsJson.Default, new DefaultJsonTypeInfoResolver()),
    };

    public static Command Create()
    {
        var jobs = new Command("jobs", "Copy/sync jobs recorded in the job journal: list them, show one, resume an interrupted one.");
        jobs.Options.Add(Journal);

        var list = new Command("list", "Jobs, most recent first: id, status, objects done, source -> destination.") { All };
        list.SetAction((ctx, parse, ct) => Task.FromResult(ListJobs(ctx, parse)));

        var show = new Command("show", "One job: its command line, status, runs, objects by state, what is in progress and what failed.") { Id };
        show.SetAction((ctx, parse, ct) => Task.FromResult(ShowJob(ctx, parse)));

        var resume = new Command("resume", "Continue an interrupted job: unfinished objects first (keeping staged blocks), then the listing from where it stopped.") { Id };
        foreach (var o in new Option[] { DestSas, DestConnectionString, Concurrency, BlockConcurrency, MaxMemory, MaxBandwidth, Report, Progress })
            resume.Options.Add(o);
        resume.SetAction(ResumeJobAsync);

        jobs.Subcommands.Add(list);
        jobs.Subcommands.Add(show);
        jobs.Subcommands.Add(resume);
        return jobs;
    }

    internal static JobJournal OpenJournal(CliContext ctx)
    {
        var path = ctx.Settings.Get("journal") ?? JobJournal.DefaultPath();
        try { return JobJournal.Open(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw SkybridgeException.Usage($"Cannot open the job journal '{path}': {e.Message}", "Choose a writable path with --journal (or SKYBRIDGE_JOURNAL), or run with --no-journal.");
        }
    }

    // ---- list / show ----

    private static int ListJobs(CliContext ctx, ParseResult parse)
    {
        var journal = OpenJournal(ctx);
        var jobs = journal.List(parse.GetValue(All) ? int.MaxValue : 20);
        var rows = jobs.Select(j => (Job: j, Counts: journal.Counts(j.Id))).ToList();
        if (ctx.Json)
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(rows.Select(r => Summary(r.Job, r.Counts)), JsonOut));
            return ExitCodes.Ok;
        }
        if (rows.Count == 0)
        {
            ctx.Out.WriteLine($"no jobs in {journal.Path}");
            return ExitCodes.Ok;
        }
        ctx.Out.WriteLine($"{"ID",-22}  {"STATUS",-11}  {"MODE",-4}  {"DONE",13}  {"UPDATED",-19}  SOURCE -> DESTINATION");
        foreach (var (job, counts) in rows)
        {
            var total = counts.Sum(c => c.Objects);
            var done = counts.Where(c => c.State is JobJournal.Committed or JobJournal.Skipped).Sum(c => c.Objects);
            ctx.Out.WriteLine($"{job.Id,-22}  {job.DisplayStatus,-11}  {job.Mode,-4}  {$"{done:N0}/{total:N0}",13}  {job.Updated.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {DisplayName.Escape($"{job.Source} -> {job.Destination}")}");
        }
        return ExitCodes.Ok;
    }

    private static object Summary(JobInfo j, IReadOnlyList<StateCount> counts) => new
    {
        id = j.Id,
        status = j.DisplayStatus,
        recorded_status = j.Status,
        mode = j.Mode,
        source = j.Source,
        destination = j.Destination,
        created = j.Created,
        updated = j.Updated,
        finished = j.Finished,
        runs = j.Session,
        objects = counts.ToDictionary(c => c.State, c => c.Objects),
        bytes = counts.ToDictionary(c => c.State, c => c.Bytes),
    };

    private static int ShowJob(CliContext ctx, ParseResult parse)
    {
        var journal = OpenJournal(ctx);
        var id = parse.GetValue(Id)!;
        var job = journal.Get(id) ?? throw SkybridgeException.Usage($"No job '{id}' in {journal.Path}.", "'skybridge jobs list' shows the jobs.");
        var counts = journal.Counts(job.Id);
        var sessions = journal.Sessions(job.Id);
        var inProgress = journal.Objects(job.Id, JobJournal.Copying, 50);
        var failed = journal.Objects(job.Id, JobJournal.Failed, 50);
        var blocks = inProgress.Count == 0 ? [] : journal.Blocks(job.Id).Where(b => inProgress.Any(o => o.Key == b.Key)).ToList();
        var command = string.Join(' ', new[] { "skybridge", job.Mode, job.Source, job.Destination }.Concat(job.Args).Select(Quote));
        if (ctx.Json)
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(new
            {
                job = Summary(job, counts),
                command,
                spec = job.Spec is { } spec ? JsonDocument.Parse(spec.ToJson()).RootElement : (JsonElement?)null,
                message = job.Message,
                notes = job.Notes,
                listed_through = job.ListedThrough,
                listing_done = job.ListingDone,
                pid = job.Pid,
                host = job.Host,
                sessions,
                copying = inProgress.Select(o => new
                {
                    key = o.Key, size = o.Size, blob_name = o.BlobName, attempts = o.Attempts,
                    blocks_staged = blocks.Where(b => b.Key == o.Key).Select(b => b.Index).Distinct().Count(),
                }),
                failed = failed.Select(o => new { key = o.Key, size = o.Size, reason = o.Reason, attempts = o.Attempts }),
                journal = journal.Path,
            }, JsonOut));
            return ExitCodes.Ok;
        }
        var o = new EscapedLineWriter(ctx.Out); // keys, reasons and the command line come from the source: escaped
        o.WriteLine($"job {job.Id}: {job.DisplayStatus}{(job.ProcessGone ? $" (process {job.Pid} ended without closing the job)" : "")}");
        o.WriteLine($"  {job.Mode} {job.Source} -> {job.Destination}");
        o.WriteLine($"  command   {command}");
        if (job.Notes is not null) o.WriteLine($"  note      {job.Notes}");
        o.WriteLine($"  created   {job.Created.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z, updated {job.Updated.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z" +
            (job.Finished is { } f ? $", finished {f.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z" : ""));
        o.WriteLine($"  listing   {(job.ListingDone ? "done" : job.ListedThrough is null ? "not started" : "decided up to " + job.ListedThrough)}");
        var total = counts.Sum(c => c.Objects);
        o.WriteLine($"  objects   {total:N0} ({Format.Bytes(counts.Sum(c => c.Bytes))}): " +
            string.Join(", ", counts.Select(c => $"{c.State} {c.Objects:N0} ({Format.Bytes(c.Bytes)})")));
        foreach (var s in sessions)
        {
            // A run that is gone without an end (kill -9) has no counters: only what the journal saw.
            var gone = s.Finished is null && (s.Status != JobJournal.Running || job.ProcessGone);
            o.WriteLine($"  run {s.Session}     {s.Started.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z {(gone ? JobJournal.Killed : s.Status)}" +
                (s.ResumedAfter is not null ? $", listing resumed after {s.ResumedAfter}" : "") +
                (gone ? "" : $": copied {s.Copied:N0} ({Format.Bytes(s.BytesCopied)}), skipped {s.Skipped:N0}, failed {s.Failed:N0}") +
                $"{(gone ? ":" : ",")} blocks staged {s.BlocksStaged:N0}, kept {s.BlocksReused:N0}");
        }
        foreach (var c in inProgress)
        {
            var staged = blocks.Where(b => b.Key == c.Key).Select(b => b.Index).Distinct().Count();
            o.WriteLine($"  copying   {c.Key} ({Format.Bytes(c.Size)}): {staged:N0} block(s) staged");
        }
        foreach (var c in failed) o.WriteLine($"  failed    {c.Key}: {c.Reason}");
        if (job.Message is not null) o.WriteLine($"  message   {job.Message}");
        if (job.CanResume) o.WriteLine($"  resume with: skybridge jobs resume {job.Id}");
        return ExitCodes.Ok;
    }

    private static string Quote(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@%+,".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    // ---- resume ----

    /// <summary>Re-runs the job's command line (stored without secrets) with --resume-job, plus what was given here.</summary>
    private static async Task<int> ResumeJobAsync(CliContext ctx, ParseResult parse, CancellationToken ct)
    {
        var journal = OpenJournal(ctx);
        var id = parse.GetValue(Id)!;
        var job = journal.Get(id) ?? throw SkybridgeException.Usage($"No job '{id}' in {journal.Path}.", "'skybridge jobs list' shows the jobs.");
        if (job.Status == JobJournal.Completed)
        {
            ctx.Error.WriteLine($"job {job.Id} is already completed: nothing to resume.");
            return ExitCodes.Ok;
        }
        var overrides = StoredArgs(parse, includeSecrets: true);
        var argv = new List<string> { job.Mode, job.Source, job.Destination };
        argv.AddRange(WithoutOverridden(job.Args, overrides));
        argv.AddRange(overrides);
        argv.AddRange(["--journal", journal.Path, "--resume-job", job.Id]);
        var inner = parse.RootCommandResult.Command.Parse(argv);
        if (inner.Errors.Count > 0)
            throw SkybridgeException.Usage($"The command line of job {job.Id} no longer parses: {inner.Errors[0].Message}", "Start a new copy instead.");
        // Same process, same cancellation: Ctrl-C interrupts the resumed run cleanly.
        return await inner.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, ct);
    }

    /// <summary>The options given on this command line (and above it), as argv, without what is never stored.</summary>
    internal static List<string> StoredArgs(ParseResult parse, bool includeSecrets = false)
    {
        var args = new List<string>();
        var seen = new HashSet<Option>();
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is not CommandResult command) continue;
            foreach (var option in command.Children.OfType<OptionResult>())
            {
                if (option.Implicit || !seen.Add(option.Option)) continue;
                var name = option.Option.Name;
                if (NotStored.Contains(name) && !(includeSecrets && name is "--dest-sas" or "--dest-connection-string" or "--report")) continue;
                if (option.Option.ValueType == typeof(bool))
                {
                    if (option.GetValueOrDefault<bool>()) args.Add(name);
                    continue;
                }
                foreach (var token in option.Tokens)
                {
                    args.Add(name);
                    args.Add(token.Value);
                }
            }
        }
        return args;
    }

    /// <summary>Stored args minus the options given again (a single-valued option may appear once).</summary>
    private static List<string> WithoutOverridden(IReadOnlyList<string> stored, List<string> overrides)
    {
        var names = overrides.Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var kept = new List<string>();
        bool skipping = false;
        foreach (var a in stored)
        {
            if (a.StartsWith("--", StringComparison.Ordinal)) skipping = names.Contains(a);
            if (!skipping) kept.Add(a);
        }
        return kept;
    }
}

/// <summary>
/// One copy/sync run as a job: creates or resumes the job in the journal, hands the engine its
/// <see cref="JobRun"/>, and records how the run ended — completed, failed (some objects failed) or
/// interrupted (Ctrl-C: every state written before the process exits, exit 130).
/// </summary>
internal sealed class JobSession : IAsyncDisposable
{
    private readonly CliContext _ctx;

    private JobSession(CliContext ctx, JobInfo job, JobRun run, bool resumed)
    {
        _ctx = ctx;
        Job = job;
        Run = run;
        Resumed = resumed;
    }

    /// <summary>This run continues an existing job (else it started a new one).</summary>
    public bool Resumed { get; }

    public JobInfo Job { get; }
    public JobRun Run { get; }

    /// <summary>Null when the run is not journaled (plan, verify, --no-journal).</summary>
    public static JobSession? Start(CliContext ctx, ParseResult parse, RunMode mode, S3Location source, BlobLocation target, TransferOptions options)
    {
        if (mode is not (RunMode.Copy or RunMode.Sync)) return null;
        bool Flag(Option<bool> o) => parse.CommandResult.Command.Options.Contains(o) && parse.GetValue(o);
        var resumeId = parse.CommandResult.Command.Options.Contains(JobCommands.ResumeJob) ? parse.GetValue(JobCommands.ResumeJob) : null;
        if (Flag(JobCommands.NoJournal))
        {
            if (resumeId is not null || Flag(JobCommands.Resume)) throw SkybridgeException.Usage("--resume needs the job journal.", "Remove --no-journal.");
            return null;
        }
        JobJournal journal;
        try
        {
            journal = JobCommands.OpenJournal(ctx);
        }
        catch (SkybridgeException e) when (ctx.Settings.Get("journal") is null && resumeId is null && !Flag(JobCommands.Resume))
        {
            // The default location is not writable (read-only home, ...): copy anyway, without a job.
            ctx.Error.WriteLine($"warning: {e.Message} Running without a job journal (this run cannot be resumed).");
            return null;
        }
        var modeName = mode.ToString().ToLowerInvariant();
        string src = source.ToString(), dst = target.ToString();
        JobInfo? job = null;
        bool resume = false;
        if (resumeId is not null)
        {
            job = journal.Get(resumeId) ?? throw SkybridgeException.Usage($"No job '{resumeId}' in {journal.Path}.", "'skybridge jobs list' shows the jobs.");
            if (job.Mode != modeName || job.Source != src || job.Destination != dst)
                throw SkybridgeException.Usage($"Job {job.Id} is '{job.Mode} {job.Source} -> {job.Destination}', not this command.", $"Run 'skybridge jobs resume {job.Id}'.");
            resume = true;
        }
        else if (Flag(JobCommands.Resume))
        {
            job = journal.FindResumable(modeName, src, dst);
            if (job is null) ctx.Error.WriteLine($"no unfinished {modeName} job from {src} to {dst}: starting a new one.");
            resume = job is not null;
        }
        job ??= journal.CreateJob(modeName, src, dst, JobCommands.StoredArgs(parse),
            target.Sas is not null ? "the destination SAS was not stored: resume with --dest-sas (or SKYBRIDGE_DEST_SAS)" : null,
            new JobSpec { Mode = mode, Source = src, Destination = dst, Options = options });
        var run = journal.StartRun(job.Id, resume);
        ctx.Error.WriteLine(resume
            ? $"job {job.Id}: resuming (run {run.Session})" + (run.Resume?.ListedThrough is { } k ? $", listing after {k}" : "") + $"; journal {journal.Path}"
            : $"job {job.Id}; journal {journal.Path}");
        return new JobSession(ctx, job, run, resume);
    }

    /// <summary>Runs the engine as the job's run (the journal records how it ended) and says how to go on.</summary>
    public async Task<RunResult> RunAsync(Func<Task<RunResult>> body, TransferStats stats)
    {
        RunResult result;
        try
        {
            result = await Run.RunAsync(body, stats);
        }
        catch (OperationCanceledException)
        {
            _ctx.Error.WriteLine($"job {Job.Id} interrupted: resume with 'skybridge jobs resume {Job.Id}'.");
            throw;
        }
        catch (Exception)
        {
            _ctx.Error.WriteLine($"job {Job.Id} stopped: resume with 'skybridge jobs resume {Job.Id}' once the cause is fixed.");
            throw;
        }
        if (result.ExitCode != ExitCodes.Ok) _ctx.Error.WriteLine($"job {Job.Id}: retry what failed with 'skybridge jobs resume {Job.Id}'.");
        return result;
    }

    public ValueTask DisposeAsync() => Run.DisposeAsync();
}

[JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class JobsJson : JsonSerializerContext;
