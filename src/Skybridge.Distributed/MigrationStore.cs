using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Skybridge.Jobs;
using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Planning;

namespace Skybridge.Distributed;

/// <summary>One report line of a migration: the item, its outcome, and whether it was executed again after a worker died.</summary>
internal sealed record OutcomeRecord(TransferItem Item, ItemOutcome Outcome)
{
    public int Version { get; init; } = Payload.CurrentVersion;
    public bool Rerun { get; init; }
}

/// <summary>
/// The migration's data in the task hub's storage account (container <c>{hub}-migrations</c>), so
/// that orchestration payloads carry names, never key lists:
/// <c>{id}/spec.json</c> (the <see cref="JobSpec"/>), and per batch <c>{id}/p00003/b000007.items.jsonl</c>
/// (the manifest: the <see cref="TransferItem"/>s to execute), <c>.settled.jsonl</c> (items the planner
/// settled), <c>.plan.json</c> (the planning result, written last), <c>.started</c> (an execution began; it names the worker)
/// and <c>.outcomes.jsonl</c> (the executed items' outcomes, written last); with --delete, <c>.extras.jsonl</c>
/// (destination-only blobs the page found) and <c>.deletes.jsonl</c> (their outcomes, once every partition finished).
/// </summary>
internal sealed class MigrationStore(BlobContainerClient container)
{
    public BlobContainerClient Container => container;

    public static string ContainerName(string hub) => hub.ToLowerInvariant() + "-migrations";

    public static string SpecBlob(string id) => $"{id}/spec.json";
    public static string WorkerBlob(string worker) => $"_workers/{worker}.json";

    /// <summary>
    /// Every worker's last heartbeat (workers of every migration of the hub); with <paramref name="liveWithin"/>,
    /// only those written within that time of the newest one (by the blobs' Last-Modified, the server's clock), so
    /// the heartbeats of long-gone worker processes are listed but not read.
    /// </summary>
    public async Task<List<WorkerHeartbeat>> WorkersAsync(CancellationToken ct, TimeSpan? liveWithin = null)
    {
        var blobs = new List<BlobItem>();
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = "_workers/" }, ct).ConfigureAwait(false)) blobs.Add(blob);
        if (liveWithin is { } within && blobs.Count > 0)
        {
            var newest = blobs.Max(b => b.Properties.LastModified ?? DateTimeOffset.MinValue);
            blobs.RemoveAll(b => newest - (b.Properties.LastModified ?? DateTimeOffset.MinValue) > within);
        }
        var beats = new List<WorkerHeartbeat>();
        foreach (var blob in blobs)
            if (await ReadTextAsync(blob.Name, ct).ConfigureAwait(false) is { } json) beats.Add(Payload.Read<WorkerHeartbeat>(json));
        return beats;
    }
    public static string BatchBlob(string id, int partition, int page, string kind) => $"{id}/p{partition:D5}/b{page:D6}.{kind}";

    public const string ExtrasKind = "extras.jsonl";
    public const string DeletesKind = "deletes.jsonl";

    /// <summary>A partition's batch blobs of one kind, in batch order: e.g. its <see cref="ExtrasKind"/> blobs.</summary>
    public async IAsyncEnumerable<string> PartitionBlobsAsync(string id, int partition, string kind, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{id}/p{partition:D5}/" }, ct).ConfigureAwait(false))
            if (blob.Name.EndsWith("." + kind, StringComparison.Ordinal)) yield return blob.Name;
    }

    public Task EnsureAsync(CancellationToken ct) => container.CreateIfNotExistsAsync(cancellationToken: ct);

    public async Task WriteSpecAsync(string id, JobSpec spec, CancellationToken ct)
    {
        try
        {
            await container.GetBlobClient(SpecBlob(id)).UploadAsync(BinaryData.FromString(spec.ToJson()), overwrite: false, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            throw SkybridgeException.Usage($"A migration '{id}' already exists in this task hub.", "Choose another --id, or leave --id out for a new one.");
        }
    }

    public async Task<JobSpec?> ReadSpecAsync(string id, CancellationToken ct)
        => await ReadTextAsync(SpecBlob(id), ct).ConfigureAwait(false) is { } json ? JobSpec.FromJson(json) : null;

    public Task WriteTextAsync(string name, string text, CancellationToken ct)
        => container.GetBlobClient(name).UploadAsync(BinaryData.FromString(text), overwrite: true, ct);

    /// <summary>Creates the blob (holding <paramref name="text"/>) only if it does not exist; false when it did (an earlier attempt wrote it).</summary>
    public async Task<bool> CreateOnceAsync(string name, string text, CancellationToken ct)
    {
        try
        {
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(text),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412) { return false; }
    }

    public async Task<string?> ReadTextAsync(string name, CancellationToken ct)
    {
        try
        {
            var content = await container.GetBlobClient(name).DownloadContentAsync(ct).ConfigureAwait(false);
            return content.Value.Content.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404) { return null; }
    }

    public Task WriteLinesAsync(string name, IEnumerable<string> lines, CancellationToken ct)
    {
        var text = new StringBuilder();
        foreach (var line in lines) text.Append(line).Append('\n');
        return WriteTextAsync(name, text.ToString(), ct);
    }

    public async Task<IReadOnlyList<string>> ReadLinesAsync(string name, CancellationToken ct)
        => (await ReadTextAsync(name, ct).ConfigureAwait(false) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static string Line(OutcomeRecord record) => JsonSerializer.Serialize(record, TransferItemJson.Options);

    public static OutcomeRecord ReadRecord(string line)
    {
        var r = JsonSerializer.Deserialize<OutcomeRecord>(line, TransferItemJson.Options) ?? throw new JsonException("an outcome record is null");
        if (r.Version is < 1 or > Payload.CurrentVersion || r.Item.Version > TransferItem.CurrentVersion || r.Outcome.Version > TransferItem.CurrentVersion)
            throw new JsonException("an outcome record is newer than this build reads: use the Skybridge version that ran the migration");
        return r;
    }

    /// <summary>Every outcome blob of a migration (deleted, executed, settled, per batch), in partition and batch order.</summary>
    public async IAsyncEnumerable<string> OutcomeBlobsAsync(string id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = id + "/" }, ct).ConfigureAwait(false))
            if (blob.Name.EndsWith(".settled.jsonl", StringComparison.Ordinal) || blob.Name.EndsWith(".outcomes.jsonl", StringComparison.Ordinal)
                || blob.Name.EndsWith("." + DeletesKind, StringComparison.Ordinal))
                yield return blob.Name;
    }
}
