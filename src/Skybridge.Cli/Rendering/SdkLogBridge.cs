using System.Diagnostics;
using Azure.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Skybridge.Cli.Rendering;

/// <summary>
/// At debug/trace level, routes the Azure SDK's EventSource events and the AWS SDK's trace output
/// into our (redacting) loggers, so "--log-level trace" shows every request without leaking a secret.
/// </summary>
internal static class SdkLogBridge
{
    private static AzureEventSourceListener? _azure;

    public static void Attach(ILoggerFactory loggers, LogLevel level)
    {
        if (level > LogLevel.Debug) return;
        var azureLogger = loggers.CreateLogger("Azure.Sdk");
        _azure ??= new AzureEventSourceListener(
            (e, message) => azureLogger.Log(LogLevel.Trace, "{Source}/{Event}: {Message}", e.EventSource.Name, e.EventName, message),
            level == LogLevel.Trace ? System.Diagnostics.Tracing.EventLevel.Verbose : System.Diagnostics.Tracing.EventLevel.Informational);

        Amazon.AWSConfigs.LoggingConfig.LogTo = Amazon.LoggingOptions.SystemDiagnostics;
        Amazon.AWSConfigs.LoggingConfig.LogResponses = Amazon.ResponseLoggingOption.OnError;
        Amazon.AWSConfigs.LoggingConfig.LogMetrics = level == LogLevel.Trace;
        Amazon.AWSConfigs.AddTraceListener("Amazon", new LoggerTraceListener(loggers.CreateLogger("Aws.Sdk")));
    }

    private sealed class LoggerTraceListener(Microsoft.Extensions.Logging.ILogger logger) : TraceListener
    {
        public override void Write(string? message) => WriteLine(message);
        public override void WriteLine(string? message)
        {
            if (!string.IsNullOrWhiteSpace(message)) logger.LogTrace("{Message}", message);
        }
    }
}
