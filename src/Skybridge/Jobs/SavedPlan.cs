using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Outcomes;
using Skybridge.Transfer.Planning;

namespace Skybridge.Jobs;

/// <summary>
/// A plan saved by <c>skybridge plan --save</c> and executed by <c>skybridge apply</c>, maybe in
/// another process on another host, after someone reviewed it. JSON Lines, versioned: a header (the
/// <see cref="JobSpec"/>: source, destination and every option), one <see cref="PlanEntry"/> per
/// decided item (<see cref="TransferItemJson"/>), and a trailer with the counts. The trailer is
/// what makes a plan whole: a plan file is written under a temporary name and renamed only when its
/// plan run finished, and <see cref="Open"/> reads every line before anything is applied, so a
/// truncated, edited-to-invalid or foreign file is refused before a single object is touched.
/// </summary>
public sealed class SavedPlan
{
    /// <summary>The header's <c>format</c> value: what tells a plan from any other JSON Lines file.</summary>
    public const string Format = "skybridge-plan";

    /// <summary>The newest plan format this build writes and reads.</summary>
    public const int CurrentVersion = 1;

    private SavedPlan(string path, PlanHeader header, PlanTrailer trailer)
    {
        Path = path;
        Spec = header.Spec;
        CreatedUtc = header.CreatedUtc;
        Totals = trailer;
    }

    /// <summary>Where the plan was read from.</summary>
    public string Path { get; }

    /// <summary>What the plan run was given: source, destination, options (no secrets).</summary>
    public JobSpec Spec { get; }

    /// <summary>When the plan was made.</summary>
    public DateTimeOffset CreatedUtc { get; }

    /// <summary>The plan's counts, from its trailer.</summary>
    public PlanTrailer Totals { get; }

    /// <summary>Reads and checks a whole plan file (header, every entry, trailer) without applying anything.</summary>
    /// <exception cref="SkybridgeException">Usage: the file is missing, not a plan, of a newer format, corrupt or incomplete (the message says which line and how to fix it).</exception>
    public static SavedPlan Open(string path)
    {
        PlanHeader? header = null;
        PlanTrailer? trailer = null;
        long entries = 0, line = 0;
        try
        {
            foreach (var text in File.ReadLines(path))
            {
                line++;
                if (trailer is not null) throw Corrupt(path, line, "a line after the plan's last line");
                if (header is null)
                {
                    header = ReadHeader(path, text);
                    continue;
                }
                var l = Parse<PlanLine>(path, line, text);
                if (l.End is { } end) trailer = end;
                else if (l.Item is not null) entries++;
                else throw Corrupt(path, line, "a line that is neither an entry nor the trailer");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SkybridgeException.Usage($"Cannot read the plan '{path}': {e.Message}", "Pass the file 'skybridge plan --save FILE' wrote.");
        }
        if (header is null) throw NotAPlan(path);
        if (trailer is null || trailer.Entries != entries)
            throw SkybridgeException.Usage($"The plan '{path}' is incomplete: {entries:N0} entries and no trailer that counts them (the file was cut short or edited).",
                "Make the plan again with 'skybridge plan ... --save FILE' and apply that file.");
        return new SavedPlan(path, header, trailer);
    }

    /// <summary>The plan's entries in planned order (the file was checked by <see cref="Open"/>).</summary>
    public async IAsyncEnumerable<PlanEntry> EntriesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        long line = 0;
        await foreach (var text in File.ReadLinesAsync(Path, ct).ConfigureAwait(false))
        {
            if (line++ == 0) continue;
            var l = Parse<PlanLine>(Path, line, text);
            if (l.Item is { } item) yield return new PlanEntry(item, l.Settled);
        }
    }

    /// <summary>A writer that records a plan run into <paramref name="path"/>; subscribe it to the run (<see cref="TransferEngine.Observers"/>).</summary>
    public static Writer Create(string path, JobSpec spec) => new(path, spec);

    private static PlanHeader ReadHeader(string path, string text)
    {
        PlanHeader? h;
        try { h = JsonSerializer.Deserialize<PlanHeader>(text, TransferItemJson.Options); }
        catch (JsonException) { throw NotAPlan(path); }
        if (h is null || h.Format != Format || h.Spec is null) throw NotAPlan(path);
        if (h.Version is < 1 or > CurrentVersion)
            throw SkybridgeException.Usage($"The plan '{path}' has format version {h.Version}; this Skybridge reads versions 1..{CurrentVersion}.",
                "Apply it with the Skybridge version that made it, or make the plan again with this one.");
        return h;
    }

    private static T Parse<T>(string path, long line, string text) where T : class
    {
        try { return JsonSerializer.Deserialize<T>(text, TransferItemJson.Options) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw Corrupt(path, line, e.Message); }
    }

    private static SkybridgeException NotAPlan(string path)
        => SkybridgeException.Usage($"'{path}' is not a Skybridge plan: its first line is not a '{Format}' header.",
            "Pass the file 'skybridge plan ... --save FILE' wrote.");

    private static SkybridgeException Corrupt(string path, long line, string what)
        => SkybridgeException.Usage($"The plan '{path}' is corrupt at line {line:N0}: {what}.",
            "Make the plan again with 'skybridge plan ... --save FILE'; do not edit plan files.");

    /// <summary>
    /// Records a plan run: every item it would copy or delete (to be executed) and every item it
    /// settled (a skip, a failure, a refused delete), as the run's outcome stream delivers them.
    /// Writes to <c>PATH.partial</c>; <see cref="Complete"/> adds the trailer and renames it to PATH;
    /// disposing an incomplete writer deletes the partial file, so an interrupted plan leaves none.
    /// </summary>
    public sealed class Writer : ITransferObserver, IDisposable
    {
        private readonly string _path;
        private readonly string _partial;
        private readonly StreamWriter _out;
        private readonly Lock _gate = new();
        private long _entries, _copies, _deletes;
        private bool _complete;

        internal Writer(string path, JobSpec spec)
        {
            _path = path;
            _partial = path + ".partial";
            try { _out = new StreamWriter(_partial, append: false, new UTF8Encoding(false)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw SkybridgeException.Usage($"Cannot write the plan '{path}': {e.Message}", "Choose a writable path for --save.");
            }
            _out.WriteLine(JsonSerializer.Serialize(new PlanHeader(Format, CurrentVersion, DateTimeOffset.UtcNow, spec), TransferItemJson.Options));
        }

        /// <inheritdoc />
        public void Finished(TransferItem item, ItemOutcome outcome)
        {
            // "Would copy" and "would delete" are what apply executes; anything else was settled here.
            var entry = outcome.Status switch
            {
                Outcome.WouldCopy => new PlanLine(item, null, null),
                Outcome.WouldDelete => new PlanLine(item with { Action = ItemAction.Delete }, null, null),
                _ => new PlanLine(item, outcome, null),
            };
            lock (_gate)
            {
                _entries++;
                if (outcome.Status == Outcome.WouldCopy) _copies++;
                if (outcome.Status == Outcome.WouldDelete) _deletes++;
                _out.WriteLine(JsonSerializer.Serialize(entry, TransferItemJson.Options));
            }
        }

        /// <summary>Ends the plan after its run finished: writes the trailer and makes the file appear under its name.</summary>
        /// <returns>The plan's counts, as its trailer records them.</returns>
        public PlanTrailer Complete(RunResult result)
        {
            lock (_gate)
            {
                var trailer = new PlanTrailer(_entries, _copies, _deletes, result.DeleteRefused);
                _out.WriteLine(JsonSerializer.Serialize(new PlanLine(null, null, trailer), TransferItemJson.Options));
                _out.Dispose();
                File.Move(_partial, _path, overwrite: true);
                _complete = true;
                return trailer;
            }
        }

        /// <inheritdoc />
        public void Dispose()
        {
            if (_complete) return;
            _out.Dispose();
            File.Delete(_partial);
        }
    }
}

/// <summary>A saved plan's last line: proof it is whole, and its counts.</summary>
/// <param name="Entries">Entries in the plan.</param>
/// <param name="Copies">Of those, copies to execute.</param>
/// <param name="Deletes">Of those, deletes to execute.</param>
/// <param name="DeleteRefused">Why the plan run refused deletes (its guards), or null.</param>
public sealed record PlanTrailer(long Entries, long Copies, long Deletes, string? DeleteRefused);

internal sealed record PlanHeader(string Format, int Version, DateTimeOffset CreatedUtc, JobSpec Spec);

/// <summary>Any line after the header: an entry (item, settled outcome) or the trailer (end).</summary>
internal sealed record PlanLine(TransferItem? Item, ItemOutcome? Settled, PlanTrailer? End);
