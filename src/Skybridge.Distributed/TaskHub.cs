using Azure.Core;
using Azure.Storage.Blobs;
using DurableTask.AzureStorage;

namespace Skybridge.Distributed;

/// <summary>
/// Where a migration's task hub lives: a DTFx Azure Storage task hub (queues, tables, blobs) in one
/// storage account, reached keylessly with a <see cref="TokenCredential"/>, or with a connection
/// string. Recovery settings: a 15 s lease (DTFx's blob leases refuse less), a 60 s control-queue
/// visibility and a 15 s work-item visibility; the defaults (30 s, 5 min, 5 min) took 304 s to
/// recover from a kill -9 in the spike on this machine.
/// </summary>
public sealed record TaskHubConnection
{
    public required string Name { get; init; }
    public Uri? BlobEndpoint { get; init; }
    public TokenCredential? Credential { get; init; }
    public string? ConnectionString { get; init; }
    /// <summary>Task hub partitions (control queues): how many workers can hold orchestrations at once.</summary>
    public int PartitionCount { get; init; } = 4;

    public static readonly TimeSpan LeaseInterval = TimeSpan.FromSeconds(15);
    /// <summary>
    /// How long an orchestration message a worker fetched stays hidden from the others. DTFx renews it
    /// only while an episode runs, not while it waits in the worker's buffer for its history to load
    /// and a dispatcher slot, so it must outlast that wait under load: at 20 s (the spike's choice) a
    /// 2-worker no-op of 200,000 objects on 2 cores livelocked, messages fetched again and again (up
    /// to 33 times) and every delete refused for a stale pop receipt. A dead worker's fetched
    /// messages come back after it, so it bounds how long a kill stalls that worker's orchestrations
    /// (not its batches: those follow <see cref="WorkItemVisibility"/>); 60 s is the top of the range
    /// the spike found to work.
    /// </summary>
    public static readonly TimeSpan ControlQueueVisibility = TimeSpan.FromSeconds(60);
    /// <summary>
    /// How long a dead worker's activity (a batch) stays invisible before another worker takes it (default 5 min).
    /// A live worker renews it every 5 s while the batch runs (DTFx's dispatcher renews 30 s before it lapses,
    /// checking every 5 s), so 15 s leaves two missed renewals of margin; 30 s made a killed worker's batches
    /// wait 30 s before anyone could run them again (recovery 73 s against the 60 s the issue allows).
    /// </summary>
    public static readonly TimeSpan WorkItemVisibility = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Longest wait between polls of an empty queue (DTFx default 30 s): a batch that reappears after its
    /// worker died, or one queued while the workers idle, is seen within 5 s. The cost is one queue read per
    /// 5 s per idle worker and queue.
    /// </summary>
    public static readonly TimeSpan MaxQueuePolling = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Refuses to go on in a Native AOT process: the Durable Task Framework is not AOT compatible
    /// (DurableTask.Core and DurableTask.AzureStorage fail the AOT analysis, and the first migrate
    /// against SKYBRIDGE_BUILD=aot died in a type initializer), so it is refused before anything is created.
    /// </summary>
    public static void EnsureSupported()
    {
        if (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
            throw SkybridgeException.Usage("Distributed migrations cannot run in this Native AOT build of skybridge: the Durable Task Framework they run on is not AOT compatible.",
                "Run 'skybridge migrate' from the default build (unset SKYBRIDGE_BUILD, or the dotnet tool); every other command works in this one.");
    }

    /// <summary>A valid DTFx task hub name: 3..45 letters and digits, starting with a letter.</summary>
    public static string ValidName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw SkybridgeException.Usage("No task hub is given.", "Pass --hub NAME (or SKYBRIDGE_HUB): the same name for 'migrate start', every worker, status, cancel and report.");
        if (name.Length is < 3 or > 45 || !char.IsAsciiLetter(name[0]) || !name.All(char.IsAsciiLetterOrDigit))
            throw SkybridgeException.Usage($"--hub '{name}' is not a valid task hub name.", "Use 3 to 45 letters and digits, starting with a letter (e.g. --hub migrations1).");
        return name;
    }

    /// <summary>
    /// The queue and table endpoints of the account: <c>.blob.</c> becomes <c>.queue.</c> / <c>.table.</c>;
    /// an emulator's IP-style URL (Azurite: https://127.0.0.1:10000/account) uses the next two ports.
    /// </summary>
    public static (Uri Queue, Uri Table) SiblingEndpoints(Uri blob)
    {
        if (blob.Host.Contains(".blob.", StringComparison.OrdinalIgnoreCase))
            return (new Uri(blob.ToString().Replace(".blob.", ".queue.", StringComparison.OrdinalIgnoreCase)),
                new Uri(blob.ToString().Replace(".blob.", ".table.", StringComparison.OrdinalIgnoreCase)));
        return (WithPort(blob, blob.Port + 1), WithPort(blob, blob.Port + 2));
    }

    private static Uri WithPort(Uri u, int port) => new UriBuilder(u) { Port = port }.Uri;

    internal StorageAccountClientProvider ClientProvider()
    {
        if (ConnectionString is not null) return new StorageAccountClientProvider(ConnectionString);
        if (BlobEndpoint is null || Credential is null)
            throw SkybridgeException.Usage("The task hub's storage account is not given.",
                "Pass --hub-storage https://ACCOUNT.blob.core.windows.net (keyless, with the Azure identity) or --hub-connection-string (SKYBRIDGE_HUB_CONNECTION_STRING).");
        var (queue, table) = SiblingEndpoints(BlobEndpoint);
        return new StorageAccountClientProvider(BlobEndpoint, queue, table, Credential);
    }

    public AzureStorageOrchestrationService Service(Microsoft.Extensions.Logging.ILoggerFactory loggers, int activitiesAtOnce = 2, string? workerId = null)
    {
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = Name,
            StorageAccountClientProvider = ClientProvider(),
            PartitionCount = PartitionCount,
            LeaseInterval = LeaseInterval,
            ControlQueueVisibilityTimeout = ControlQueueVisibility,
            WorkItemQueueVisibilityTimeout = WorkItemVisibility,
            MaxQueuePollingInterval = MaxQueuePolling,
            MaxConcurrentTaskActivityWorkItems = activitiesAtOnce,
            MaxConcurrentTaskOrchestrationWorkItems = 16,
            LoggerFactory = loggers,
        };
        if (workerId is not null) settings.WorkerId = workerId;
        return new AzureStorageOrchestrationService(settings);
    }

    /// <summary>The migrations' blobs (specs, manifests, outcomes), in the task hub's account.</summary>
    internal MigrationStore Store()
    {
        var service = ConnectionString is not null ? new BlobServiceClient(ConnectionString) : new BlobServiceClient(BlobEndpoint, Credential);
        return new MigrationStore(service.GetBlobContainerClient(MigrationStore.ContainerName(Name)));
    }
}
