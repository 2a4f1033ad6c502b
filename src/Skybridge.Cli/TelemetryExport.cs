using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Skybridge.Distributed;

namespace Skybridge.Cli;

/// <summary>
/// The worker host's OpenTelemetry: the OTLP exporter for <see cref="WorkerTelemetry"/>'s meter and
/// activity source, OFF unless configured (--otlp-endpoint, or the standard
/// OTEL_EXPORTER_OTLP_ENDPOINT, whose companions such as OTEL_EXPORTER_OTLP_PROTOCOL and
/// OTEL_EXPORTER_OTLP_HEADERS the exporter reads itself).
/// </summary>
internal static class TelemetryExport
{
    /// <summary>The providers to dispose when the worker stops (flushing what is buffered), or null when nothing is configured.</summary>
    public static IDisposable? Start(string? endpointOption, string? endpointEnv)
    {
        if (string.IsNullOrWhiteSpace(endpointOption) && string.IsNullOrWhiteSpace(endpointEnv)) return null;
        Uri? endpoint = null;
        if (!string.IsNullOrWhiteSpace(endpointOption)
            && (!Uri.TryCreate(endpointOption, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
            throw SkybridgeException.Usage($"--otlp-endpoint '{Diagnostics.DisplayName.Escape(endpointOption)}' is not an http(s) URL.",
                "Pass the collector's OTLP endpoint, e.g. --otlp-endpoint http://localhost:4317 (gRPC) or set OTEL_EXPORTER_OTLP_ENDPOINT.");
        void Configure(OtlpExporterOptions o)
        {
            if (endpoint is not null) o.Endpoint = endpoint; // else the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT
        }
        var meters = Sdk.CreateMeterProviderBuilder().AddMeter(WorkerTelemetry.Name).AddOtlpExporter(Configure).Build();
        var traces = Sdk.CreateTracerProviderBuilder().AddSource(WorkerTelemetry.Name).AddOtlpExporter(Configure).Build();
        return new Both(meters, traces);
    }

    private sealed class Both(IDisposable a, IDisposable b) : IDisposable
    {
        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
        }
    }
}
