using Skybridge.Cli.Configuration;

namespace Skybridge.Tests.Cli;

public sealed class SettingsTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "skybridge-settings-" + Guid.NewGuid().ToString("N") + ".json");

    public SettingsTests()
    {
        File.WriteAllText(_file, """
            {"profiles": {
              "default": {"role-arn": "arn:aws:iam::111111111111:role/from-profile", "region": "eu-west-1", "audience": "api://profile"},
              "prod": {"role-arn": "arn:aws:iam::222222222222:role/prod"}}}
            """);
    }

    [Fact]
    public void Flag_beats_environment_beats_profile()
    {
        Environment.SetEnvironmentVariable("SKYBRIDGE_REGION", "us-west-2");
        try
        {
            var s = Settings.Load(new Dictionary<string, string?> { ["audience"] = "api://flag" }, _file, null);
            Assert.Equal("api://flag", s.Get("audience"));
            Assert.Equal("us-west-2", s.Get("region"));
            Assert.Equal("arn:aws:iam::111111111111:role/from-profile", s.Get("role-arn"));
            Assert.Null(s.Get("client-id"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("SKYBRIDGE_REGION", null);
        }
    }

    [Fact]
    public void Named_profile_is_selected()
        => Assert.Equal("arn:aws:iam::222222222222:role/prod", Settings.Load(new Dictionary<string, string?>(), _file, "prod").Get("role-arn"));

    [Fact]
    public void Unknown_profile_lists_the_known_ones()
    {
        var e = Assert.Throws<SkybridgeException>(() => Settings.Load(new Dictionary<string, string?>(), _file, "staging"));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("default, prod", e.Fix);
    }

    [Fact]
    public void Broken_config_file_is_a_usage_error()
    {
        File.WriteAllText(_file, "{ \"profiles\": { broken");
        var e = Assert.Throws<SkybridgeException>(() => Settings.Load(new Dictionary<string, string?>(), _file, null));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void Missing_config_file_is_a_usage_error()
        => Assert.Equal(ErrorKind.Usage, Assert.Throws<SkybridgeException>(() => Settings.Load(new Dictionary<string, string?>(), _file + ".missing", null)).Kind);

    [Fact]
    public void Invalid_numbers_and_urls_name_the_setting()
    {
        var s = Settings.Load(new Dictionary<string, string?> { ["duration"] = "an hour", ["s3-endpoint"] = "not a url" }, null, null);
        Assert.Contains("--duration", Assert.Throws<SkybridgeException>(() => s.GetInt("duration")).Message);
        Assert.Contains("--s3-endpoint", Assert.Throws<SkybridgeException>(() => s.GetUri("s3-endpoint")).Message);
        Assert.Contains("SKYBRIDGE_ROLE_ARN", Assert.Throws<SkybridgeException>(() => s.Require("role-arn", "why")).Fix);
    }

    public void Dispose() => File.Delete(_file);
}
