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

    /// <summary>A plain object for JSON output (snake_case by the caller's serializer options).</summary>
    public object ToJson() => new
    {
        mode = Mode.ToString().ToLowerInvariant(),
        source = Source,
        destination = Destination,
        exit_code = ExitCode,
        elapsed_seconds = Math.Round(Stats.Elapsed.TotalSeconds, 3),
        listed = Stats.Listed,
        copied = Mode == RunMode.Plan ? 0 : Stats.Copied,
        to_copy = Stats.ToCopy,
        bytes_to_copy = Stats.BytesToCopy,
        bytes_copied = Stats.BytesCopied,
        // How the bytes travelled: through this host (read by Skybridge) or fetched by Azure itself.
        service_side = Stats.ServiceSide,
        streamed = Stats.Streamed,
        stream_reasons = Stats.StreamReasons,
        bytes_read_by_host = Stats.BytesTransferred,
        bytes_service_side = Stats.BytesServiceSide,
        represigned_urls = Stats.Represigned,
        bytes_per_second = Math.Round(Stats.Rate),
        skipped = Stats.Skipped,
        renamed = Stats.Renamed,
        unverified = Stats.Unverified,
        // What proved each copied object, by proof name (md5-by-destination, md5, multipart-etag, service-md5, ...).
        proofs = Stats.Proofs,
        failed = Stats.Failed,
        to_delete = Stats.ToDelete,
        deleted = Stats.Deleted,
        delete_refused = DeleteRefused,
        matched = Stats.Matched,
        missing = Stats.Missing,
        extra = Stats.Extra,
        mismatched = Stats.Mismatched,
        skip_reasons = Stats.SkipReasons,
        fail_reasons = Stats.FailReasons,
        errors = Stats.Errors,
        peak_buffer_bytes = PeakBufferBytes,
    };
}
