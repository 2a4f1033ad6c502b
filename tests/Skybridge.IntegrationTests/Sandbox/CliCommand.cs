using System.Diagnostics;

namespace Skybridge.IntegrationTests.Sandbox;

/// <summary>
/// How the tests start the CLI. By default <c>dotnet Skybridge.Cli.dll</c>, the build copied next to
/// the test assembly; with <c>SKYBRIDGE_TEST_CLI</c> set, that executable instead (the Native AOT
/// build <c>SKYBRIDGE_BUILD=aot ./skybridge</c> publishes and the benchmark runs), so the same
/// tests check each build that ships rather than only the one the test project happens to reference.
/// </summary>
public sealed record CliCommand(string Program, IReadOnlyList<string> Prefix)
{
    /// <summary>The environment variable naming a CLI executable to test instead of the referenced build.</summary>
    public const string Variable = "SKYBRIDGE_TEST_CLI";

    /// <summary>The CLI under test for this run.</summary>
    public static CliCommand Current { get; } = FromEnvironment(Environment.GetEnvironmentVariable(Variable));

    internal static CliCommand FromEnvironment(string? executable)
    {
        if (string.IsNullOrEmpty(executable))
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "Skybridge.Cli.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException("the Skybridge CLI is not next to the test assembly", dll);
            return new CliCommand("dotnet", [dll]);
        }
        if (!File.Exists(executable)) throw new FileNotFoundException($"{Variable} names no file", executable);
        return new CliCommand(Path.GetFullPath(executable), []);
    }

    /// <summary>The program's arguments: the prefix (the dll for dotnet), then <paramref name="args"/>.</summary>
    public string[] Arguments(IEnumerable<string> args) => [.. Prefix, .. args];

    /// <summary>The command as one shell line (an AWS profile's credential_process), without arguments.</summary>
    public string ShellLine => string.Join(' ', Arguments([]).Prepend(Program));

    /// <summary>A start info for <paramref name="args"/>; the caller sets redirection and environment.</summary>
    public ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Program);
        foreach (var a in Arguments(args)) psi.ArgumentList.Add(a);
        return psi;
    }
}
