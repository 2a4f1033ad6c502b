using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Skybridge.Diagnostics;

namespace Skybridge.Transfer;

/// <summary>What happened to one object (or destination-only blob).</summary>
public enum Outcome
{
    /// <summary>Copied and verified, committed at the destination.</summary>
    Copied,
    /// <summary>Left as it is (unchanged, filtered, or not copyable: the reason says which).</summary>
    Skipped,
    /// <summary>Not copied (or not deleted) because of an error; nothing half-written is left visible.</summary>
    Failed,
    /// <summary>Sync: the destination-only blob was deleted.</summary>
    Deleted,
    /// <summary>Plan: would be copied.</summary>
    WouldCopy,
    /// <summary>Plan (sync): would be deleted.</summary>
    WouldDelete,
    /// <summary>Verify: the blob matches the source.</summary>
    Match,
    /// <summary>Verify: the blob is missing.</summary>
    Missing,
    /// <summary>Verify: a blob with no source object.</summary>
    Extra,
    /// <summary>Verify: the blob differs from the source (or cannot be shown equal).</summary>
    Mismatch,
}

/// <summary>One line of the per-object manifest.</summary>
public sealed record ReportEntry(
    string? SourceKey, string? VersionId, [property: JsonPropertyName("etag")] string? ETag, long? Size,
    string? BlobName, string? Md5, Outcome Outcome, string? Reason)
{
    /// <summary>Copied objects: "service" (Azure fetched the bytes) or "stream" (through this host).</summary>
    public string? Mode { get; init; }
}

/// <summary>Receives one entry per object; the engine calls it from many threads.</summary>
public interface IReportSink
{
    /// <summary>Records <paramref name="entry"/>; must be safe to call concurrently.</summary>
    void Write(ReportEntry entry);
}

/// <summary>
/// The --report FILE manifest: JSON Lines, or CSV when the file name ends in .csv. One entry per
/// object, written as outcomes happen (nothing accumulates in memory), reasons redacted.
/// </summary>
public sealed class ReportWriter : IReportSink, IDisposable
{
    // Source-generated metadata and the generic enum converter: the Native AOT build has no
    // reflection metadata for an enum-typed property (it failed every --report there).
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter<Outcome>(JsonNamingPolicy.SnakeCaseLower) },
        TypeInfoResolver = ReportJson.Default,
    };

    /// <summary>The CSV header, in column order (snake_case names of the JSON fields).</summary>
    public static readonly string[] CsvColumns = ["source_key", "version_id", "etag", "size", "blob_name", "md5", "outcome", "reason", "mode"];

    private readonly TextWriter _writer;
    private readonly bool _csv;
    private readonly Lock _gate = new();

    /// <summary>A report on <paramref name="writer"/> (owned from now on: disposed with this), CSV with a header line when <paramref name="csv"/>, else JSON Lines.</summary>
    public ReportWriter(TextWriter writer, bool csv)
    {
        _writer = writer;
        _csv = csv;
        if (csv) _writer.WriteLine(string.Join(",", CsvColumns));
    }

    /// <summary>Creates (or truncates) the report file at <paramref name="path"/>: CSV when it ends in .csv, else JSON Lines.</summary>
    public static ReportWriter Open(string path)
    {
        var stream = new StreamWriter(path, append: false, new UTF8Encoding(false)) { AutoFlush = false };
        return new ReportWriter(stream, path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Writes one line for <paramref name="entry"/>, its reason redacted; thread-safe.</summary>
    public void Write(ReportEntry entry)
    {
        entry = entry with { Reason = entry.Reason is null ? null : SecretRedactor.Redact(entry.Reason) };
        var line = _csv ? ToCsv(entry) : JsonSerializer.Serialize(entry, Json);
        lock (_gate) _writer.WriteLine(line);
    }

    private static string ToCsv(ReportEntry e) => string.Join(",", new[]
    {
        e.SourceKey, e.VersionId, e.ETag, e.Size?.ToString(CultureInfo.InvariantCulture), e.BlobName, e.Md5,
        JsonNamingPolicy.SnakeCaseLower.ConvertName(e.Outcome.ToString()), e.Reason, e.Mode,
    }.Select(Csv));

    /// <summary>RFC 4180 quoting; a leading = + - @ is prefixed with ' so spreadsheets do not run it as a formula.</summary>
    internal static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    /// <summary>Flushes and closes the writer.</summary>
    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }
}

/// <summary>A sink that drops everything (no --report).</summary>
public sealed class NullReport : IReportSink
{
    /// <summary>The one instance (it has no state).</summary>
    public static readonly NullReport Instance = new();
    /// <summary>Does nothing.</summary>
    public void Write(ReportEntry entry) { }
}

[JsonSerializable(typeof(ReportEntry))]
internal sealed partial class ReportJson : JsonSerializerContext;
