using System.Text.Json;
using Skybridge.Transfer;
using Skybridge.Transfer.Planning;

namespace Skybridge.Jobs;

/// <summary>
/// What a job is, as the journal stores it: the run mode, the source and destination (never with a
/// SAS or key) and every option that shapes the result, as resolved values (after flags, environment
/// and profile), so another process can run or resume the job without re-reading a command line.
/// </summary>
public sealed record JobSpec
{
    /// <summary>Payload version: bump it when a field changes meaning.</summary>
    public int Version { get; init; } = CurrentVersion;
    /// <summary>The spec version this build writes and the newest it reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Copy, sync, plan or verify.</summary>
    public required RunMode Mode { get; init; }
    /// <summary>s3://bucket/prefix</summary>
    public required string Source { get; init; }
    /// <summary>The destination URL without its query (a SAS is never stored).</summary>
    public required string Destination { get; init; }
    /// <summary>The resolved options (a resume may change only the resources: see <see cref="TransferOptions.WithResourcesOf"/>).</summary>
    public required TransferOptions Options { get; init; }

    /// <summary>The spec as the journal stores it (one JSON object, the wire form of <see cref="TransferItemJson"/>).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, TransferItemJson.Options);

    /// <summary>Reads a stored spec; a newer payload than this build knows is refused.</summary>
    public static JobSpec FromJson(string json)
    {
        var spec = JsonSerializer.Deserialize<JobSpec>(json, TransferItemJson.Options) ?? throw new JsonException("a job spec is null");
        if (spec.Version is < 1 or > CurrentVersion)
            throw new JsonException($"job spec version {spec.Version} is not one this build reads (1..{CurrentVersion}): use the Skybridge version that created the job");
        return spec;
    }
}
