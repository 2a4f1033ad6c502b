using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Skybridge.IntegrationTests.Sandbox;
using Skybridge.IntegrationTests.StandIns;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;
using Xunit.Abstractions;

namespace Skybridge.IntegrationTests.ServiceSide;

/// <summary>
/// Service-side copies end to end on the sandbox: the CLI presigns S3 URLs with its federated
/// session (Entra token -> RGW STS), and "Azure" — the copy-from-URL shim in front of Azurite
/// (SANDBOX_SERVICE_DEST_URL) — fetches them from RGW itself. The shim's log proves where the
/// bytes went; the blobs are checked against the source bytes with the test's own clients.
/// </summary>
[Collection("sandbox")]
public sealed partial class ServiceSideCopyTests(SandboxFixture sandbox, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;

    private string ServiceDest => sandbox.Env["SANDBOX_SERVICE_DEST_URL"];
    private string ShimLog => sandbox.Env["SANDBOX_COPY_SHIM_LOG"];

    private sealed record Seeded(string Prefix, Dictionary<string, byte[]> Objects);

    private static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>A demo-like prefix (see demo/seed.py): metadata, tags, unicode, empty, marker, 9 MiB single part, 20 MiB multipart (8 MiB parts).</summary>
    private async Task<Seeded> SeedAsync(string test, Dictionary<string, byte[]>? extra = null)
    {
        var prefix = $"svc-{test}-{Guid.NewGuid():N}"[..24] + "/";
        var s3 = sandbox.AdminS3();
        var objects = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        async Task Put(string key, byte[] data, Action<PutObjectRequest>? more = null)
        {
            var r = new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + key, InputStream = new MemoryStream(data), UseChunkEncoding = false };
            more?.Invoke(r);
            await s3.PutObjectAsync(r);
            objects[key] = data;
        }
        await Put("readme.txt", Encoding.UTF8.GetBytes("Skybridge demo bucket\n"), r =>
        {
            r.ContentType = "text/plain; charset=utf-8";
            r.Metadata.Add("owner", "data-platform");
        });
        await Put("reports/2026/q2/summary.csv", Encoding.UTF8.GetBytes("region,revenue\neu,130\n"), r =>
        {
            r.ContentType = "text/csv";
            r.Headers.CacheControl = "max-age=3600";
            r.TagSet = [new Tag { Key = "team", Value = "finance" }];
        });
        await Put("donn\u00e9es/\u00e9t\u00e9/r\u00e9sum\u00e9.txt", Encoding.UTF8.GetBytes("Unicode keys survive the trip\n"));
        await Put("logs/empty.log", []);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + "logs/", InputStream = new MemoryStream() });
        for (var i = 0; i < 4; i++) await Put($"images/img-{i:000}.bin", Random(64 * 1024 + i, 10 + i), r => r.ContentType = "application/octet-stream");
        await Put("data/large-single.bin", Random(9 * MiB, 1), r => r.ContentType = "application/octet-stream");
        foreach (var (k, v) in extra ?? []) await Put(k, v);

        var multipart = Random(20 * MiB, 2);
        var key = prefix + "data/large-multipart.bin";
        await sandbox.PutMultipartAsync(key, multipart, [8 * MiB, 8 * MiB, 4 * MiB], "application/octet-stream"); // like boto3's 8 MiB chunks in demo/seed.py
        objects["data/large-multipart.bin"] = multipart;
        Assert.EndsWith("-3", (await s3.GetObjectMetadataAsync(sandbox.Bucket, prefix + "data/large-multipart.bin")).ETag.Trim('"'));
        return new Seeded(prefix, objects);
    }

    private string Src(Seeded s) => $"s3://{sandbox.Bucket}/{s.Prefix}";
    private string Dst(Seeded s, string? baseUrl = null) => $"{(baseUrl ?? ServiceDest).TrimEnd('/')}/{s.Prefix}";

    /// <summary>Azurite itself, key-authorised, to inspect what was written (not through the shim).</summary>
    private BlobContainerClient Inspector(string destUrl)
        => new(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"], Skybridge.Providers.AzureBlob.BlobLocation.Parse(destUrl).Container);

    private async Task<CliResult> Cli(params string[] args)
    {
        var result = await sandbox.RunCliAsync(args, null, TimeSpan.FromMinutes(5));
        AssertNoSecrets(result.Stdout + result.Stderr);
        return result;
    }

    /// <summary>No presigned-URL signature, session token or JWT in what Skybridge prints or reports.</summary>
    private static void AssertNoSecrets(string text)
    {
        Assert.DoesNotMatch(@"(?i)X-Amz-(Signature|Security-Token|Credential)=(?!\*\*\*)", text);
        Assert.DoesNotMatch(@"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.", text);
        Assert.DoesNotContain("sig=", text);
    }

    private static JsonElement Json(CliResult r)
    {
        try { return JsonDocument.Parse(r.Stdout).RootElement; }
        catch (JsonException) { throw new Xunit.Sdk.XunitException($"not JSON (exit {r.ExitCode}):\n{r.Stdout}\n{r.Stderr}"); }
    }

    private static List<JsonElement> ReadReport(string path)
    {
        var text = File.ReadAllText(path);
        AssertNoSecrets(text);
        return text.Split('\n').Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
    }

    private static JsonElement Row(List<JsonElement> report, string key)
        => report.Single(e => e.TryGetProperty("source_key", out var k) && k.GetString()!.EndsWith("/" + key, StringComparison.Ordinal));

    /// <summary>One from-URL operation of the shim's log.</summary>
    private sealed record ShimOp(string Op, string Blob, string Range, long Fetched, string SourceStatus, int Result, string Source, string Line);

    private long ShimLogLength() => File.Exists(ShimLog) ? new FileInfo(ShimLog).Length : 0;

    /// <summary>The shim's log lines written since <paramref name="from"/> for blobs under <paramref name="blobPrefix"/>.</summary>
    private List<ShimOp> ShimOps(long from, string blobPrefix)
    {
        using var fs = new FileStream(ShimLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        fs.Seek(from, SeekOrigin.Begin);
        var text = new StreamReader(fs).ReadToEnd();
        Assert.DoesNotContain("X-Amz-", text); // the shim logs no signature, token or credential either
        var ops = new List<ShimOp>();
        foreach (var line in text.Split('\n'))
        {
            var m = ShimLine().Match(line);
            if (!m.Success) continue;
            var op = new ShimOp(m.Groups["op"].Value, Uri.UnescapeDataString(m.Groups["blob"].Value), m.Groups["range"].Value, long.Parse(m.Groups["fetched"].Value),
                m.Groups["status"].Value, int.Parse(m.Groups["result"].Value), m.Groups["source"].Value, line);
            if (op.Blob.Contains(blobPrefix, StringComparison.Ordinal)) ops.Add(op);
        }
        return ops;
    }

    [GeneratedRegex(@"op=(?<op>\S+) blob=(?<blob>\S+) block=\S+ range=(?<range>\S+) fetched=(?<fetched>\d+) source_status=(?<status>\S+) result=(?<result>\d+) source=(?<source>\S+)")]
    private static partial Regex ShimLine();

    [Fact]
    public async Task Service_mode_copies_through_the_shim_no_byte_crosses_skybridge_and_verify_agrees()
    {
        var seeded = await SeedAsync("svc");
        var total = seeded.Objects.Values.Sum(v => (long)v.Length);
        var report = Path.GetTempFileName() + ".jsonl";
        var logFrom = ShimLogLength();

        var clock = Stopwatch.StartNew();
        var copy = await Cli("copy", Src(seeded), Dst(seeded), "--mode", "service", "--output", "json", "--report", report, "--progress", "none");
        var serviceTime = clock.Elapsed;
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
        var summary = Json(copy);
        Assert.Equal(seeded.Objects.Count, summary.GetProperty("copied").GetInt64());
        Assert.Equal(seeded.Objects.Count, summary.GetProperty("service_side").GetInt64());
        Assert.Equal(0, summary.GetProperty("streamed").GetInt64());
        Assert.Equal(0, summary.GetProperty("bytes_read_by_host").GetInt64()); // Skybridge read no object byte
        Assert.Equal(total, summary.GetProperty("bytes_service_side").GetInt64());

        // The shim fetched every byte from RGW with the presigned URLs (206/200 from the source, 201 from Azurite).
        var ops = ShimOps(logFrom, seeded.Prefix);
        Assert.Equal(total, ops.Sum(o => o.Fetched));
        Assert.All(ops, o => Assert.Equal(201, o.Result));
        Assert.All(ops, o => Assert.Contains(o.SourceStatus, new[] { "200", "206" }));
        Assert.All(ops, o => Assert.StartsWith($"{sandbox.S3Endpoint}/{sandbox.Bucket}/", o.Source));
        // Single-shot objects went in one Put Blob From URL; the 9 and 20 MiB ones block by block (8 MiB blocks).
        Assert.Equal(seeded.Objects.Count - 2, ops.Count(o => o.Op == "PutBlobFromURL"));
        Assert.Equal(2 + 3, ops.Count(o => o.Op == "PutBlockFromURL"));
        Assert.Contains(ops, o => o.Op == "PutBlockFromURL" && o.Range == $"bytes={16 * MiB}-{20 * MiB - 1}");

        var rows = ReadReport(report);
        Assert.All(rows.Where(r => r.GetProperty("outcome").GetString() == "copied"), r => Assert.Equal("service", r.GetProperty("mode").GetString()));
        Assert.Contains("verified by md5 (Azure compared", Row(rows, "readme.txt").GetProperty("reason").GetString());
        Assert.Contains("unverified: multipart source copied service-side", Row(rows, "data/large-multipart.bin").GetProperty("reason").GetString());
        Assert.Equal(2, summary.GetProperty("unverified").GetInt64()); // the multi-block ones

        // What landed in Azurite: the source bytes, properties, metadata and tags.
        var container = Inspector(ServiceDest);
        foreach (var (key, data) in seeded.Objects)
        {
            var blob = container.GetBlobClient(seeded.Prefix + key);
            var content = (await blob.DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(MD5.HashData(data), MD5.HashData(content));
            var props = (await blob.GetPropertiesAsync()).Value;
            Assert.Equal("service", props.Metadata[ProvenanceKeys.CopyMode]);
            Assert.Equal(data.Length.ToString(), props.Metadata["skybridge_source_size"]);
            if (key != "data/large-multipart.bin") Assert.Equal(MD5.HashData(data), props.ContentHash); // carried from the plain-MD5 ETag
        }
        var readme = (await container.GetBlobClient(seeded.Prefix + "readme.txt").GetPropertiesAsync()).Value;
        Assert.Equal("text/plain; charset=utf-8", readme.ContentType);
        Assert.Equal("data-platform", readme.Metadata["owner"]);
        var csv = container.GetBlobClient(seeded.Prefix + "reports/2026/q2/summary.csv");
        Assert.Equal("max-age=3600", (await csv.GetPropertiesAsync()).Value.CacheControl);
        Assert.Equal("finance", (await csv.GetTagsAsync()).Value.Tags["team"]);
        Assert.Equal(3, (await container.GetBlockBlobClient(seeded.Prefix + "data/large-multipart.bin").GetBlockListAsync()).Value.CommittedBlocks.Count());

        // verify: equal; verify --hash reads both sides (the multipart source included) and agrees.
        var verify = await Cli("verify", Src(seeded), Dst(seeded), "--output", "json", "--progress", "none");
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Equal(seeded.Objects.Count, Json(verify).GetProperty("matched").GetInt64());
        var hashReport = Path.GetTempFileName() + ".jsonl";
        var hash = await Cli("verify", Src(seeded), Dst(seeded), "--hash", "--output", "json", "--report", hashReport, "--progress", "none");
        Assert.True(hash.ExitCode == 0, hash.Stdout + hash.Stderr);
        Assert.Contains("both sides hashed", Row(ReadReport(hashReport), "data/large-multipart.bin").GetProperty("reason").GetString());

        // The same prefix streamed, for comparison (into Azurite directly).
        clock.Restart();
        var streamed = await Cli("copy", Src(seeded), Dst(seeded, sandbox.DestUrl), "--mode", "stream", "--output", "json", "--progress", "none");
        var streamTime = clock.Elapsed;
        Assert.True(streamed.ExitCode == 0, streamed.Stdout + streamed.Stderr);
        Assert.Equal(total, Json(streamed).GetProperty("bytes_read_by_host").GetInt64());
        Assert.Equal(0, Json(streamed).GetProperty("service_side").GetInt64());
        output.WriteLine($"{seeded.Objects.Count} objects, {total} bytes: service-side {serviceTime.TotalSeconds:F2} s (CLI start included), streamed {streamTime.TotalSeconds:F2} s");
    }

    [Fact]
    public async Task An_over_long_presigned_url_streams_that_object_and_the_report_says_why()
    {
        // A real long key: 180 x 'é' is 360 bytes of key (the sandbox's RADOS object names stop at 460
        // bytes), 1080 chars once percent-encoded: with the ~1000 chars of an RGW session URL, > 2048.
        var longKey = "long/" + string.Concat(Enumerable.Repeat("\u00e9", 180)) + ".bin";
        var seeded = await SeedAsync("long", new() { [longKey] = Random(300 * 1024, 7) });
        var report = Path.GetTempFileName() + ".jsonl";
        var logFrom = ShimLogLength();

        var copy = await Cli("copy", Src(seeded), Dst(seeded), "--output", "json", "--report", report, "--progress", "none"); // --mode auto (default)
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
        var summary = Json(copy);
        Assert.Equal(seeded.Objects.Count - 1, summary.GetProperty("service_side").GetInt64());
        Assert.Equal(1, summary.GetProperty("streamed").GetInt64());
        Assert.Equal(1, summary.GetProperty("stream_reasons").GetProperty("presigned URL > 2048 chars: streamed").GetInt32());
        Assert.Equal(300 * 1024, summary.GetProperty("bytes_read_by_host").GetInt64()); // only that object crossed this host

        var row = Row(ReadReport(report), longKey);
        Assert.Equal("stream", row.GetProperty("mode").GetString());
        var reason = row.GetProperty("reason").GetString()!;
        var m = Regex.Match(reason, @"presigned URL (\d+) chars > 2048: streamed");
        Assert.True(m.Success, reason);
        Assert.InRange(int.Parse(m.Groups[1].Value), 2049, 4000);
        output.WriteLine($"long-key presigned URL: {m.Groups[1].Value} chars");
        Assert.Contains("verified by md5", reason); // the streamed copy is checked as always

        var ops = ShimOps(logFrom, seeded.Prefix);
        Assert.DoesNotContain(ops, o => o.Blob.Contains("/long/", StringComparison.Ordinal)); // no from-URL call for it
        Assert.Equal(seeded.Objects.Where(o => o.Key != longKey).Sum(o => (long)o.Value.Length), ops.Sum(o => o.Fetched));
        var blob = Inspector(ServiceDest).GetBlobClient(seeded.Prefix + longKey);
        Assert.Equal(MD5.HashData(seeded.Objects[longKey]), MD5.HashData((await blob.DownloadContentAsync()).Value.Content.ToArray()));
    }
}
