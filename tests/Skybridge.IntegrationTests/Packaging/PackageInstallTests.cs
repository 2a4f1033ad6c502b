using System.IO.Compression;
using System.Xml.Linq;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Packaging;

/// <summary>
/// Issue 16, item 8: `dotnet pack` makes both shipped packages with their metadata, and they install
/// the way a user installs them: the tool with `dotnet tool install --add-source` (then
/// `skybridge --version` runs), the library restored by a small consumer project that builds
/// against the README's "From .NET" API. Everything goes to a private folder and a private
/// NuGet packages folder, so no stale 1.0.0 from an earlier run is ever picked up.
/// </summary>
[Collection("sandbox")]
public sealed class PackageInstallTests(SandboxFixture sandbox) : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("skybridge-pack-").FullName;

    // Both packages are packed once for the class (a pack costs ~15 s of the 2 shared cores).
    private static readonly string Feed = Directory.CreateTempSubdirectory("skybridge-feed-").FullName;
    private static readonly Dictionary<string, Task> Packed = [];

    private Dictionary<string, string?> Env() => new()
    {
        ["NUGET_PACKAGES"] = Path.Combine(_temp, "packages"),
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, string[] args, string? workingDirectory = null)
    {
        var r = await sandbox.RunProcessAsync(file, args, Env(), TimeSpan.FromMinutes(8), withSandboxEnv: false, workingDirectory: workingDirectory);
        Assert.True(r.ExitCode == 0, $"{file} {string.Join(' ', args)}: exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        return r;
    }

    private Task PackAsync(string project)
    {
        lock (Packed)
            return Packed.TryGetValue(project, out var t) ? t
                : Packed[project] = RunAsync("dotnet", ["pack", Path.Combine(sandbox.RepoRoot, "src", project, project + ".csproj"), "-c", "Release", "-o", Feed, "--nologo"]);
    }

    private static XElement Metadata(string nupkg, out HashSet<string> entries)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspec.Open();
        var root = XDocument.Load(stream).Root!;
        return root.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Get(XElement metadata, string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    [Theory]
    [InlineData("Skybridge", "Skybridge.1.0.0.nupkg")]
    [InlineData("Skybridge.Cli", "Skybridge.Cli.1.0.0.nupkg")]
    public async Task Each_package_carries_readme_licence_repository_description_and_tags(string project, string file)
    {
        await PackAsync(project);
        var metadata = Metadata(Path.Combine(Feed, file), out var entries);
        Assert.Equal("README.md", Get(metadata, "readme"));
        Assert.Contains("README.md", entries);
        Assert.Contains("LICENSE", entries);
        var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
        Assert.Equal(("expression", "MIT"), (license.Attribute("type")?.Value, license.Value));
        Assert.StartsWith("https://", Get(metadata, "projectUrl"));
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Equal(Get(metadata, "projectUrl"), repository.Attribute("url")?.Value);
        Assert.Contains("keyless", Get(metadata, "description") ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.Contains("aws", (Get(metadata, "tags") ?? "").Split(' '));
        Assert.Contains("Keyless data movement from AWS S3", await File.ReadAllTextAsync(Path.Combine(sandbox.RepoRoot, "README.md")));
    }

    [Fact]
    public async Task The_tool_installs_from_the_packed_folder_and_runs()
    {
        await PackAsync("Skybridge.Cli");
        var tools = Path.Combine(_temp, "tools");
        await RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", Feed, "Skybridge.Cli"]);
        var version = await RunAsync(Path.Combine(tools, "skybridge"), ["--version"]);
        Assert.StartsWith("1.0.0", version.Stdout.Trim());
        var help = await RunAsync(Path.Combine(tools, "skybridge"), ["auth", "--help"]);
        Assert.Contains("clear-cache", help.Stdout);
    }

    [Fact]
    public async Task A_consumer_project_restores_the_library_from_the_packed_folder_and_builds_against_the_readme_api()
    {
        await PackAsync("Skybridge");
        var app = Directory.CreateDirectory(Path.Combine(_temp, "consumer")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="packed" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Consumer.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Skybridge" Version="1.0.0" />
              </ItemGroup>
            </Project>
            """);
        // The README's "From .NET" example.
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using Amazon;
            using Amazon.S3;
            using Microsoft.Extensions.DependencyInjection;
            using Skybridge.Identity;

            var options = new FederationOptions
            {
                Audience = "api://aws_azure_federate",
                RoleArn = "arn:aws:iam::123456789012:role/reader",
                Region = "eu-west-1",
            };
            var credentials = SkybridgeFederation.CreateAwsCredentials(options);
            using var s3 = new AmazonS3Client(credentials, RegionEndpoint.EUWest1);
            var services = new ServiceCollection();
            services.AddSkybridgeAwsCredentials(options);
            Console.WriteLine("consumer built against " + typeof(FederationOptions).Assembly.GetName().Version);
            """);
        await RunAsync("dotnet", ["build", "-c", "Release", "--nologo"], app);
        var run = await RunAsync("dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll")]);
        Assert.Contains("consumer built against 1.0.0", run.Stdout);
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);
}
