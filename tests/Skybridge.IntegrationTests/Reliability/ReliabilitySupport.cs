using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Reliability;

/// <summary>A blob as the inspector (shared-key client, not Skybridge) sees it.</summary>
public sealed record BlobState(string Name, long Size, string ETag, string? ContentMd5, DateTimeOffset LastModified, IReadOnlyDictionary<string, string> Metadata);

/// <summary>Seeding, inspection and figures shared by the reliability tests.</summary>
public sealed class ReliabilityKit(SandboxFixture sandbox)
{
    public const int MiB = 1024 * 1024;
    public SandboxFixture Sandbox => sandbox;

    public static string NewPrefix(string test) => $"rel-{test}-{Guid.NewGuid():N}"[..28] + "/";

    public string Src(string prefix) => $"s3://{sandbox.Bucket}/{prefix}";

    /// <summary>The sandbox destination container URL (https, keyless) with a prefix; or any other base (a proxy).</summary>
    public string Dst(string prefix, Uri? blobBase = null)
    {
        var url = sandbox.DestUrl.TrimEnd('/');
        if (blobBase is not null) url = blobBase.GetLeftPart(UriPartial.Authority) + new Uri(url).AbsolutePath;
        return $"{url}/{prefix}";
    }

    public string ContainerName => Skybridge.Providers.AzureBlob.BlobLocation.Parse(sandbox.DestUrl).Container;

    /// <summary>A shared-key client for the destination container: sees exactly what is stored.</summary>
    public BlobContainerClient Inspector(string? container = null)
        => new(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"], container ?? ContainerName);

    public BlobServiceClient InspectorService() => new(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"]);

    public static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>Puts objects (key relative to prefix -> bytes) with the admin key, 8 at a time.</summary>
    public async Task PutAsync(string prefix, IReadOnlyDictionary<string, byte[]> objects, Action<string, PutObjectRequest>? more = null)
    {
        var s3 = sandbox.AdminS3();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = timeout.Token }, async (o, ct) =>
            {
                var r = new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + o.Key, InputStream = new MemoryStream(o.Value), UseChunkEncoding = false };
                more?.Invoke(o.Key, r);
                await s3.PutObjectAsync(r, ct);
            });
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // Seen when the sandbox's 4 GiB memstore OSD is full: RGW then blocks every write.
            throw new InvalidOperationException("seeding S3 did not finish within 2 minutes: is the sandbox OSD full? (ceph -c .sandbox/ceph/ceph.conf health)");
        }
    }

    /// <summary>
    /// A mixed data set: <paramref name="small"/> objects of 0..48 KiB in a few folders, a few
    /// multi-block ones (3-5 MiB, 1 MiB blocks), some with metadata and tags, and two multipart
    /// sources. Deterministic for a seed.
    /// </summary>
    public async Task<Dictionary<string, byte[]>> SeedMixedAsync(string prefix, int small, int big, int seed, bool multipart = true)
    {
        var rng = new Random(seed);
        var objects = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string[] folders = ["alpha", "beta", "gamma/deep", "delta", "\u00e9t\u00e9"];
        for (int i = 0; i < small; i++)
        {
            var size = i % 50 == 0 ? 0 : rng.Next(1, 48 * 1024);
            objects[$"{folders[i % folders.Length]}/obj-{i:D4}.bin"] = RandomBytes(size, seed * 10_000 + i);
        }
        for (int i = 0; i < big; i++)
            objects[$"big/blob-{i:D2}.bin"] = RandomBytes(3 * MiB + rng.Next(0, 2 * MiB), seed * 10_000 + 9000 + i);
        await PutAsync(prefix, objects, (key, r) =>
        {
            if (key.EndsWith("0.bin", StringComparison.Ordinal)) r.Metadata.Add("origin", "reliability");
            if (key.EndsWith("5.bin", StringComparison.Ordinal)) r.TagSet = [new Tag { Key = "suite", Value = "reliability" }];
        });
        if (multipart)
        {
            for (int i = 0; i < 2; i++)
            {
                var data = RandomBytes(5 * MiB + 300 * 1024, seed * 10_000 + 9500 + i);
                await sandbox.PutMultipartAsync($"{prefix}multipart/mp-{i}.bin", data, [5 * MiB, 300 * 1024]);
                objects[$"multipart/mp-{i}.bin"] = data;
            }
        }
        return objects;
    }

    /// <summary>
    /// Deletes what a test seeded and copied (S3 objects and blobs under the prefix): the sandbox's
    /// memstore OSD holds only 4 GiB for everyone, and RGW blocks every write, deletes included,
    /// once it is full. Best effort: a cleanup failure never fails a test.
    /// </summary>
    public async Task CleanupAsync(string prefix, string? container = null)
    {
        try
        {
            var s3 = sandbox.AdminS3();
            var keys = new List<KeyVersion>();
            string? token = null;
            do
            {
                var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = sandbox.Bucket, Prefix = prefix, ContinuationToken = token });
                keys.AddRange((page.S3Objects ?? []).Select(o => new KeyVersion { Key = o.Key }));
                token = page.IsTruncated == true ? page.NextContinuationToken : null;
            } while (token is not null);
            foreach (var chunk in keys.Chunk(1000))
                await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = sandbox.Bucket, Objects = chunk.ToList(), Quiet = true });
        }
        catch (Exception) { /* best effort */ }
        try
        {
            var client = Inspector(container);
            var names = new List<string>();
            await foreach (var b in client.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix })) names.Add(b.Name);
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (n, ct) => await client.GetBlobClient(n).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct));
        }
        catch (Exception) { /* best effort */ }
    }

    /// <summary>Committed blobs under a prefix (name relative to the prefix).</summary>
    public async Task<Dictionary<string, BlobState>> SnapshotAsync(string prefix, string? container = null)
    {
        var result = new Dictionary<string, BlobState>(StringComparer.Ordinal);
        var client = Inspector(container);
        if (!(await client.ExistsAsync()).Value) return result;
        await foreach (var b in client.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, Traits = BlobTraits.Metadata }))
            result[b.Name[prefix.Length..]] = new BlobState(b.Name[prefix.Length..], b.Properties.ContentLength ?? 0, b.Properties.ETag?.ToString() ?? "",
                b.Properties.ContentHash is { Length: > 0 } h ? Convert.ToHexStringLower(h) : null, b.Properties.LastModified ?? default,
                (IReadOnlyDictionary<string, string>?)b.Metadata ?? new Dictionary<string, string>());
        return result;
    }

    /// <summary>Names that exist only as uncommitted blocks (a partial upload nobody committed).</summary>
    public async Task<List<string>> UncommittedOnlyAsync(string prefix)
    {
        var all = new List<string>();
        await foreach (var b in Inspector().GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, States = BlobStates.Uncommitted }))
            all.Add(b.Name);
        var committed = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var b in Inspector().GetBlobsAsync(new GetBlobsOptions { Prefix = prefix })) committed.Add(b.Name);
        return all.Where(n => !committed.Contains(n)).ToList();
    }

    /// <summary>
    /// Destination == source, checked without Skybridge: exactly the expected names, and for each
    /// blob the bytes read back hash to MD5(source bytes), equal to the stored Content-MD5, with the
    /// provenance of the current source object. Returns the number of bytes read back.
    /// </summary>
    public async Task<long> AssertEqualAsync(string prefix, IReadOnlyDictionary<string, byte[]> expected, string? sourcePrefix = null)
    {
        sourcePrefix ??= prefix;
        var snapshot = await SnapshotAsync(prefix);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), snapshot.Keys.Order(StringComparer.Ordinal));
        long bytes = 0;
        var client = Inspector();
        await Parallel.ForEachAsync(expected, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (o, ct) =>
        {
            var md5 = Convert.ToHexStringLower(MD5.HashData(o.Value));
            var state = snapshot[o.Key];
            Assert.True(md5 == state.ContentMd5, $"{o.Key}: Content-MD5 {state.ContentMd5}, source MD5 {md5}");
            Assert.Equal(o.Value.Length, state.Size);
            var content = (await client.GetBlobClient(prefix + o.Key).DownloadContentAsync(ct)).Value.Content.ToMemory();
            Assert.True(md5 == Convert.ToHexStringLower(MD5.HashData(content.Span)), $"{o.Key}: bytes read back differ from the source");
            Assert.Equal(sourcePrefix + o.Key, Uri.UnescapeDataString(state.Metadata["skybridge_source_key"]));
            Assert.Equal(o.Value.Length.ToString(), state.Metadata["skybridge_source_size"]);
            Interlocked.Add(ref bytes, content.Length);
        });
        Assert.Empty(await UncommittedOnlyAsync(prefix));
        return bytes;
    }

    /// <summary>
    /// Environment for CLI runs of one test: a fresh user-assigned identity with its own stand-in
    /// settings scope (other test runs sharing the sandbox change the GLOBAL settings, e.g. the token
    /// audience, at any time) and a private job journal.
    /// </summary>
    public async Task<Dictionary<string, string?>> IsolatedEnvAsync()
    {
        var id = await sandbox.IsolatedIdentityAsync();
        return new Dictionary<string, string?> { ["SKYBRIDGE_CLIENT_ID"] = id, ["SKYBRIDGE_JOURNAL"] = TempPath(".journal.db") };
    }

    /// <summary>The sandbox environment plus overrides (null removes a variable).</summary>
    public Dictionary<string, string?> Env(IDictionary<string, string?>? extra = null)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (k, v) in sandbox.Env) env[k] = v;
        if (extra is not null) foreach (var (k, v) in extra) env[k] = v;
        return env;
    }

    /// <summary>Runs the CLI to completion, timed.</summary>
    public async Task<(CliResult Result, TimeSpan Elapsed)> TimedCliAsync(IEnumerable<string> args, IDictionary<string, string?>? extraEnv = null, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        var r = await sandbox.RunCliAsync(args, extraEnv, timeout ?? TimeSpan.FromMinutes(4));
        return (r, sw.Elapsed);
    }

    public static JsonElement Json(CliResult r)
    {
        try { return JsonDocument.Parse(r.Stdout).RootElement.Clone(); }
        catch (JsonException) { throw new Xunit.Sdk.XunitException($"not JSON (exit {r.ExitCode}):\n{r.Stdout}\n{r.Stderr}"); }
    }

    public static List<JsonElement> ReadReport(string path)
        => File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList() : [];

    public static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    /// <summary>The proofs that compare a copy with its source (<c>ProofNames</c>): anything else counts as unverified.</summary>
    public static readonly string[] VerifiedProofs = ["md5-by-destination", "composite-etag", "crc64", "md5", "multipart-etag", "service-md5"];

    /// <summary>
    /// Every copied row of a report ended verified, with its proof named ("verified by PROOF"), and
    /// the summary's proofs (when given) are all verifying ones and count every copy. Returns the rows' proofs.
    /// </summary>
    public static Dictionary<string, int> AssertEveryCopyVerified(IEnumerable<JsonElement> rows, JsonElement? summary = null)
    {
        var proofs = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows.Where(e => Str(e, "outcome") == "copied"))
        {
            var reason = Str(row, "reason");
            var proof = VerifiedProofs.FirstOrDefault(p => reason.Contains("verified by " + p, StringComparison.Ordinal));
            Assert.True(proof is not null && !reason.Contains("unverified", StringComparison.Ordinal), $"{Str(row, "source_key")}: not verified: {reason}");
            proofs[proof!] = proofs.GetValueOrDefault(proof!) + 1;
        }
        if (summary is { } s && s.TryGetProperty("proofs", out var named))
        {
            foreach (var p in named.EnumerateObject()) Assert.True(VerifiedProofs.Contains(p.Name), $"summary: {p.Value} copies proved by '{p.Name}'");
            Assert.Equal(proofs.Values.Sum(), named.EnumerateObject().Sum(p => p.Value.GetInt32()));
        }
        return proofs;
    }

    /// <summary>A loopback port free now (for a server a test starts itself).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string TempPath(string suffix) => Path.Combine(Path.GetTempPath(), $"skybridge-rel-{Guid.NewGuid():N}{suffix}");

    /// <summary>Writes the figures of one test for RELIABILITY.md (see tests/reliability.sh).</summary>
    public void Figures(string name, object figures)
    {
        var dir = Environment.GetEnvironmentVariable("SKYBRIDGE_RELIABILITY_DIR") is { Length: > 0 } d ? d
            : Path.Combine(sandbox.RepoRoot, ".artifacts", "reliability");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name + ".json"), JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
    }
}

/// <summary>A CLI process the test can watch and kill -9.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new(), _stderr = new();
    private readonly TaskCompletionSource _outDone = new(), _errDone = new();

    public CliProcess(IEnumerable<string> args, IDictionary<string, string?> env)
    {
        var psi = CliCommand.Current.StartInfo(args);
        psi.RedirectStandardOutput = psi.RedirectStandardError = psi.RedirectStandardInput = true;
        psi.UseShellExecute = false;
        psi.StandardOutputEncoding = psi.StandardErrorEncoding = Encoding.UTF8;
        foreach (var (k, v) in env)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data is null) _outDone.TrySetResult(); else lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is null) _errDone.TrySetResult(); else lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.Close();
        Started = Stopwatch.StartNew();
    }

    public Stopwatch Started { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public bool Killed { get; private set; }
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>SIGKILL (kill -9): no handler runs, nothing is flushed.</summary>
    public void Kill9()
    {
        if (_process.HasExited) return;
        Killed = true;
        try { _process.Kill(entireProcessTree: false); } catch (InvalidOperationException) { }
    }

    public async Task<CliResult> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            Kill9();
            throw new TimeoutException($"skybridge did not finish within {timeout}:\n{Stdout}\n{Stderr}");
        }
        await Task.WhenAll(_outDone.Task, _errDone.Task).WaitAsync(TimeSpan.FromSeconds(10));
        return new CliResult(_process.ExitCode, Stdout, Stderr);
    }

    public void Dispose()
    {
        Kill9();
        _process.Dispose();
    }
}
