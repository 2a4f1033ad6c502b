namespace Skybridge.Transfer;

/// <summary>The outcome of a run, as the summary (text or --output json) shows it.</summary>
public sealed record RunResult
{
    /// <summary>What the run did.</summary>
    public required RunMode Mode { get; init; }
    /// <summary>The source as <see cref="IObjectSource.Describe"/> shows it.</summary>
    public required string Source { get; init; }
    /// <summary>The destination as <see cref="IBlobDestination.Describe"/> shows it (never with a SAS).</summary>
    public required string Destination { get; init; }
    /// <summary>The run's counters, final.</summary>
    public required TransferStats Stats { get; init; }
    /// <summary>Why sync did not delete (a guard tripped), or null.</summary>
    public string? DeleteRefused { get; init; }
    /// <summary>Most block-buffer bytes held at once during the run (<see cref="MemoryBudget.Peak"/>).</summary>
    public long PeakBufferBytes { get; init; }

    /// <summary>0 when everything asked for was done (or verify found no difference), else 1.</summary>
    public int ExitCode => Mode switch
    {
        RunMode.Verify => Stats.Missing + Stats.Extra + Stats.Mismatched + Stats.Failed > 0 ? ExitCodes.SomeFailed : ExitCodes.Ok,
        _ => Stats.Failed > 0 || DeleteRefused is not null ? ExitCodes.SomeFailed : ExitCodes.Ok,
    };

    /// <summary>The --output json summary: one indented JSON object, snake_case names, nulls written.</summary>
    public string ToJson() => RunSummaryJson.Write(new RunSummary(
        Mode: Mode.ToString().ToLowerInvariant(),
        Source: Source,
        Destination: Destination,
        ExitCode: ExitCode,
        ElapsedSeconds: Math.Round(Stats.Elapsed.TotalSeconds, 3),
        Listed: Stats.Listed,
        Copied: Mode == RunMode.Plan ? 0 : Stats.Copied,
        ToCopy: Stats.ToCopy,
        BytesToCopy: Stats.BytesToCopy,
        BytesCopied: Stats.BytesCopied,
        // How the bytes travelled: through this host (read by Skybridge) or fetched by Azure itself.
        ServiceSide: Stats.ServiceSide,
        Streamed: Stats.Streamed,
        StreamReasons: Stats.StreamReasons,
        BytesReadByHost: Stats.BytesTransferred,
        BytesServiceSide: Stats.BytesServiceSide,
        RepresignedUrls: Stats.Represigned,
        BytesPerSecond: Math.Round(Stats.Rate),
        Skipped: Stats.Skipped,
        Renamed: Stats.Renamed,
        Unverified: Stats.Unverified,
        // What proved each copied object, by proof name (md5-by-destination, md5, multipart-etag, service-md5, ...).
        Proofs: Stats.Proofs,
        Failed: Stats.Failed,
        ToDelete: Stats.ToDelete,
        Deleted: Stats.Deleted,
        DeleteRefused: DeleteRefused,
        Matched: Stats.Matched,
        Missing: Stats.Missing,
        Extra: Stats.Extra,
        Mismatched: Stats.Mismatched,
        SkipReasons: Stats.SkipReasons,
        FailReasons: Stats.FailReasons,
        Errors: Stats.Errors,
        PeakBufferBytes: PeakBufferBytes));
}
