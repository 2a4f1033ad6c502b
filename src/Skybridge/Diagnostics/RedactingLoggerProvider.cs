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
        var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {Short(level)} {category}: {DisplayName.Escape(SecretRedactor.Redact(message))}";
        if (exception is not null) line += Environment.NewLine + "  " + exception.GetType().Name + ": " + DisplayName.Escape(SecretRedactor.Redact(exception.Message));
        lock (_gate) writer.WriteLine(line);
    }

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
