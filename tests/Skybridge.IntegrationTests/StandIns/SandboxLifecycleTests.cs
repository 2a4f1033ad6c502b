using System.Diagnostics;
using System.Net.Http.Json;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.StandIns;

/// <summary>A [Fact] that runs only when SKYBRIDGE_SANDBOX_LIFECYCLE=1 (it stops the shared sandbox).</summary>
public sealed class LifecycleFactAttribute : FactAttribute
{
    public LifecycleFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("SKYBRIDGE_SANDBOX_LIFECYCLE") != "1")
            Skip = "stops the shared sandbox: run last with SKYBRIDGE_SANDBOX_LIFECYCLE=1 and --filter Category=Lifecycle";
    }
}

/// <summary>
/// ./sandbox.sh down leaves nothing running, and up brings everything back. Not part of the normal
/// suite: run it last, e.g.
///   SKYBRIDGE_SANDBOX_LIFECYCLE=1 dotnet test ... --filter Category=Lifecycle
/// </summary>
[Collection("sandbox")]
[Trait("Category", "Lifecycle")]
public sealed class SandboxLifecycleTests(SandboxFixture f)
{
    private static readonly (string Args, string What)[] Patterns =
    [
        ("-x radosgw", "radosgw"), ("-x ceph-mon", "ceph-mon"), ("-x ceph-osd", "ceph-osd"),
        ("-f azurite/dist/src/azurite.js", "azurite (node)"), ("-f Skybridge.LocalCloud.dll", "Entra stand-in"),
    ];

    private static bool IsZombieOrGone(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].TrimStart()[0];
            return state is 'Z' or 'X';
        }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return false; }
    }

    [LifecycleFact]
    public async Task Down_leaves_no_process_and_up_restores_the_sandbox()
    {
        var kidBefore = await SigningKidAsync();
        var sw = Stopwatch.StartNew();
        var (rc, _, stderr) = await f.RunProcessAsync(f.SandboxScript, ["down"], withSandboxEnv: false, timeout: TimeSpan.FromMinutes(1));
        var downTime = sw.Elapsed;
        Assert.True(rc == 0, stderr);
        foreach (var (args, what) in Patterns)
        {
            var (_, pids, _) = await f.RunProcessAsync("pgrep", args.Split(' '), withSandboxEnv: false);
            // killed daemons are re-parented to PID 1 and may stay zombies (exited, holding nothing) until it reaps them
            var running = pids.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(pid => !IsZombieOrGone(pid.Trim())).ToList();
            Assert.True(running.Count == 0, $"{what} still running after down: {string.Join(' ', running)}");
        }
        Assert.False(Directory.Exists(Path.Combine(f.RepoRoot, ".sandbox", "ceph")), "Ceph data must be removed");
        var (status, _, _) = await f.RunProcessAsync(f.SandboxScript, ["status"], withSandboxEnv: false);
        Assert.NotEqual(0, status);
        var (envRc, _, _) = await f.RunProcessAsync(f.SandboxScript, ["env"], withSandboxEnv: false);
        Assert.Equal(1, envRc);

        sw.Restart();
        (rc, _, stderr) = await f.RunProcessAsync(f.SandboxScript, ["up"], withSandboxEnv: false, timeout: TimeSpan.FromMinutes(10));
        Assert.True(rc == 0, stderr);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"warm up took {sw.Elapsed} (down took {downTime})");
        await f.ReloadEnvAsync();
        (status, _, _) = await f.RunProcessAsync(f.SandboxScript, ["status"], withSandboxEnv: false);
        Assert.Equal(0, status);
        // the stand-in's signing key survives restarts (tokens minted before stay verifiable)
        Assert.Equal(kidBefore, await SigningKidAsync());
    }

    private async Task<string> SigningKidAsync()
    {
        using var http = new HttpClient();
        var info = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"{f.EntraUrl}/admin/info");
        return info.GetProperty("signingKid").GetString()!;
    }
}
