using System.Diagnostics;
using System.Text.RegularExpressions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Skybridge.Cli;
using Skybridge.Distributed;

namespace Skybridge.Tests.Distributed;

/// <summary>The worker's meter and activity source, read back through OpenTelemetry's in-memory exporter; the OTLP export is off unless configured.</summary>
public class WorkerTelemetryTests
{
    private static readonly Regex Secretish = new(@"(?i)(X-Amz-Signature=|X-Amz-Security-Token=|[?&]sig=|AccountKey=|eyJ[A-Za-z0-9_-]{8,}\.)");

    [Fact]
    public void A_batch_records_objects_bytes_failures_throttling_and_latency_and_its_span_carries_no_url_or_secret()
    {
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        var migration = "m-telemetry-" + Guid.NewGuid().ToString("N")[..8]; // other tests in the process may record too: filter by it
        using (var meters = Sdk.CreateMeterProviderBuilder().AddMeter(WorkerTelemetry.Name).AddInMemoryExporter(metrics).Build())
        using (var traces = Sdk.CreateTracerProviderBuilder().AddSource(WorkerTelemetry.Name).AddInMemoryExporter(spans).Build())
        {
            var presigned = "https://s3.example/bucket/k?X-Amz-Signature=0123456789abcdef0123456789abcdef&X-Amz-Security-Token=FQoGZXIvYXdzEJr0123456789";
            var totals = new BatchTotals { Copied = 7, Skipped = 2, Failed = 3, BytesCopied = 7_000, Rerun = 1, FailReasons = new Dictionary<string, long> { ["copy from " + presigned + " failed: 503 SlowDown"] = 3 } };
            using (var span = WorkerTelemetry.StartBatch(migration, 4, 9, 12))
            {
                Assert.NotNull(span); // a listener is configured: the span exists
                WorkerTelemetry.Executed(span, migration, totals, throttled: 2, TimeSpan.FromMilliseconds(1500));
            }
        } // disposing exports once (a flush before it would export the cumulative sums twice)

        long Sum(string name, string? outcome = null) => metrics.Where(m => m.Name == name).SelectMany(Points).Where(p => Tag(p, "skybridge.migration") == migration
            && (outcome is null || Tag(p, "skybridge.outcome") == outcome)).Sum(p => p.GetSumLong());
        Assert.Equal(7, Sum("skybridge.worker.objects", "copied"));
        Assert.Equal(2, Sum("skybridge.worker.objects", "skipped"));
        Assert.Equal(3, Sum("skybridge.worker.objects", "failed"));
        Assert.Equal(7_000, Sum("skybridge.worker.bytes"));
        Assert.Equal(3, Sum("skybridge.worker.failures"));
        Assert.Equal(2, Sum("skybridge.worker.throttled"));
        var latency = metrics.Where(m => m.Name == "skybridge.worker.batch.duration").SelectMany(Points).Single(p => Tag(p, "skybridge.migration") == migration);
        Assert.Equal((1L, 1.5), (latency.GetHistogramCount(), latency.GetHistogramSum()));

        var batch = Assert.Single(spans, s => (string?)s.GetTagItem("skybridge.migration") == migration);
        Assert.Equal(("execute batch", 4, 9, 12), (batch.DisplayName, (int)batch.GetTagItem("skybridge.partition")!, (int)batch.GetTagItem("skybridge.page")!, (int)batch.GetTagItem("skybridge.batch.objects")!));
        Assert.Equal((7L, 3L, 7_000L, 2L), ((long)batch.GetTagItem("skybridge.copied")!, (long)batch.GetTagItem("skybridge.failed")!, (long)batch.GetTagItem("skybridge.bytes")!, (long)batch.GetTagItem("skybridge.throttled")!));
        Assert.Equal(ActivityStatusCode.Error, batch.Status);
        foreach (var text in batch.TagObjects.Select(t => t.Key + "=" + t.Value).Append(batch.StatusDescription ?? "").Append(batch.DisplayName))
            Assert.False(Secretish.IsMatch(text) || text.Contains("https://", StringComparison.Ordinal), $"a URL or secret in the span: {text}");
    }

    private static IEnumerable<MetricPoint> Points(Metric m)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly var p in m.GetMetricPoints()) points.Add(p);
        return points;
    }

    private static string? Tag(MetricPoint p, string key)
    {
        foreach (var t in p.Tags) if (t.Key == key) return t.Value?.ToString();
        return null;
    }

    [Theory]
    [InlineData("503 SlowDown: Please reduce your request rate", true)]
    [InlineData("Azure answered 503 ServerBusy", true)]
    [InlineData("429 Too Many Requests", true)]
    [InlineData("source object changed during the copy", false)]
    [InlineData(null, false)]
    public void Throttling_is_told_from_the_failure_reason(string? reason, bool throttled)
        => Assert.Equal(throttled, WorkerTelemetry.IsThrottling(reason));

    [Fact]
    public void The_otlp_export_is_off_unless_an_endpoint_is_configured_and_a_bad_one_is_a_usage_error()
    {
        Assert.Null(TelemetryExport.Start(null, null));
        Assert.Null(TelemetryExport.Start("", " "));
        using (var on = TelemetryExport.Start("http://127.0.0.1:9", null)) Assert.NotNull(on); // nothing listens there: the exporter drops, the worker does not fail
        using (var fromEnv = TelemetryExport.Start(null, "http://127.0.0.1:9")) Assert.NotNull(fromEnv);
        var e = Assert.Throws<SkybridgeException>(() => TelemetryExport.Start("ftp://collector", null));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.NotNull(e.Fix);
    }
}
