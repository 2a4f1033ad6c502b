using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skybridge.Transfer;

/// <summary>
/// The --output json summary of a run, one property per field in the order it is written
/// (snake_case by <see cref="RunSummaryJson"/>). A named type rather than an anonymous object so the
/// serializer is source-generated: reflection metadata for the summary cost every run JIT time
/// (bench/findings.md, issue 14).
/// </summary>
internal sealed record RunSummary(
    string Mode, string Source, string Destination, int ExitCode, double ElapsedSeconds,
    long Listed, long Copied, long ToCopy, long BytesToCopy, long BytesCopied,
    long ServiceSide, long Streamed, IReadOnlyDictionary<string, int> StreamReasons,
    long BytesReadByHost, long BytesServiceSide, long RepresignedUrls, double BytesPerSecond,
    long Skipped, long Renamed, long Unverified, IReadOnlyDictionary<string, int> Proofs,
    long Failed, long ToDelete, long Deleted, string? DeleteRefused,
    long Matched, long Missing, long Extra, long Mismatched,
    IReadOnlyDictionary<string, int> SkipReasons, IReadOnlyDictionary<string, int> FailReasons,
    IReadOnlyCollection<string> Errors, long PeakBufferBytes);

/// <summary>Source-generated JSON for <see cref="RunSummary"/>: snake_case, indented, nulls written.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(RunSummary))]
internal sealed partial class RunSummaryJson : JsonSerializerContext
{
    /// <summary>The summary as indented JSON.</summary>
    public static string Write(RunSummary summary) => JsonSerializer.Serialize(summary, Default.RunSummary);
}
