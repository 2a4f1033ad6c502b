using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;
using Skybridge.Providers.AzureBlob;
using Skybridge.Cli.Rendering;
using Skybridge.Diagnostics;
using Skybridge.Distributed;
using Skybridge.Jobs;
using Skybridge.Providers.S3;
using Skybridge.Transfer;

namespace Skybridge.Cli.Commands;

/// <summary>
/// skybridge migrate start | worker | status | cancel | report: a copy spread over any number of
/// worker processes on the Durable Task Framework (task hub in an Azure Storage account). 'start'
/// takes copy's options and returns at once; workers do the work; the rest read the task hub.
/// </summary>
internal static class MigrateCommands
{
    private static readonly Option<string?> Hub = new("--hub") { Description = "Task hub name (3-45 letters and digits): the same for start, every worker, status, cancel and report (or SKYBRIDGE_HUB).", Recursive = true };
    private static readonly Option<string?> HubStorage = new("--hub-storage")
    {
        Description = "Blob endpoint of the task hub's storage account, e.g. https://ACCOUNT.blob.core.windows.net (keyless: the Azure identity needs Storage Blob, Queue and Table Data Contributor there).",
        Recursive = true,
    };
    private static readonly Option<string?> HubConnectionString = new("--hub-connection-string")
    {
        Description = "Connection string of the task hub's account instead of the Azure identity (prefer SKYBRIDGE_HUB_CONNECTION_STRING).",
        Recursive = true,
    };
    private static readonly Option<string?> HubPartitions = new("--hub-partitions")
    {
        Description = "Task hub partitions (control queues), fixed when the hub is created: how many workers can run orchestrations at once (default 4, at most 16).",
        Recursive = true,
    };

    private static readonly Argument<string> Id = new("id") { Description = "Migration id, as 'migrate start' printed it." };
    private static readonly Option<string?> NewId = new("--id") { Description = "Id for the new migration (default: generated)." };
    private static readonly Option<string?> Partitions = new("--partitions") { Description = "Key ranges to cut the source into at the start (default 16): at its folders (delimiter '/', big ones split again by theirs), else even key-range cuts." };
    private static readonly Option<string?> PartitionsAtOnce = new("--partitions-at-once")
    {
        Description = "Partitions running at once, the rest waiting their turn (default: twice the live workers' batch slots, re-read as partitions finish; "
            + "a batch whose worker died waits behind about one queued batch per slot, not one per partition).",
    };
    private static readonly Option<string?> SplitAfter = new("--split-after") { Description = "Pages (batches) after which a partition not done cuts the rest of its range into 4 new partitions (default 20; 0: never)." };
    private static readonly Option<string?> BatchSize = new("--batch-size") { Description = "Objects listed per batch (one activity; default 1000)." };
    private static readonly Option<string?> Sample = new("--sample") { Description = "Most keys listed for one key-range cut where a range has no folders (default 100000): keys past it fall in its last range, which splits again after --split-after pages." };
    private static readonly Option<bool> Wait = new("--wait") { Description = "Wait until the migration has finished, then print its status." };
    private static readonly Option<bool> Watch = new("--watch") { Description = "Live view: the status every 5 s, with the rate now, until the migration has finished (Ctrl-C leaves it running)." };
    private static readonly Option<string?> ExpectedObjects = new("--expected-objects") { Description = "Objects the source holds (S3 Inventory, CloudWatch NumberOfObjects), for the ETA: without it the ETA is estimated from the finished partitions." };
    private static readonly Option<string?> OtlpEndpoint = new("--otlp-endpoint") { Description = "Export the worker's metrics and traces over OTLP to this collector (or OTEL_EXPORTER_OTLP_ENDPOINT); off unless set." };
    private static readonly Option<string?> BatchesAtOnce = new("--batches") { Description = "Batches this worker runs at once (default 2; each uses up to --concurrency objects at a time)." };

    private static readonly JsonSerializerOptions JsonOut = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var migrate = new Command("migrate", "Distributed migrations: many worker processes (any hosts) share one copy through a Durable Task Framework task hub.");
        foreach (var o in new Option[] { Hub, HubStorage, HubConnectionString, HubPartitions }) migrate.Options.Add(o);

        var start = new Command("start", "Start a migration SRC -> DST with copy's options (and sync's --delete); prints its id and returns (workers do the copying).");
        TransferCommands.AddSourceDestinationAndDecisions(start, RunMode.Copy);
        foreach (var o in new Option[] { NewId, Partitions, PartitionsAtOnce, BatchSize, Sample, SplitAfter }.Concat(TransferCommands.DeleteOptions)) start.Options.Add(o);
        start.SetAction(StartAsync);

        var worker = new Command("worker", "Serve the task hub's migrations until stopped (Ctrl-C / SIGTERM), with this host's identity and limits.");
        foreach (var o in new Option[] { TransferCommands.Concurrency, TransferCommands.MaxMemory, TransferCommands.MaxBandwidth, BatchesAtOnce, OtlpEndpoint }) worker.Options.Add(o);
        worker.SetAction(WorkerAsync);

        var status = new Command("status", "Partitions planned / done, objects and bytes copied / skipped / failed, rate, ETA, workers' throughput, failures with their reasons.") { Id, Wait, Watch, ExpectedObjects };
        status.SetAction(StatusAsync);

        var cancel = new Command("cancel", "Stop a migration: its partitions stop after the batch in flight; what was committed stays.") { Id };
        cancel.SetAction(CancelAsync);

        var report = new Command("report", "Write the per-object manifest of a migration: one line per key with its final outcome.") { Id, TransferCommands.Report };
        report.SetAction(ReportAsync);

        foreach (var c in new[] { start, worker, status, cancel, report }) migrate.Subcommands.Add(c);
        return migrate;
    }

    private static TaskHubConnection Connection(CliContext ctx)
    {
        TaskHubConnection.EnsureSupported();
        var s = ctx.Settings;
        var connectionString = s.Get("hub-connection-string");
        TransferCommands.RegisterSecretsOf(connectionString);
        var storage = s.GetUri("hub-storage");
        if (storage is { Scheme: not "https" } && connectionString is null)
            throw SkybridgeException.Usage($"--hub-storage '{storage}' is not https: the Azure identity's token would travel in clear.", "Use the account's https blob endpoint.");
        var partitions = TransferCommands.Positive(s.GetInt("hub-partitions"), "hub-partitions") ?? 4;
        if (partitions > 16) throw SkybridgeException.Usage($"--hub-partitions {partitions} is more than DTFx allows.", "Use 1 to 16.");
        return new TaskHubConnection
        {
            Name = TaskHubConnection.ValidName(s.Get("hub")),
            BlobEndpoint = storage,
            ConnectionString = connectionString,
            Credential = connectionString is null ? ctx.AzureCredential() : null,
            PartitionCount = partitions,
        };
    }

    private static async Task<int> StartAsync(CliContext ctx, ParseResult parse, CancellationToken ct)
    {
        var s = ctx.Settings;
        var hub = Connection(ctx);
        var source = TransferCommands.SourceOf(parse);
        var target = TransferCommands.DestinationOf(parse);
        if (target.Sas is not null)
            throw SkybridgeException.Usage("A migration's destination cannot carry a SAS: every worker writes with its own Azure identity.", "Pass the destination URL without a query, and grant each worker's identity Storage Blob Data Contributor.");
        var options = TransferCommands.Options(s, parse, RunMode.Sync); // copy's options, and sync's --delete with its guards
        var shape = new MigrationShape(
            Partitions: TransferCommands.Positive(s.GetInt("partitions"), "partitions") ?? 16,
            BatchSize: TransferCommands.Positive(s.GetInt("batch-size"), "batch-size") ?? 1000,
            SampleLimit: TransferCommands.Positive(s.GetInt("sample"), "sample") ?? MigrationShape.DefaultSampleLimit,
            SplitAfterPages: NonNegative(s.GetInt("split-after"), "split-after") ?? MigrationShape.DefaultSplitAfterPages,
            PartitionsAtOnce: TransferCommands.Positive(s.GetInt("partitions-at-once"), "partitions-at-once") ?? 0);
        var id = s.Get("id") ?? MigrationClient.NewId();
        if (id.Length is 0 or > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            throw SkybridgeException.Usage($"--id '{DisplayName.Escape(id)}' is not a valid migration id.", "Use up to 64 letters, digits and '-'.");
        var spec = new JobSpec { Mode = options.Delete ? RunMode.Sync : RunMode.Copy, Source = source.ToString(), Destination = target.ToString(), Options = options };
        await new MigrationClient(hub, ctx.Loggers).StartAsync(id, spec, shape, ct);
        if (ctx.Json) ctx.Out.WriteLine(JsonSerializer.Serialize(new { id, hub = hub.Name, source = spec.Source, destination = spec.Destination }, JsonOut));
        else
        {
            ctx.Out.WriteLine(id);
            ctx.Error.WriteLine(DisplayName.Escape($"migration {id} started: {spec.Source} -> {spec.Destination} (task hub {hub.Name}); run 'skybridge migrate worker' on one or more hosts, 'skybridge migrate status {id}' to follow it"));
        }
        return ExitCodes.Ok;
    }

    private static int? NonNegative(int? value, string name)
        => value is < 0 ? throw SkybridgeException.Usage($"--{name} must be 0 or more.", $"Pass a whole number, e.g. --{name} 20, or 0 to turn it off.") : value;

    private static async Task<int> WorkerAsync(CliContext ctx, ParseResult parse, CancellationToken ct)
    {
        var s = ctx.Settings;
        var hub = Connection(ctx);
        var maxMemory = TransferCommands.Size(s.Get("max-memory"), "max-memory") ?? TransferOptions.DefaultMaxMemory;
        MemoryBudget.RequireRoomForOneBlock(maxMemory, BlockPlanner.DefaultBlockSize);
        var limits = new WorkerLimits(
            Concurrency: TransferCommands.Positive(s.GetInt("concurrency"), "concurrency") ?? 16,
            MaxMemory: maxMemory,
            MaxBandwidth: TransferCommands.Size(s.Get("max-bandwidth"), "max-bandwidth"),
            BatchesAtOnce: TransferCommands.Positive(s.GetInt("batches"), "batches") ?? 2);
        ctx.Error.WriteLine($"worker {Environment.MachineName}:{Environment.ProcessId} serving task hub {hub.Name} (concurrency {limits.Concurrency}, {limits.BatchesAtOnce} batches at once); Ctrl-C stops it");
        using var telemetry = TelemetryExport.Start(s.Get("otlp-endpoint"), Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        await new MigrationWorker(hub, new CliProviders(ctx), limits, ctx.Loggers).RunAsync(ct);
        return ExitCodes.Ok;
    }

    /// <summary>A worker's providers: its own Azure identity for the destination, its own federated AWS session for the source.</summary>
    private sealed class CliProviders(CliContext ctx) : IMigrationProviders
    {
        private readonly Lock _gate = new();

        public (IObjectSource Source, IBlobDestination Destination) Open(JobSpec spec)
        {
            lock (_gate) // the context builds its credentials once
                return TransferCommands.OpenProviders(ctx, S3Location.Parse(spec.Source), BlobLocation.Parse(spec.Destination), spec.Options);
        }
    }

    private static async Task<int> StatusAsync(CliContext ctx, ParseResult parse, CancellationToken ct)
    {
        var client = new MigrationClient(Connection(ctx), ctx.Loggers);
        var id = parse.GetValue(Id)!;
        var expected = ctx.Settings.GetLong("expected-objects");
        if (expected < 0) throw SkybridgeException.Usage("--expected-objects must be 0 or more.", "Pass the number of objects the source holds, e.g. --expected-objects 1000000000, or leave it out.");
        var status = await client.StatusAsync(id, ct, expected);
        var watch = parse.GetValue(Watch) && !ctx.Json;
        if (watch && !Console.IsOutputRedirected) status = await LiveAsync(ctx, client, status, expected, ct);
        while ((parse.GetValue(Wait) || watch) && !status.Finished)
        {
            if (watch) { WriteStatus(ctx.Out, status); ctx.Out.WriteLine(); }
            await Task.Delay(TimeSpan.FromSeconds(watch ? 5 : 2), ct);
            status = await client.StatusAsync(id, ct, expected);
        }
        if (ctx.Json) ctx.Out.WriteLine(SecretRedactor.Redact(JsonSerializer.Serialize(status, JsonOut)));
        else WriteStatus(ctx.Out, status);
        return status.State is "failed" or "canceled" || status.Failed > 0 || status.DeleteRefused is not null ? ExitCodes.SomeFailed : ExitCodes.Ok; // as sync: refused deletes exit 1
    }

    /// <summary>The live view on a terminal (Spectre.Console, as copy's progress): the status redrawn every 5 s, with the rate since the last look.</summary>
    private static async Task<MigrationStatus> LiveAsync(CliContext ctx, MigrationClient client, MigrationStatus status, long? expected, CancellationToken ct)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(ctx.Out) });
        double? now = null;
        IRenderable Render()
        {
            var text = new StringWriter();
            WriteStatus(text, status);
            if (now is { } rate) text.WriteLine($"  now     {rate:N1} objects/s over the last 5 s");
            return new Panel(new Text(text.ToString().TrimEnd())) { Header = new PanelHeader("migrate status --watch (Ctrl-C leaves the migration running)") };
        }
        await console.Live(Render()).AutoClear(true).StartAsync(async live =>
        {
            while (!status.Finished)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), ct);
                var next = await client.StatusAsync(status.Id, ct, expected);
                now = MigrationForecast.RateBetween(status, next, next.LastUpdatedUtc - status.LastUpdatedUtc is { TotalSeconds: > 0 } d ? d : TimeSpan.FromSeconds(5));
                status = next;
                live.UpdateTarget(Render());
            }
        });
        return status; // printed once more, plainly, by the caller: it stays on screen
    }

    private static void WriteStatus(TextWriter o, MigrationStatus st)
    {
        o.WriteLine($"migration {st.Id}: {st.State}, partitions {st.PartitionsDone:N0}/{st.Partitions:N0} done, {st.Pages:N0} pages planned, {st.Batches:N0} batches executed");
        if (!st.Finished && st.PartitionsAtOnce > 0)
            o.WriteLine($"  at once {st.PartitionsAtOnce:N0} partitions (twice the workers' batch slots, or --partitions-at-once), {st.PartitionsWaiting:N0} waiting their turn");
        o.WriteLine($"  listed  {st.Planned:N0}; copied {st.Copied:N0} ({Format.Bytes(st.BytesCopied)}), skipped {st.Skipped:N0}, failed {st.Failed:N0}, re-run {st.Rerun:N0}");
        o.WriteLine($"  rate    {st.ObjectsPerSecond:N1} objects/s, {Format.Bytes((long)st.BytesPerSecond)}/s since {st.CreatedUtc:u}");
        if (!st.Finished) o.WriteLine("  eta     " + Eta(st.Estimate));
        if (st.Extras > 0 || st.Deleted > 0)
            o.WriteLine($"  delete  {st.Extras:N0} destination-only blob(s) found, {st.Deleted:N0} deleted" + (st.DeleteRefused is { } why ? $"; refused: {DisplayName.Escape(why)}" : st.Finished ? "" : " (deletes run once every partition has finished)"));
        foreach (var (reason, n) in st.FailReasons.OrderByDescending(r => r.Value)) o.WriteLine($"  failed  {n,6:N0}  {DisplayName.Escape(SecretRedactor.Redact(reason))}");
        foreach (var w in st.Workers.OrderBy(w => w.Worker, StringComparer.Ordinal))
        {
            var ago = (DateTime.UtcNow - w.LastSeenUtc).TotalSeconds;
            o.WriteLine($"  worker  {DisplayName.Escape(w.Worker)}: {w.Objects:N0} objects ({Format.Bytes(w.BytesCopied)}) in {w.Batches:N0} batches, {w.ObjectsPerSecond:N1} objects/s, "
                + (ago > 3 * MigrationWorker.HeartbeatInterval.TotalSeconds ? $"not seen for {ago:N0} s (stopped?)" : "alive"));
        }
        if (st.Error is { Length: > 0 } e) o.WriteLine("  error   " + DisplayName.Escape(e.Split('\n')[0]));
    }

    private static string Eta(MigrationEstimate e) => e switch
    {
        { EtaSeconds: { } s, TotalObjects: { } t } => $"~{Format.Duration(TimeSpan.FromSeconds(s))} for ~{t:N0} objects in all ({(e.Basis == "expected" ? "--expected-objects" : "estimated from the finished partitions")})",
        { TotalObjects: { } t } => $"unknown: no rate yet (~{t:N0} objects in all)",
        _ => "unknown until a partition has finished (or pass --expected-objects)",
    };

    private static async Task<int> CancelAsync(CliContext ctx, ParseResult parse, CancellationToken ct)
    {
        var id = parse.GetValue(Id)!;
        var stopped = await new MigrationClient(Connection(ctx), ctx.Loggers).CancelAsync(id, ct);
        ctx.Out.WriteLine($"migration {id}: canceled ({stopped} partition(s) were running); objects already committed stay, and a new migration or copy skips them");
        return ExitCodes.Ok;
    }

    private static async Task<int> ReportAsync(CliContext ctx, ParseResult parse, CancellationToken ct)
    {
        var path = ctx.Settings.Get("report") ?? throw SkybridgeException.Usage("No report file is given.", "Pass --report FILE.jsonl (or FILE.csv).");
        var client = new MigrationClient(Connection(ctx), ctx.Loggers);
        var id = parse.GetValue(Id)!;
        long lines, reruns;
        using (var report = TransferCommands.OpenReport(path)) (lines, reruns) = await client.ReportAsync(id, report, ct);
        ctx.Error.WriteLine($"migration {id}: {lines:N0} line(s) written to {DisplayName.Escape(path)}; {reruns:N0} object(s) were executed again after a worker stopped");
        return ExitCodes.Ok;
    }
}
