using System.CommandLine;
using System.Globalization;
using Skybridge.Providers.AzureBlob;
using Skybridge.Cli.Rendering;
using Skybridge.Diagnostics;
using Skybridge.Jobs;
using Skybridge.Providers.S3;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Cli.Commands;

/// <summary>
/// skybridge copy | sync | plan | verify SRC DST: thin bindings from options to
/// <see cref="TransferEngine"/>. String options resolve through Settings (flag &gt; SKYBRIDGE_* &gt;
/// profile), so e.g. SKYBRIDGE_CONCURRENCY or "block-size" in skybridge.json work too.
/// </summary>
internal static class TransferCommands
{
    private static readonly Argument<string> Source = new("source") { Description = "s3://bucket[/prefix]" };
    private static readonly Argument<string> Destination = new("destination")
    {
        Description = "https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX] (dfs endpoint and emulator IP-style URLs accepted; a SAS in the query is used, never printed)",
    };

    // Destination auth (default: the Azure identity, keyless).
    private static readonly Option<string?> DestSas = S("--dest-sas", "SAS token for the destination (prefer SKYBRIDGE_DEST_SAS: command lines are visible to other users).");
    private static readonly Option<string?> DestConnectionString = S("--dest-connection-string", "Storage connection string for the destination (prefer SKYBRIDGE_DEST_CONNECTION_STRING).");

    // Decisions and filters.
    private static readonly Option<string?> Compare = S("--compare", "etag (default: same size and source ETag recorded on the blob) | size | md5 | mtime.");
    private static readonly Option<string?> Overwrite = S("--overwrite", "if-changed (default) | always | never | if-newer.");
    private static readonly Option<string[]> Include = new("--include") { Description = "Glob of names (relative to the prefix) to include; repeatable. '*' stops at '/', '**' does not.", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string[]> Exclude = new("--exclude") { Description = "Glob of names to exclude; repeatable; wins over --include.", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string?> ModifiedAfter = S("--modified-after", "Only objects modified at or after this time (ISO 8601, UTC if no offset).");
    private static readonly Option<string?> ModifiedBefore = S("--modified-before", "Only objects modified before this time.");
    private static readonly Option<string?> MinSize = S("--min-size", "Only objects at least this big (e.g. 10KiB, 5M; binary units).");
    private static readonly Option<string?> MaxSize = S("--max-size", "Only objects at most this big.");
    private static readonly Option<string?> NamePolicyOption = S("--name-policy", "skip (default) | fail | encode: keys that are unsafe blob names (trailing '.' or '/', '//', '..', '\\', control characters, > 1024 chars).");

    // Writing.
    private static readonly Option<string?> AccessTier = S("--access-tier", "hot | cool | cold | archive (default: the account's).");
    private static readonly Option<bool> NoTags = new("--no-tags") { Description = "Do not copy S3 object tags to blob index tags." };

    private static readonly Option<string?> Mode = S("--mode",
        "auto (default: Azure fetches the bytes from presigned S3 URLs where that can work, else they stream through this host) | service | stream.");

    // Resources.
    internal static readonly Option<string?> Concurrency = S("--concurrency", "Objects copied at the same time (default 16).");
    private static readonly Option<string?> BlockConcurrency = S("--block-concurrency", "Blocks of one object in flight (default 8).");
    private static readonly Option<string?> PutBlobMax = S("--put-blob-max",
        "Single-PUT objects (plain-MD5 ETag) up to this size go in one streamed Put Blob that Azure checks against the ETag's MD5, nothing hashed here (default 1GiB, or one block when --block-size is given; 0: blocks only; max 5000MiB).");
    private static readonly Option<string?> BlockSize = S("--block-size", "Block size (default 8MiB, doubled as needed for 50,000 blocks, max 1024MiB: a block is held in memory); objects up to one block go in one Put Blob.");
    internal static readonly Option<string?> MaxMemory = S("--max-memory", "Cap on block buffers in memory (default 128MiB).");
    private static readonly Option<string?> UploadChecksumOption = S("--upload-checksum",
        "auto (default: each block's CRC64 where the destination checks one, as Azure does; else md5 over http, none over https, where TLS protects the bytes) | md5 | none: " +
        "a transactional checksum on every Put Block / Put Blob. Every copy is still proved against the source.");
    private static readonly Option<string?> DestCrc64Option = S("--dest-crc64",
        "auto (default: on for Azure Storage's endpoints, *.blob.core.windows.net and the other clouds', off elsewhere, e.g. Azurite, which refuses it) | on | off: " +
        "Put Block carries the block's CRC64 for the destination to check, instead of an MD5 (crc64-proved copies; others with --upload-checksum auto).");
    internal static readonly Option<string?> MaxBandwidth = S("--max-bandwidth", "Cap on bytes per second read from S3 (e.g. 50MiB).");

    // Output.
    internal static readonly Option<string?> Report = S("--report", "Write a per-object manifest: JSON Lines, or CSV when the name ends in .csv.");
    private static readonly Option<string?> Progress = S("--progress", "auto (default: live on a terminal, periodic lines otherwise) | plain | none.");

    // Deletes.
    private static readonly Option<bool> Delete = new("--delete") { Description = "Delete destination blobs that are not in the source (after copying; guarded)." };
    private static readonly Option<string?> MaxDelete = S("--max-delete", "Refuse to delete more than this many blobs (unless --force).");
    private static readonly Option<bool> Force = new("--force") { Description = "Delete even when the source listing is empty or deletes exceed --max-delete." };
    /// <summary>sync's --delete and its guards (--max-delete, --force): also 'migrate start'.</summary>
    internal static readonly Option[] DeleteOptions = [Delete, MaxDelete, Force];

    // Saved plans.
    private static readonly Option<string?> Save = S("--save",
        "Write the plan to this file (JSON Lines: every option, every object's decision) for 'skybridge apply FILE' to execute later, in any process; nothing is copied now.");
    private static readonly Argument<string> PlanFile = new("plan") { Description = "A plan file written by 'skybridge plan ... --save FILE'." };

    // Verify.
    private static readonly Option<bool> Deep = new("--deep") { Description = "Read every blob back and hash it (default: compare size, Content-MD5 and recorded ETags)." };
    private static readonly Option<bool> Hash = new("--hash")
    {
        Description = "Like --deep, and also reads and hashes the source of every object whose ETag is not an MD5 (multipart): confirms service-side copies.",
    };

    public static IEnumerable<Command> Create() =>
    [
        Build("copy", "Copy new and changed objects from S3 to Azure Blob Storage (streamed, verified).", RunMode.Copy),
        Build("sync", "Copy, and with --delete remove destination blobs not in the source (guarded).", RunMode.Sync),
        Build("plan", "Dry run: what copy/sync would copy, skip, rename and delete, with totals. Changes nothing.", RunMode.Plan),
        Build("verify", "Compare source and destination: missing, extra, size or hash mismatch. Exit 1 when different.", RunMode.Verify),
        BuildApply(),
    ];

    /// <summary>skybridge apply PLAN: executes a saved plan with the resources given here.</summary>
    private static Command BuildApply()
    {
        var cmd = new Command("apply", "Execute a plan saved by 'skybridge plan ... --save FILE': its copies, then its deletes, each checked against the destination first. Run it again after an interruption.");
        cmd.Arguments.Add(PlanFile);
        foreach (var o in new Option[] { DestSas, DestConnectionString, Concurrency, BlockConcurrency, MaxMemory, MaxBandwidth, Report, Progress }) cmd.Options.Add(o);
        cmd.SetAction(ApplyAsync);
        return cmd;
    }

    private static Command Build(string name, string description, RunMode mode)
    {
        var cmd = new Command(name, description);
        AddSourceDestinationAndDecisions(cmd, mode);
        foreach (var o in new Option[] { DestSas, DestConnectionString, Concurrency, Report, Progress }) cmd.Options.Add(o);
        if (mode is RunMode.Copy or RunMode.Sync)
            foreach (var o in new Option[] { MaxMemory, MaxBandwidth }) cmd.Options.Add(o);
        if (mode is RunMode.Copy or RunMode.Sync)
            foreach (var o in JobCommands.TransferOptions) cmd.Options.Add(o); // --journal, --no-journal, --resume
        if (mode is RunMode.Sync or RunMode.Plan)
            foreach (var o in DeleteOptions) cmd.Options.Add(o);
        if (mode == RunMode.Verify) { cmd.Options.Add(Deep); cmd.Options.Add(Hash); cmd.Options.Add(MaxBandwidth); }
        if (mode == RunMode.Plan) cmd.Options.Add(Save);
        cmd.SetAction((ctx, parse, ct) => RunAsync(ctx, parse, mode, ct));
        return cmd;
    }

    /// <summary>
    /// SRC DST and the options that decide a run's result (filters, compare, overwrite, names; for
    /// copy/sync also mode, tier, tags, blocks and checksums): the same definitions for copy/sync/plan/verify
    /// and 'migrate start', so a migration takes exactly copy's options.
    /// </summary>
    internal static void AddSourceDestinationAndDecisions(Command cmd, RunMode mode)
    {
        cmd.Arguments.Add(Source);
        cmd.Arguments.Add(Destination);
        foreach (var o in new Option[] { Compare, Overwrite, Include, Exclude, ModifiedAfter, ModifiedBefore, MinSize, MaxSize, NamePolicyOption }) cmd.Options.Add(o);
        if (mode is RunMode.Copy or RunMode.Sync or RunMode.Plan) // plan: a saved plan is applied with them
            foreach (var o in new Option[] { Mode, AccessTier, NoTags, BlockConcurrency, BlockSize, PutBlobMax, UploadChecksumOption, DestCrc64Option }) cmd.Options.Add(o);
    }

    /// <summary>A connection string's key or SAS is masked in everything printed or logged from now on.</summary>
    internal static void RegisterSecretsOf(string? connectionString)
    {
        foreach (var part in (connectionString ?? "").Split(';'))
            if (part.StartsWith("AccountKey=", StringComparison.OrdinalIgnoreCase) || part.StartsWith("SharedAccessSignature=", StringComparison.OrdinalIgnoreCase))
                SecretRedactor.Register(part[(part.IndexOf('=') + 1)..]);
    }

    internal static S3Location SourceOf(ParseResult parse) => S3Location.Parse(parse.GetValue(Source)!);
    internal static BlobLocation DestinationOf(ParseResult parse) => BlobLocation.Parse(parse.GetValue(Destination)!);

    /// <summary>The S3 source (with a presigner unless streaming) and the Azure destination (keyless unless a SAS or connection string is given).</summary>
    internal static (S3ObjectSource Source, AzureBlobDestination Destination) OpenProviders(CliContext ctx, S3Location source, BlobLocation target,
        TransferOptions options, string? sas = null, string? connectionString = null)
    {
        var keyless = sas is null && connectionString is null && target.Sas is null;
        var destination = AzureBlobDestination.Create(target, keyless ? ctx.AzureCredential() : null, sas, connectionString,
            checksCrc64: AzureCrc64.Resolve(ctx.Settings.Get("dest-crc64"), target.ContainerUri));
        var s3 = ctx.S3Endpoint().CreateClient(ctx.AwsCredentials(), maxConnections: Math.Max(64, options.Concurrency * options.Copy.BlocksPerObject));
        // Service-side copies (auto/service) need presigned URLs: the engine uses them where Azure can fetch them.
        var objectSource = new S3ObjectSource(s3, source)
        {
            Presigner = options.Mode == CopyMode.Stream ? null : new S3Presigner(s3, source, ctx.S3Endpoint(), ctx.AwsCredentials()),
        };
        return (objectSource, destination);
    }

    private static async Task<int> RunAsync(CliContext ctx, ParseResult parse, RunMode mode, CancellationToken ct)
    {
        var s = ctx.Settings;
        var source = S3Location.Parse(parse.GetValue(Source)!);
        var destinationUrl = parse.GetValue(Destination)!;
        var target = BlobLocation.Parse(destinationUrl);
        var sas = s.Get("dest-sas");
        var connectionString = s.Get("dest-connection-string");
        SecretRedactor.Register(target.Sas);
        SecretRedactor.Register(sas);
        RegisterSecretsOf(connectionString);

        var options = Options(s, parse, mode);
        var progressMode = ProgressMode(s);

        // Keyless by default: the Azure identity for the destination, Entra -> STS for the source.
        var (objectSource, destination) = OpenProviders(ctx, source, target, options, sas, connectionString);

        var reportPath = s.Get("report");
        using var report = reportPath is null ? null : OpenReport(reportPath);
        var stats = new TransferStats();
        var savePath = mode == RunMode.Plan ? s.Get("save") : null;
        using var saved = savePath is null ? null
            : SavedPlan.Create(savePath, new JobSpec { Mode = options.Delete ? RunMode.Sync : RunMode.Copy, Source = source.ToString(), Destination = target.ToString(), Options = options });
        await using var job = JobSession.Start(ctx, parse, mode, source, target, options); // copy/sync: a job in the journal (resumable)
        // A resumed job runs as its stored spec says (a job of an older journal has none: its command line then decides).
        if (job is { Resumed: true, Job.Spec: { } spec }) options = spec.Options.WithResourcesOf(options);
        var engine = new TransferEngine(objectSource, destination, options, stats, (IReportSink?)report ?? NullReport.Instance, ctx.Logger<TransferEngine>())
        {
            Journal = job?.Run,
            Observers = saved is null ? [] : [saved],
        };

        var result = await WithProgressAsync(ctx, stats, progressMode, $"{mode.ToString().ToLowerInvariant()} {source} -> {target}",
            () => job is null ? engine.RunAsync(mode, ct) : job.RunAsync(() => engine.RunAsync(mode, ct), stats));
        WriteSummary(ctx, result);
        if (saved is not null)
        {
            var totals = saved.Complete(result);
            ctx.Error.WriteLine(DisplayName.Escape($"plan saved to {savePath}: {totals.Copies:N0} copies and {totals.Deletes:N0} deletes to execute; run 'skybridge apply {savePath}'"));
        }
        return result.ExitCode;
    }

    private static async Task<int> ApplyAsync(CliContext ctx, ParseResult parse, CancellationToken ct)
    {
        var s = ctx.Settings;
        var plan = SavedPlan.Open(parse.GetValue(PlanFile)!);
        var spec = plan.Spec;
        var sas = s.Get("dest-sas");
        var connectionString = s.Get("dest-connection-string");
        SecretRedactor.Register(sas);
        RegisterSecretsOf(connectionString);
        var progressMode = ProgressMode(s);

        // What decides the result is the plan's; how hard this run works is given here.
        var maxMemory = Size(s.Get("max-memory"), "max-memory") ?? spec.Options.MaxMemory;
        MemoryBudget.RequireRoomForOneBlock(maxMemory, spec.Options.Copy.BlockSize ?? BlockPlanner.DefaultBlockSize);
        var options = spec.Options with
        {
            Concurrency = Positive(s.GetInt("concurrency"), "concurrency") ?? spec.Options.Concurrency,
            MaxMemory = maxMemory,
            MaxBandwidth = Size(s.Get("max-bandwidth"), "max-bandwidth") ?? spec.Options.MaxBandwidth,
            Copy = spec.Options.Copy with { BlocksPerObject = Positive(s.GetInt("block-concurrency"), "block-concurrency") ?? spec.Options.Copy.BlocksPerObject },
        };
        var source = S3Location.Parse(spec.Source);
        var target = BlobLocation.Parse(spec.Destination);
        var (objectSource, destination) = OpenProviders(ctx, source, target, options, sas, connectionString);

        var reportPath = s.Get("report");
        using var report = reportPath is null ? null : OpenReport(reportPath);
        var stats = new TransferStats();
        var engine = new TransferEngine(objectSource, destination, options, stats, (IReportSink?)report ?? NullReport.Instance, ctx.Logger<TransferEngine>());
        var result = await WithProgressAsync(ctx, stats, progressMode, $"apply {plan.Path}: {source} -> {target}",
            () => engine.ApplyAsync(spec.Mode, plan.EntriesAsync(ct), ct));
        WriteSummary(ctx, result);
        return result.ExitCode;
    }

    private static string ProgressMode(Configuration.Settings s)
    {
        var progressMode = (s.Get("progress") ?? "auto").ToLowerInvariant();
        return progressMode is "auto" or "plain" or "none" ? progressMode
            : throw SkybridgeException.Usage($"--progress '{progressMode}' is not valid.", "Use auto, plain or none.");
    }

    /// <summary>Runs <paramref name="run"/> under the live or periodic progress display that --progress asks for.</summary>
    private static async Task<RunResult> WithProgressAsync(CliContext ctx, TransferStats stats, string progressMode, string title, Func<Task<RunResult>> run)
    {
        var interactive = progressMode == "auto" && !Console.IsErrorRedirected && !ctx.Json;
        await using (progressMode == "none" ? null : ProgressDisplay.Start(stats, DisplayName.Escape(title), ctx.Error, interactive))
        {
            return await run();
        }
    }

    internal static ReportWriter OpenReport(string path)
    {
        try { return ReportWriter.Open(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SkybridgeException.Usage($"Cannot write the report '{path}': {e.Message}", "Choose a writable path for --report.");
        }
    }

    internal static TransferOptions Options(Configuration.Settings s, ParseResult parse, RunMode mode)
    {
        var concurrency = Positive(s.GetInt("concurrency"), "concurrency") ?? 16;
        var blocks = Positive(s.GetInt("block-concurrency"), "block-concurrency") ?? 8;
        var blockSize = Size(s.Get("block-size"), "block-size");
        // Azure takes blocks up to 4000 MiB, but a streamed block is one buffer (arrays stop at 2 GiB):
        // larger ones would fail every object later, so refuse them here.
        if (blockSize is { } b && (b < 1024 || b > BlockPlanner.MaxBufferedBlockSize))
            throw SkybridgeException.Usage($"--block-size {b} is out of range.", "Use 1KiB .. 1024MiB (default 8MiB).");
        // An explicit --block-size asks for objects larger than one block to go in blocks of that size (as before --put-blob-max).
        var putBlobMax = Size(s.Get("put-blob-max"), "put-blob-max") ?? (blockSize is null ? CopySettings.DefaultPutBlobMax : 0);
        if (putBlobMax > AzureBlockBlob.Capabilities.MaxSinglePut)
            throw SkybridgeException.Usage($"--put-blob-max {putBlobMax} is out of range: Azure takes at most 5000MiB in one Put Blob.", "Use 0 .. 5000MiB (default 1GiB; 0 sends every object larger than one block in blocks).");
        var maxMemory = Size(s.Get("max-memory"), "max-memory") ?? TransferOptions.DefaultMaxMemory;
        MemoryBudget.RequireRoomForOneBlock(maxMemory, blockSize ?? BlockPlanner.DefaultBlockSize);
        var maxDelete = s.GetLong("max-delete");
        if (maxDelete < 0) throw SkybridgeException.Usage("--max-delete must be 0 or more.", "Pass the largest number of blobs a sync may delete, e.g. --max-delete 100 (0: none).");
        return new TransferOptions
        {
            NamePolicy = BlobNamePolicy.Parse(s.Get("name-policy")),
            Decider = new Decider(Decider.ParseCompare(s.Get("compare")), Decider.ParseOverwrite(s.Get("overwrite"))),
            Filter = new Filter(parse.GetValue(Include), parse.GetValue(Exclude),
                Date(s.Get("modified-after"), "modified-after"), Date(s.Get("modified-before"), "modified-before"),
                Size(s.Get("min-size"), "min-size"), Size(s.Get("max-size"), "max-size")),
            Concurrency = concurrency,
            Mode = mode is RunMode.Copy or RunMode.Sync or RunMode.Plan ? TransferModes.Parse(s.Get("mode")) : CopyMode.Stream,
            Copy = new CopySettings
            {
                BlockSize = blockSize,
                PutBlobMax = putBlobMax,
                BlocksPerObject = blocks,
                AccessTier = AzureBlobDestination.ParseTier(s.Get("access-tier")),
                CopyTags = !GetBool(parse, NoTags),
                UploadMd5 = UploadChecksum.Resolve(s.Get("upload-checksum"), new Uri(parse.GetValue(Destination)!)),
                BlockCrc64 = UploadChecksum.BlockCrc64(s.Get("upload-checksum")),
            },
            MaxMemory = maxMemory,
            MaxBandwidth = Size(s.Get("max-bandwidth"), "max-bandwidth"),
            Delete = mode is RunMode.Sync or RunMode.Plan && GetBool(parse, Delete),
            MaxDelete = maxDelete,
            Force = GetBool(parse, Force),
            DeepVerify = mode == RunMode.Verify && (GetBool(parse, Deep) || GetBool(parse, Hash)),
            HashSource = mode == RunMode.Verify && GetBool(parse, Hash),
        };
    }

    private static bool GetBool(ParseResult parse, Option<bool> option)
        => parse.CommandResult.Command.Options.Contains(option) && parse.GetValue(option);

    internal static int? Positive(int? value, string name)
        => value is <= 0 ? throw SkybridgeException.Usage($"--{name} must be at least 1.", $"Pass a whole number of 1 or more, e.g. --{name} 8 (or leave it out for the default).") : value;

    /// <summary>"8MiB", "8M", "512k", "1G", "100" (bytes): binary units, like rclone.</summary>
    internal static long? Size(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim();
        int i = 0;
        while (i < t.Length && (char.IsAsciiDigit(t[i]) || t[i] == '.')) i++;
        var unit = t[i..].Trim().ToLowerInvariant().TrimEnd('b').TrimEnd('i');
        long multiplier = unit switch { "" => 1, "k" => 1L << 10, "m" => 1L << 20, "g" => 1L << 30, "t" => 1L << 40, _ => 0 };
        if (multiplier == 0 || !double.TryParse(t[..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number < 0)
            throw SkybridgeException.Usage($"--{name} '{text}' is not a size.", "Use a number with an optional unit: 1048576, 512KiB, 8MiB, 1GiB.");
        return (long)(number * multiplier);
    }

    internal static DateTimeOffset? Date(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)
            ? d
            : throw SkybridgeException.Usage($"--{name} '{text}' is not a date.", "Use ISO 8601, e.g. 2024-06-01 or 2024-06-01T12:00:00Z.");
    }

    private static void WriteSummary(CliContext ctx, RunResult r)
    {
        if (ctx.Json)
        {
            ctx.Out.WriteLine(SecretRedactor.Redact(r.ToJson()));
            return;
        }
        var st = r.Stats;
        var o = ctx.Out;
        o.WriteLine(DisplayName.Escape($"{r.Mode.ToString().ToLowerInvariant()} {r.Source} -> {r.Destination}"));
        switch (r.Mode)
        {
            case RunMode.Plan:
                o.WriteLine($"  would copy   {st.ToCopy:N0} objects ({Format.Bytes(st.BytesToCopy)})");
                o.WriteLine($"  would skip   {st.Skipped:N0}");
                o.WriteLine($"  would rename {st.Renamed:N0}");
                o.WriteLine($"  would delete {st.ToDelete:N0}");
                if (st.Failed > 0) o.WriteLine($"  would fail   {st.Failed:N0}");
                break;
            case RunMode.Verify:
                o.WriteLine($"  matched {st.Matched:N0}, missing {st.Missing:N0}, extra {st.Extra:N0}, mismatched {st.Mismatched:N0}, skipped {st.Skipped:N0}, errors {st.Failed:N0}");
                o.WriteLine(r.ExitCode == 0 ? "  source and destination are equal" : "  source and destination differ (see --report for each object)");
                break;
            default:
                o.WriteLine($"  copied  {st.Copied:N0} objects ({Format.Bytes(st.BytesCopied)}) in {Format.Duration(st.Elapsed)}, {Format.Bytes((long)st.Rate)}/s");
                o.WriteLine($"  skipped {st.Skipped:N0}, renamed {st.Renamed:N0}, failed {st.Failed:N0}, deleted {st.Deleted:N0}");
                if (st.ServiceSide + st.Streamed > 0)
                    o.WriteLine($"  service-side {st.ServiceSide:N0} (Azure fetched {Format.Bytes(st.BytesServiceSide)} from presigned URLs), streamed {st.Streamed:N0} ({Format.Bytes(st.BytesTransferred)} through this host)");
                foreach (var (reason, n) in st.StreamReasons.OrderByDescending(k => k.Value)) o.WriteLine($"  streamed {n,5:N0}  {DisplayName.Escape(reason)}");
                if (st.Proofs.Count > 0) o.WriteLine("  proved  " + string.Join(", ", st.Proofs.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {k.Value:N0}")));
                if (st.Unverified > 0) o.WriteLine($"  unverified {st.Unverified:N0}: copied, but their bytes could not be compared with the source ETag (reasons in --report; verify --hash checks them)");
                break;
        }
        foreach (var (reason, n) in st.SkipReasons.OrderByDescending(k => k.Value)) o.WriteLine($"  skipped {n,6:N0}  {DisplayName.Escape(reason)}");
        foreach (var (reason, n) in st.FailReasons.OrderByDescending(k => k.Value)) o.WriteLine($"  failed  {n,6:N0}  {DisplayName.Escape(SecretRedactor.Redact(reason))}");
        if (r.DeleteRefused is not null) o.WriteLine($"  deletes refused: {DisplayName.Escape(r.DeleteRefused)}");
        foreach (var e in st.Errors.Take(10)) ctx.Error.WriteLine("error: " + DisplayName.Escape(SecretRedactor.Redact(e)));
    }

    private static Option<string?> S(string name, string description) => new(name) { Description = description };
}
