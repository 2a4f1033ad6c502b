using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Skybridge.Distributed;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Distributed;

/// <summary>
/// A private task hub for one test (its own queues, tables and containers in Azurite) and the real
/// CLI as worker processes; disposing kills the workers it started (by their own PIDs) and deletes the hub.
/// </summary>
public sealed class MigrationKit(SandboxFixture sandbox, ReliabilityKit kit) : IAsyncDisposable
{
    private readonly List<CliProcess> _workers = [];
    private Dictionary<string, string?>? _env;

    public string Hub { get; } = "t" + Guid.NewGuid().ToString("N")[..14];
    public IReadOnlyList<CliProcess> Workers => _workers;

    /// <summary>The CLI environment: the sandbox, an isolated identity, this hub (keyless: the Azure identity reaches Azurite's blob, queue and table services).</summary>
    public async Task<Dictionary<string, string?>> EnvAsync()
    {
        if (_env is null)
        {
            var env = await kit.IsolatedEnvAsync();
            env["SKYBRIDGE_HUB"] = Hub;
            env["SKYBRIDGE_HUB_STORAGE"] = sandbox.BlobEndpoint;
            _env = kit.Env(env);
        }
        return _env;
    }

    public async Task<CliProcess> StartWorkerAsync(string logLevel = "information", params string[] extra)
    {
        var worker = new CliProcess(["migrate", "worker", "--log-level", logLevel, "--concurrency", "8", .. extra], await EnvAsync());
        _workers.Add(worker);
        return worker;
    }

    public async Task<CliResult> CliAsync(params string[] args) => await sandbox.RunCliAsync(args, await EnvAsync(), TimeSpan.FromMinutes(5));

    public async Task<string> StartAsync(string srcPrefix, string dstPrefix, params string[] extra)
    {
        var r = await CliAsync(["migrate", "start", kit.Src(srcPrefix), kit.Dst(dstPrefix), "--output", "json", .. extra]);
        Assert.True(r.ExitCode == 0, $"migrate start: {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        return ReliabilityKit.Json(r).GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> StatusAsync(string id)
    {
        var r = await CliAsync("migrate", "status", id, "--output", "json");
        Assert.True(r.ExitCode is 0 or 1, $"migrate status: {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        return ReliabilityKit.Json(r);
    }

    /// <summary>Polls status until the migration has finished (or the time is up: then the workers' output explains why).</summary>
    public async Task<JsonElement> WaitAsync(string id, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await StatusAsync(id);
            if (status.GetProperty("finished").GetBoolean()) return status;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"migration {id} not finished after {timeout}: {status}\n" + string.Join("\n----\n", _workers.Select(w => Tail(w.Stderr))));
            await Task.Delay(1000);
        }
    }

    private static string Tail(string s) => s.Length > 4000 ? s[^4000..] : s;

    /// <summary>The report of a migration, as JSON lines.</summary>
    public async Task<List<JsonElement>> ReportAsync(string id)
    {
        var path = ReliabilityKit.TempPath(".jsonl");
        var r = await CliAsync("migrate", "report", id, "--report", path);
        Assert.True(r.ExitCode == 0, $"migrate report: {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        return ReliabilityKit.ReadReport(path);
    }

    /// <summary>The hub's migration blobs (manifests, outcomes), read with the shared key.</summary>
    public BlobContainerClient Store() => kit.InspectorService().GetBlobContainerClient(MigrationStore.ContainerName(Hub));

    /// <summary>Batches started and not finished: their <c>.started</c> blob exists, their <c>.outcomes.jsonl</c> does not.</summary>
    public async Task<HashSet<string>> InFlightBatchesAsync(string id)
    {
        var started = new HashSet<string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var b in Store().GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = id + "/" }))
        {
            if (b.Name.EndsWith(".started", StringComparison.Ordinal)) started.Add(b.Name[..^".started".Length]);
            if (b.Name.EndsWith(".outcomes.jsonl", StringComparison.Ordinal)) finished.Add(b.Name[..^".outcomes.jsonl".Length]);
        }
        started.ExceptWith(finished);
        return started;
    }

    /// <summary>The name a worker process gives itself in heartbeats and <c>.started</c> markers (its host and PID: MigrationRuntime.WorkerName).</summary>
    public static string WorkerName(CliProcess worker) => $"{Environment.MachineName}-{worker.Pid}";

    /// <summary>
    /// Once a first batch has finished (something is committed), the batch in flight most recently
    /// started by one of <paramref name="candidates"/> (still running): its <c>.started</c> marker
    /// names that worker and its <c>.outcomes.jsonl</c> does not exist yet.
    /// </summary>
    public async Task<(string Batch, CliProcess Worker)?> BatchHeldByAsync(string id, IReadOnlyCollection<CliProcess> candidates)
    {
        var started = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var b in Store().GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = id + "/" }))
        {
            if (b.Name.EndsWith(".started", StringComparison.Ordinal)) started[b.Name[..^".started".Length]] = b.Properties.CreatedOn ?? DateTimeOffset.MinValue;
            if (b.Name.EndsWith(".outcomes.jsonl", StringComparison.Ordinal)) finished.Add(b.Name[..^".outcomes.jsonl".Length]);
        }
        if (finished.Count == 0) return null;
        foreach (var (batch, _) in started.Where(s => !finished.Contains(s.Key)).OrderByDescending(s => s.Value)) // the newest has the most left to do
        {
            var holder = (await Store().GetBlobClient(batch + ".started").DownloadContentAsync()).Value.Content.ToString();
            if (candidates.FirstOrDefault(w => !w.HasExited && WorkerName(w) == holder) is { } worker) return (batch, worker);
        }
        return null;
    }

    /// <summary>Whether the batch's outcomes are written (it finished).</summary>
    public async Task<bool> FinishedAsync(string batch) => (await Store().GetBlobClient(batch + ".outcomes.jsonl").ExistsAsync()).Value;

    /// <summary>The lines of a finished batch's outcomes blob.</summary>
    public async Task<string[]> OutcomeLinesAsync(string batch)
        => (await Store().GetBlobClient(batch + ".outcomes.jsonl").DownloadContentAsync()).Value.Content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// SIGSTOP / SIGCONT to a worker this kit started, by its PID (never by name): a frozen worker
    /// holds its batch without finishing it, so the test can check it is mid-batch before the kill -9.
    /// </summary>
    public static async Task SignalAsync(CliProcess worker, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, worker.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {worker.Pid} exited {kill.ExitCode}");
    }

    /// <summary>Every text the task hub holds for this test: the migration blobs and every table row (instances, history).</summary>
    public async Task<List<(string Where, string Text)>> HubContentsAsync()
    {
        var texts = new List<(string, string)>();
        await foreach (var b in Store().GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions()))
            texts.Add(("blob " + b.Name, (await Store().GetBlobClient(b.Name).DownloadContentAsync()).Value.Content.ToString()));
        var tables = new Azure.Data.Tables.TableServiceClient(HubConnectionString);
        await foreach (var t in tables.QueryAsync(t => t.Name.CompareTo(Hub) >= 0))
        {
            if (!t.Name.StartsWith(Hub, StringComparison.OrdinalIgnoreCase)) continue;
            await foreach (var row in tables.GetTableClient(t.Name).QueryAsync<Azure.Data.Tables.TableEntity>())
                texts.Add(($"table {t.Name} {row.PartitionKey}/{row.RowKey}", string.Join("\n", row.Select(kv => kv.Value?.ToString()))));
        }
        return texts;
    }

    /// <summary>Every partition orchestration of the migration as the task hub's instances table holds it (created, last updated, status).</summary>
    public async Task<List<DurableTask.Core.OrchestrationState>> PartitionStatesAsync(string id)
    {
        var service = new TaskHubConnection { Name = Hub, ConnectionString = HubConnectionString }.Service(NullLoggerFactory.Instance);
        var condition = new DurableTask.AzureStorage.Tracking.OrchestrationInstanceStatusQueryCondition { InstanceIdPrefix = id + ":p" };
        var states = new List<DurableTask.Core.OrchestrationState>();
        string? next = null;
        do
        {
            var page = await service.GetOrchestrationStateAsync(condition, 1000, next, CancellationToken.None);
            states.AddRange(page.OrchestrationState);
            next = page.ContinuationToken;
        } while (!string.IsNullOrEmpty(next));
        return states;
    }

    /// <summary>The shared-key connection string of the sandbox account, with its queue and table endpoints (Azurite: the next two ports).</summary>
    private string HubConnectionString
    {
        get
        {
            var cs = sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"];
            var (queue, table) = TaskHubConnection.SiblingEndpoints(new Uri(sandbox.BlobEndpoint));
            return cs.TrimEnd(';') + $";QueueEndpoint={queue};TableEndpoint={table};";
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var w in _workers) w.Dispose(); // kill -9 of the processes this kit started, nothing else
        try
        {
            var hub = new TaskHubConnection { Name = Hub, ConnectionString = HubConnectionString };
            await hub.Service(NullLoggerFactory.Instance).DeleteAsync();
            await Store().DeleteIfExistsAsync();
        }
        catch (Exception) { /* best effort: a private hub left behind harms no one */ }
    }
}
