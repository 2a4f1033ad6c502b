using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Skybridge.Diagnostics;

namespace Skybridge.Transfer;

/// <summary>What happened to one object (or destination-only blob).</summary>
public enum Outcome { Copied, Skipped, Failed, Deleted, WouldCopy, WouldDelete, Match, Missing, Extra, Mismatch }

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
    void Write(ReportEntry entry);
}

/// <summary>
/// The --report FILE manifest: JSON Lines, or CSV when the file name ends in .csv. One entry per
/// object, written as outcomes happen (nothing accumulates in memory), reasons redacted.
/// </summary>
public sealed class ReportWriter : IReportSink, IDisposable
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static readonly string[] CsvColumns = ["source_key", "version_id", "etag", "size", "blob_name", "md5", "outcome", "reason", "mode"];

    private readonly TextWriter _writer;
    private readonly bool _csv;
    private readonly Lock _gate = new();

    public ReportWriter(TextWriter writer, bool csv)
    {
        _writer = writer;
        _csv = csv;
        if (csv) _writer.WriteLine(string.Join(",", CsvColumns));
    }

    public static ReportWriter Open(string path)
    {
        var stream = new StreamWriter(path, append: false, new UTF8Encoding(false)) { AutoFlush = false };
        return new ReportWriter(stream, path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase));
    }

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

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }
}

/// <summary>A sink that drops everything (no --report).</summary>
public sealed class NullReport : IReportSink
{
    public static readonly NullReport Instance = new();
    public void Write(ReportEntry entry) { }
}
