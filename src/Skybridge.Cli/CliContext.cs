using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Logging;
using Skybridge.Cli.Configuration;
using Skybridge.Cli.Rendering;
using Skybridge.Diagnostics;

namespace Skybridge.Cli;

/// <summary>Everything a command needs from one invocation: resolved settings, logging, output mode.</summary>
internal sealed class CliContext : IDisposable
{
    private CliContext(Settings settings, ILoggerFactory loggers, bool json, TextWriter stdout, TextWriter stderr)
    {
        Settings = settings;
        Loggers = loggers;
        Json = json;
        Out = stdout;
        Error = stderr;
    }

    public Settings Settings { get; }
    public ILoggerFactory Loggers { get; }
    public bool Json { get; }
    public TextWriter Out { get; }
    public TextWriter Error { get; }

    public ILogger Logger<T>() => Loggers.CreateLogger<T>();

    // Built once per invocation by IdentityBinding, so every part of a command shares one
    // Azure credential (one token cache) and one refreshing AWS session.
    internal Azure.Core.TokenCredential? AzureCredentialInstance { get; set; }
    internal Skybridge.Identity.FederatedAwsCredentials? AwsCredentialsInstance { get; set; }

    public static CliContext From(ParseResult parse, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in OptionsInScope(parse))
        {
            if (parse.GetResult(option) is not { Implicit: false } result) continue;
            flags[option.Name.TrimStart('-')] = string.Join(",", result.Tokens.Select(t => t.Value));
        }
        var settings = Settings.Load(flags, flags.GetValueOrDefault("config"), flags.GetValueOrDefault("profile"));
        var output = settings.Get("output") ?? "text";
        if (output is not ("text" or "json"))
            throw SkybridgeException.Usage($"--output '{output}' is not valid.", "Use --output text or --output json.");
        var level = ParseLevel(settings.Get("log-level") ?? "warning");
        var stderrWriter = stderr ?? Console.Error;
        var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(level).AddProvider(new RedactingLoggerProvider(stderrWriter)));
        SdkLogBridge.Attach(loggers, level);
        return new CliContext(settings, loggers, output == "json", stdout ?? Console.Out, stderrWriter);
    }

    /// <summary>The string-valued options of the invoked command and of every command above it.</summary>
    private static IEnumerable<Option> OptionsInScope(ParseResult parse)
    {
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
            if (result is CommandResult command)
                foreach (var option in command.Command.Options)
                    if (option.ValueType == typeof(string)) yield return option;
    }

    private static LogLevel ParseLevel(string value) => value.ToLowerInvariant() switch
    {
        "none" => LogLevel.None,
        "error" => LogLevel.Error,
        "warning" or "warn" => LogLevel.Warning,
        "information" or "info" => LogLevel.Information,
        "debug" => LogLevel.Debug,
        "trace" => LogLevel.Trace,
        _ => throw SkybridgeException.Usage($"--log-level '{value}' is not valid.", "Use none, error, warning, information, debug or trace."),
    };

    public void Dispose() => Loggers.Dispose();
}
