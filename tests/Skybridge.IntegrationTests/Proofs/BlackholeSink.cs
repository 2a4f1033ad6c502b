using System.Diagnostics;
using System.Globalization;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Proofs;

/// <summary>
/// The benchmark's blackhole sink (bench/Skybridge.Bench.Blackhole) as a process of a test, verification
/// on: it checks every transactional Content-MD5 and x-ms-content-crc64 as Azure does (Azurite
/// refuses CRC64 headers), and its /_blackhole/stats say what it checked and refused.
/// </summary>
internal sealed class BlackholeSink(Process process, Uri url) : IDisposable
{
    /// <summary>The benchmark's blackhole sink as a process of this test (verification on), on a free port; built first if needed.</summary>
    public static async Task<BlackholeSink> StartAsync(SandboxFixture sandbox)
    {
        var project = Path.Combine(sandbox.RepoRoot, "bench", "Skybridge.Bench.Blackhole");
        var dll = Path.Combine(project, "bin", "Release", "net10.0", "Skybridge.Bench.Blackhole.dll");
        if (!File.Exists(dll))
        {
            var (rc, o, e) = await sandbox.RunProcessAsync("dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "q"], timeout: TimeSpan.FromMinutes(5));
            Assert.True(rc == 0, o + e);
        }
        var port = FreePort();
        var process = Process.Start(new ProcessStartInfo("dotnet", [dll, "--port", port.ToString(CultureInfo.InvariantCulture)])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var sink = new BlackholeSink(process, new Uri($"http://127.0.0.1:{port}/"));
        for (int i = 0; i < 100; i++)
        {
            try { if ((await sink.Http.GetAsync($"{sink.Url}healthz")).IsSuccessStatusCode) return sink; }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        sink.Dispose();
        throw new InvalidOperationException("the blackhole sink did not start");
    }

    public Uri Url => url;
    public HttpClient Http { get; } = new();

    /// <summary>Creates <paramref name="container"/> in the sink's account (Put Container).</summary>
    public async Task CreateContainerAsync(string container)
    {
        using var create = new HttpRequestMessage(HttpMethod.Put, $"{Url}devstoreaccount1/{container}?restype=container");
        Assert.True((await Http.SendAsync(create)).IsSuccessStatusCode);
    }

    /// <summary>Blobs committed in <paramref name="container"/> and what the sink checked: its /_blackhole/stats.</summary>
    public async Task<System.Text.Json.JsonElement> StatsAsync(string? container = null)
        => System.Text.Json.JsonDocument.Parse(await Http.GetStringAsync($"{Url}_blackhole/stats" + (container is null ? "" : "?container=devstoreaccount1/" + container))).RootElement.Clone();

    public void Dispose()
    {
        Http.Dispose();
        if (!process.HasExited) process.Kill();
        process.WaitForExit(5000);
        process.Dispose();
    }
}
