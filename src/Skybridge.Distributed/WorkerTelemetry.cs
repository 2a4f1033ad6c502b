using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Skybridge.Distributed;

/// <summary>
/// A worker's metrics and traces as .NET's own instruments (<see cref="Meter"/>, <see cref="ActivitySource"/>):
/// the library knows no OpenTelemetry type; the worker host exports them (OTLP) only when configured.
/// Tags carry ids and counts only, never a key, a URL or a failure text, so no secret or presigned
/// URL can reach a span or a metric.
/// </summary>
public static class WorkerTelemetry
{
    /// <summary>The name of both the meter and the activity source.</summary>
    public const string Name = "Skybridge.Distributed";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Objects = Meter.CreateCounter<long>("skybridge.worker.objects", "{object}", "Objects a worker executed, by outcome (copied, skipped, failed).");
    private static readonly Counter<long> Bytes = Meter.CreateCounter<long>("skybridge.worker.bytes", "By", "Bytes of the objects a worker copied.");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("skybridge.worker.failures", "{object}", "Objects that failed.");
    private static readonly Counter<long> Throttled = Meter.CreateCounter<long>("skybridge.worker.throttled", "{object}", "Objects that failed because a service throttled (503 SlowDown / ServerBusy, 429).");
    private static readonly Histogram<double> BatchSeconds = Meter.CreateHistogram<double>("skybridge.worker.batch.duration", "s", "How long one batch took to execute.");

    /// <summary>A span for one batch (null when nobody listens).</summary>
    public static Activity? StartBatch(string migration, int partition, int page, int items)
        => Source.StartActivity("execute batch", ActivityKind.Internal, default(ActivityContext),
            [new("skybridge.migration", migration), new("skybridge.partition", partition), new("skybridge.page", page), new("skybridge.batch.objects", items)]);

    /// <summary>Records one executed batch: its counters, whether a failure was throttling, its latency.</summary>
    internal static void Executed(Activity? span, string migration, BatchTotals totals, long throttled, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("skybridge.migration", migration);
        Objects.Add(totals.Copied, tag, new("skybridge.outcome", "copied"));
        Objects.Add(totals.Skipped, tag, new("skybridge.outcome", "skipped"));
        Objects.Add(totals.Failed, tag, new("skybridge.outcome", "failed"));
        Bytes.Add(totals.BytesCopied, tag);
        Failures.Add(totals.Failed, tag);
        Throttled.Add(throttled, tag);
        BatchSeconds.Record(elapsed.TotalSeconds, tag);
        if (span is null) return;
        span.SetTag("skybridge.copied", totals.Copied).SetTag("skybridge.failed", totals.Failed).SetTag("skybridge.bytes", totals.BytesCopied)
            .SetTag("skybridge.rerun", totals.Rerun).SetTag("skybridge.throttled", throttled);
        if (totals.Failed > 0) span.SetStatus(ActivityStatusCode.Error, $"{totals.Failed} object(s) failed"); // counts only: reasons are in the outcomes blob
    }

    /// <summary>Whether a failure reason says a service throttled (S3 SlowDown / 503, Azure ServerBusy / 503, 429).</summary>
    public static bool IsThrottling(string? reason)
        => reason is not null && (reason.Contains("SlowDown", StringComparison.OrdinalIgnoreCase) || reason.Contains("ServerBusy", StringComparison.OrdinalIgnoreCase)
            || reason.Contains("503", StringComparison.Ordinal) || reason.Contains("429", StringComparison.Ordinal) || reason.Contains("throttl", StringComparison.OrdinalIgnoreCase));
}
