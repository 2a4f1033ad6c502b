using Microsoft.Extensions.Logging;

namespace Skybridge.Diagnostics;

/// <summary>Writes log lines to a writer (the CLI: stderr; the broker: stdout), each passed through <see cref="SecretRedactor"/> first.</summary>
public sealed class RedactingLoggerProvider(TextWriter writer) : ILoggerProvider
{
    private readonly Lock _gate = new();

    /// <summary>A logger whose lines (message and exception text) are redacted and escaped, then written as one line each under the provider's lock.</summary>
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Nothing to release: the writer belongs to the caller.</summary>
    public void Dispose() { }

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        // Messages and exception texts quote names from the source: escaped, one log line per event.
        var line = new System.Text.StringBuilder($"{DateTime.UtcNow:HH:mm:ss.fff} {Short(level)} {category}: {Safe(message)}");
        AppendException(line, exception, "  ");
        lock (_gate) writer.WriteLine(line);
    }

    /// <summary>
    /// The exception, its stack and its inner exceptions, indented under the line: without the stack a
    /// failure nobody mapped ("Specified argument was out of the range of valid values.") cannot be
    /// placed. Frames are method names, but they pass through the redactor like everything else.
    /// </summary>
    private static void AppendException(System.Text.StringBuilder line, Exception? e, string indent)
    {
        for (var depth = 0; e is not null && depth < MaxInnerDepth; depth++)
        {
            line.AppendLine().Append(indent).Append(e.GetType().Name).Append(": ").Append(Safe(e.Message));
            foreach (var frame in (e.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                line.AppendLine().Append(indent).Append("  ").Append(Safe(frame));
            if (e is AggregateException { InnerExceptions.Count: > 1 } many)
            {
                foreach (var inner in many.InnerExceptions) AppendException(line, inner, indent + "  ");
                return;
            }
            e = e.InnerException;
            indent += "  ";
        }
    }

    private const int MaxInnerDepth = 8;

    private static string Safe(string text) => DisplayName.Escape(SecretRedactor.Redact(text));

    private static string Short(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce", LogLevel.Debug => "dbug", LogLevel.Information => "info",
        LogLevel.Warning => "warn", LogLevel.Error => "fail", _ => "crit",
    };

    private sealed class Logger(RedactingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Write(logLevel, category, formatter(state, exception), exception);
    }
}
