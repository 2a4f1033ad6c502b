using Microsoft.Extensions.Configuration;

namespace Skybridge.Cli.Configuration;

/// <summary>
/// Resolves a setting by its flag name ("role-arn") with the documented precedence:
/// command-line flag &gt; SKYBRIDGE_ROLE_ARN environment variable &gt; the selected profile in
/// skybridge.json ({"profiles": {"default": {"role-arn": "..."}}}).
/// </summary>
public sealed class Settings
{
    private readonly IReadOnlyDictionary<string, string?> _flags;
    private readonly IConfiguration _environment;
    private readonly IConfiguration? _profile;

    public Settings(IReadOnlyDictionary<string, string?> flags, IConfiguration environment, IConfiguration? profile, string? configPath)
    {
        _flags = flags;
        _environment = environment;
        _profile = profile;
        ConfigPath = configPath;
    }

    public string? ConfigPath { get; }

    public string? Get(string name)
    {
        if (_flags.TryGetValue(name, out var flag) && !string.IsNullOrEmpty(flag)) return flag;
        var env = _environment[EnvironmentKey(name)];
        if (!string.IsNullOrEmpty(env)) return env;
        var fromProfile = _profile?[name];
        return string.IsNullOrEmpty(fromProfile) ? null : fromProfile;
    }

    public string Require(string name, string why)
        => Get(name) ?? throw SkybridgeException.Usage(
            $"--{name} is required: {why}.",
            $"Pass --{name}, set SKYBRIDGE_{EnvironmentKey(name)}, or add \"{name}\" to your skybridge.json profile.");

    public int? GetInt(string name) => Parse(name, s => int.TryParse(s, out var v) ? v : (int?)null, "a whole number");
    public long? GetLong(string name) => Parse(name, s => long.TryParse(s, out var v) ? v : (long?)null, "a whole number");

    public bool GetBool(string name) => Parse(name, s => bool.TryParse(s, out var v) ? v : s switch { "1" or "yes" => true, "0" or "no" => false, _ => (bool?)null }, "true or false") ?? false;

    public Uri? GetUri(string name) => Parse(name, s => Uri.TryCreate(s, UriKind.Absolute, out var u) ? u : null, "an absolute URL such as http://127.0.0.1:7480");

    private T? Parse<T>(string name, Func<string, T?> parse, string expected)
    {
        var raw = Get(name);
        if (raw is null) return default;
        return parse(raw) ?? throw SkybridgeException.Usage($"--{name} '{raw}' is not valid: expected {expected}.", $"Fix the value of --{name} (or SKYBRIDGE_{EnvironmentKey(name)}).");
    }

    /// <summary>"role-arn" -> "ROLE_ARN" (the part after the SKYBRIDGE_ prefix).</summary>
    public static string EnvironmentKey(string name) => name.Replace('-', '_').ToUpperInvariant();

    public static Settings Load(IReadOnlyDictionary<string, string?> flags, string? configPath, string? profileName)
    {
        var environment = new ConfigurationBuilder().AddEnvironmentVariables("SKYBRIDGE_").Build();
        configPath ??= environment["CONFIG"] ?? (File.Exists("skybridge.json") ? "skybridge.json" : null);
        profileName ??= environment["PROFILE"] ?? "default";
        IConfiguration? profile = null;
        if (configPath is not null)
        {
            if (!File.Exists(configPath))
                throw SkybridgeException.Usage($"Configuration file '{configPath}' does not exist.", "Check --config / SKYBRIDGE_CONFIG, or remove it to use flags and environment variables only.");
            IConfigurationRoot root;
            try
            {
                root = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(configPath), optional: false).Build();
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
            {
                throw SkybridgeException.Usage($"Configuration file '{configPath}' is not valid JSON: {e.Message}", "Fix the file; expected {\"profiles\": {\"default\": {\"role-arn\": \"...\"}}}.");
            }
            var section = root.GetSection("profiles").GetSection(profileName);
            if (!section.Exists() && profileName != "default")
                throw SkybridgeException.Usage($"Profile '{profileName}' is not defined in '{configPath}'.", "Use one of: " + string.Join(", ", root.GetSection("profiles").GetChildren().Select(c => c.Key)));
            profile = section;
        }
        return new Settings(flags, environment, profile, configPath);
    }
}
