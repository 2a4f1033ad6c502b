using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Transfer;

/// <summary>
/// Issue 4 acceptance, end to end on the sandbox (RGW + Azurite over https, keyless on both sides):
/// the CLI copies a bucket prefix with every awkward kind of object, and the test checks each blob
/// against the source bytes with its own S3 and Blob clients.
/// </summary>
[Collection("sandbox")]
public sealed class TransferAcceptanceTests(SandboxFixture sandbox)
{
    private const int MiB = 1024 * 1024;

    private Task<AwkwardObjects.Seeded> SeedAsync(string test) => AwkwardObjects.SeedAsync(sandbox, test);

    private string Src(AwkwardObjects.Seeded s) => $"s3://{sandbox.Bucket}/{s.Prefix}";
    private string Dst(AwkwardObjects.Seeded s) => $"{sandbox.DestUrl.TrimEnd('/')}/{s.Prefix}";

    /// <summary>A key-authorised client (the sandbox's Azurite connection string) to inspect what the CLI wrote.</summary>
    private BlobContainerClient Inspector()
        => new(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"], Skybridge.Providers.AzureBlob.BlobLocation.Parse(sandbox.DestUrl).Container);

    private async Task<CliResult> Cli(params string[] args)
    {
        var result = await sandbox.RunCliAsync(args, null, TimeSpan.FromMinutes(5));
        Assert.DoesNotContain("sig=", result.Stdout + result.Stderr); // no SAS signatures anywhere
        return result;
    }

    private static JsonElement Json(CliResult r)
    {
        try { return JsonDocument.Parse(r.Stdout).RootElement; }
        catch (JsonException) { throw new Xunit.Sdk.XunitException($"not JSON (exit {r.ExitCode}):\n{r.Stdout}\n{r.Stderr}"); }
    }

    private static List<JsonElement> ReadReport(string path)
        => File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    private static string Outcome(List<JsonElement> report, string key)
        => report.Single(e => e.TryGetProperty("source_key", out var k) && k.GetString()!.EndsWith("/" + key, StringComparison.Ordinal)).GetProperty("outcome").GetString()!;

    [Fact]
    public async Task Copy_is_exact_then_idempotent_then_incremental_and_verify_agrees()
    {
        var seeded = await SeedAsync("copy");
        var report = Path.GetTempFileName() + ".jsonl";

        // plan first: it must predict exactly what copy then does.
        var planReport = Path.GetTempFileName() + ".jsonl";
        var plan = await Cli("plan", Src(seeded), Dst(seeded), "--output", "json", "--report", planReport);
        Assert.True(plan.ExitCode == 0, plan.Stdout + plan.Stderr);

        var copy = await Cli("copy", Src(seeded), Dst(seeded), "--block-size", "1MiB", "--output", "json", "--report", report);
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
        var summary = Json(copy);
        var copyable = seeded.Objects.Keys.Count(k => !k.Contains('\\'));
        Assert.Equal(copyable, summary.GetProperty("copied").GetInt64());
        Assert.Equal(0, summary.GetProperty("failed").GetInt64());
        Assert.Equal(2, summary.GetProperty("skipped").GetInt64()); // directory marker + bad name
        Assert.True(summary.GetProperty("skip_reasons").TryGetProperty("directory marker", out _));
        Assert.Contains(summary.GetProperty("skip_reasons").EnumerateObject(), p => p.Name.StartsWith("invalid blob name: backslash"));

        var rows = ReadReport(report);
        var planned = ReadReport(planReport).Where(e => e.GetProperty("outcome").GetString() == "would_copy").Select(e => e.GetProperty("source_key").GetString()).Order().ToList();
        var copied = rows.Where(e => e.GetProperty("outcome").GetString() == "copied").Select(e => e.GetProperty("source_key").GetString()).Order().ToList();
        Assert.Equal(planned, copied);
        Assert.Equal(Json(plan).GetProperty("bytes_to_copy").GetInt64(), summary.GetProperty("bytes_copied").GetInt64());

        // The multipart ETag was rebuilt and checked; the big object went in several blocks.
        var multipartRow = rows.Single(e => e.GetProperty("source_key").GetString()!.EndsWith("multipart/object.bin"));
        Assert.Contains("verified by multipart-etag", multipartRow.GetProperty("reason").GetString());
        var bad = rows.Single(e => e.GetProperty("source_key").GetString()!.EndsWith("bad\\name.txt"));
        Assert.Equal("skipped", bad.GetProperty("outcome").GetString());
        Assert.Contains("backslash", bad.GetProperty("reason").GetString());

        // Every blob: same bytes, Content-MD5 = MD5(source bytes), provenance recorded.
        var container = Inspector();
        foreach (var (key, data) in seeded.Objects.Where(o => !o.Key.Contains('\\')))
        {
            var blob = container.GetBlobClient(seeded.Prefix + key);
            var props = (await blob.GetPropertiesAsync()).Value;
            var md5 = MD5.HashData(data);
            Assert.Equal(md5, props.ContentHash);
            var content = (await blob.DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(md5, MD5.HashData(content));
            Assert.Equal(sandbox.Bucket, props.Metadata["skybridge_source_bucket"]);
            Assert.Equal(data.Length.ToString(), props.Metadata["skybridge_source_size"]);
        }
        var three = (await container.GetBlockBlobClient(seeded.Prefix + "blocks/three-mib.bin").GetBlockListAsync()).Value;
        Assert.Equal(4, three.CommittedBlocks.Count());
        var multi = (await container.GetBlockBlobClient(seeded.Prefix + "multipart/object.bin").GetPropertiesAsync()).Value;
        Assert.EndsWith("-3", multi.Metadata["skybridge_source_etag"]);

        var top = container.GetBlobClient(seeded.Prefix + "top.txt");
        var topProps = (await top.GetPropertiesAsync()).Value;
        Assert.Equal("text/plain; charset=utf-8", topProps.ContentType);
        Assert.Equal("max-age=300", topProps.CacheControl);
        Assert.Equal("attachment; filename=top.txt", topProps.ContentDisposition);
        Assert.Equal("data-platform", topProps.Metadata["owner_team"]);
        var tags = (await top.GetTagsAsync()).Value.Tags;
        Assert.Equal("skybridge", tags["project"]);
        Assert.False(tags.ContainsKey("bad@tag"));
        Assert.Contains("bad@tag", rows.Single(e => e.GetProperty("source_key").GetString()!.EndsWith("top.txt")).GetProperty("reason").GetString());

        // verify: equal.
        var verify = await Cli("verify", Src(seeded), Dst(seeded), "--output", "json");
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Equal(copyable, Json(verify).GetProperty("matched").GetInt64());

        // A second run copies nothing.
        var again = await Cli("copy", Src(seeded), Dst(seeded), "--block-size", "1MiB", "--output", "json");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(0, Json(again).GetProperty("copied").GetInt64());

        // A changed source object is copied again, and only it.
        await sandbox.AdminS3().PutObjectAsync(new PutObjectRequest
        {
            BucketName = sandbox.Bucket, Key = seeded.Prefix + "a/b/c/deep.json", ContentBody = "{\"deep\":\"changed\"}", UseChunkEncoding = false,
        });
        var third = await Cli("copy", Src(seeded), Dst(seeded), "--output", "json");
        Assert.Equal(0, third.ExitCode);
        Assert.Equal(1, Json(third).GetProperty("copied").GetInt64());
        var deep = (await container.GetBlobClient(seeded.Prefix + "a/b/c/deep.json").DownloadContentAsync()).Value.Content.ToString();
        Assert.Equal("{\"deep\":\"changed\"}", deep);
    }

    [Fact]
    public async Task Sync_delete_removes_only_extras_and_verify_catches_tampered_and_missing_blobs()
    {
        var seeded = await SeedAsync("sync");
        var first = await Cli("copy", Src(seeded), Dst(seeded), "--block-size", "1MiB");
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);

        var container = Inspector();
        await container.GetBlobClient(seeded.Prefix + "extra/one.txt").UploadAsync(BinaryData.FromString("not in source"));
        await container.GetBlobClient(seeded.Prefix + "zzz-extra.txt").UploadAsync(BinaryData.FromString("not in source"));

        // The guard: an empty source listing never deletes.
        var emptyPrefix = $"s3://{sandbox.Bucket}/it-nothing-here-{Guid.NewGuid():N}/";
        var guarded = await Cli("sync", emptyPrefix, Dst(seeded), "--delete", "--output", "json");
        Assert.Equal(1, guarded.ExitCode);
        Assert.Contains("source listing is empty", Json(guarded).GetProperty("delete_refused").GetString());
        Assert.True((await container.GetBlobClient(seeded.Prefix + "top.txt").ExistsAsync()).Value);

        var plan = await Cli("plan", Src(seeded), Dst(seeded), "--delete", "--output", "json");
        Assert.Equal(2, Json(plan).GetProperty("to_delete").GetInt64());
        var sync = await Cli("sync", Src(seeded), Dst(seeded), "--delete", "--output", "json");
        Assert.True(sync.ExitCode == 0, sync.Stdout + sync.Stderr);
        Assert.Equal(2, Json(sync).GetProperty("deleted").GetInt64());
        Assert.Equal(0, Json(sync).GetProperty("copied").GetInt64());
        var names = new List<string>();
        await foreach (var b in container.GetBlobsAsync(new GetBlobsOptions { Prefix = seeded.Prefix })) names.Add(b.Name[seeded.Prefix.Length..]);
        Assert.Equal(seeded.Objects.Keys.Where(k => !k.Contains('\\')).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));

        // Tamper one blob (same size, other bytes) and delete another: verify must say so.
        var deepJson = seeded.Objects["a/b/c/deep.json"];
        var tampered = deepJson.ToArray();
        tampered[0] ^= 0x20;
        await container.GetBlobClient(seeded.Prefix + "a/b/c/deep.json").UploadAsync(BinaryData.FromBytes(tampered), overwrite: true);
        await container.GetBlobClient(seeded.Prefix + "top.txt").DeleteAsync();
        var report = Path.GetTempFileName() + ".csv";
        var verify = await Cli("verify", Src(seeded), Dst(seeded), "--output", "json", "--report", report);
        Assert.Equal(1, verify.ExitCode);
        var v = Json(verify);
        Assert.Equal(1, v.GetProperty("missing").GetInt64());
        Assert.Equal(1, v.GetProperty("mismatched").GetInt64());
        var csv = File.ReadAllLines(report);
        Assert.Contains(csv, l => l.Contains("a/b/c/deep.json") && l.Contains(",mismatch,"));
        Assert.Contains(csv, l => l.Contains("top.txt") && l.Contains(",missing,"));
    }

    [Fact]
    public async Task Invalid_names_follow_the_policy()
    {
        var seeded = await SeedAsync("names");
        var fail = await Cli("copy", Src(seeded), Dst(seeded), "--name-policy", "fail", "--output", "json");
        Assert.Equal(1, fail.ExitCode);
        Assert.Equal(1, Json(fail).GetProperty("failed").GetInt64());

        var report = Path.GetTempFileName() + ".jsonl";
        var encode = await Cli("copy", Src(seeded), Dst(seeded), "--name-policy", "encode", "--output", "json", "--report", report);
        Assert.True(encode.ExitCode == 0, encode.Stdout + encode.Stderr);
        Assert.Equal(1, Json(encode).GetProperty("renamed").GetInt64());
        var blob = Inspector().GetBlobClient(seeded.Prefix + "bad%5Cname.txt");
        var props = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(seeded.Prefix + "bad\\name.txt", Uri.UnescapeDataString(props.Metadata["skybridge_source_key"]));
        Assert.Equal("copied", Outcome(ReadReport(report), "bad\\name.txt"));

        var verify = await Cli("verify", Src(seeded), Dst(seeded), "--name-policy", "encode", "--output", "json");
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Equal(0, Json(verify).GetProperty("extra").GetInt64());
    }

    // Issue 16: "encode" is reversible and injective over all keys, on the real services.
    [Fact]
    public async Task Encode_gives_the_issues_colliding_pairs_their_own_names_and_verify_and_sync_delete_match_them_by_key()
    {
        var prefix = $"it-encode-{Guid.NewGuid():N}"[..24] + "/";
        var s3 = sandbox.AdminS3();
        var keys = new Dictionary<string, string>(StringComparer.Ordinal) // key -> blob name under "encode"
        {
            ["collide/bell\u0007.txt"] = "collide/bell%07.txt", ["collide/bell%07.txt"] = "collide/bell%2507.txt",
            ["dot."] = "dot%2E", ["dot%2E"] = "dot%252E", ["a//b"] = "a/%2Fb", ["plain.txt"] = "plain.txt",
        };
        foreach (var key in keys.Keys)
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + key, ContentBody = "body of " + key, UseChunkEncoding = false });
        var src = $"s3://{sandbox.Bucket}/{prefix}";
        var dst = $"{sandbox.DestUrl.TrimEnd('/')}/{prefix}";

        var copy = await Cli("copy", src, dst, "--name-policy", "encode", "--output", "json");
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
        Assert.Equal(0, Json(copy).GetProperty("failed").GetInt64());
        Assert.Equal(5, Json(copy).GetProperty("renamed").GetInt64());
        foreach (var (key, name) in keys)
        {
            var blob = Inspector().GetBlobClient(prefix + name);
            Assert.Equal("body of " + key, (await blob.DownloadContentAsync()).Value.Content.ToString());
            Assert.Equal(prefix + key, Uri.UnescapeDataString((await blob.GetPropertiesAsync()).Value.Metadata["skybridge_source_key"]));
            Assert.Equal(key, Skybridge.Providers.AzureBlob.BlobNamePolicy.Decode(name));
        }

        // A blob the encoding before issue 16 wrote for "a//b" ("a/%EMPTY%/b"): matched by the key it records.
        var legacy = Inspector().GetBlobClient(prefix + "a/%EMPTY%/b");
        await legacy.UploadAsync(BinaryData.FromString("body of a//b"), new Azure.Storage.Blobs.Models.BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["skybridge_source_key"] = Uri.EscapeDataString(prefix + "a//b"), ["skybridge_source_bucket"] = sandbox.Bucket },
        });

        var verify = await Cli("verify", src, dst, "--name-policy", "encode", "--output", "json");
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Equal(6, Json(verify).GetProperty("matched").GetInt64());
        Assert.Equal(0, Json(verify).GetProperty("extra").GetInt64());
        var sync = await Cli("sync", src, dst, "--name-policy", "encode", "--delete", "--output", "json");
        Assert.True(sync.ExitCode == 0, sync.Stdout + sync.Stderr);
        Assert.Equal(0, Json(sync).GetProperty("deleted").GetInt64());
        Assert.True((await legacy.ExistsAsync()).Value);

        // A real extra is still one, and the report names the key its name stands for.
        await s3.DeleteObjectAsync(sandbox.Bucket, prefix + "dot.");
        var report = Path.GetTempFileName() + ".jsonl";
        var after = await Cli("verify", src, dst, "--name-policy", "encode", "--output", "json", "--report", report);
        Assert.Equal(1, after.ExitCode);
        Assert.Equal(1, Json(after).GetProperty("extra").GetInt64());
        Assert.Contains(ReadReport(report), e => e.GetProperty("outcome").GetString() == "extra" && e.GetProperty("reason").GetString() == "not in source (its name decodes to key 'dot.')");
    }

    [Fact]
    public async Task Blocks_with_transactional_md5s_are_accepted_by_the_service_and_the_copy_deep_verifies()
    {
        // Over https the default sends no per-block MD5; --upload-checksum md5 sends one with every
        // Put Block and Put Blob, and Azurite refuses any whose bytes differ (a wrong one fails the copy).
        var seeded = await SeedAsync("md5");
        var copy = await Cli("copy", Src(seeded), Dst(seeded), "--block-size", "1MiB", "--upload-checksum", "md5", "--output", "json");
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
        Assert.Equal(0, Json(copy).GetProperty("failed").GetInt64());
        var blob = Inspector().GetBlobClient(seeded.Prefix + "blocks/three-mib.bin");
        Assert.Equal(MD5.HashData(seeded.Objects["blocks/three-mib.bin"]), (await blob.GetPropertiesAsync()).Value.ContentHash);
        var deep = await Cli("verify", Src(seeded), Dst(seeded), "--deep", "--output", "json");
        Assert.True(deep.ExitCode == 0, deep.Stdout + deep.Stderr);
        Assert.Equal(0, Json(deep).GetProperty("mismatched").GetInt64());
    }

    [Fact]
    public async Task Deep_verify_catches_a_tamper_that_keeps_size_metadata_and_content_md5()
    {
        var seeded = await SeedAsync("deep");
        var copy = await Cli("copy", Src(seeded), Dst(seeded), "--block-size", "1MiB");
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);

        // Rewrite the multipart object's bytes but keep everything a metadata-level check looks at.
        var blob = Inspector().GetBlockBlobClient(seeded.Prefix + "multipart/object.bin");
        var props = (await blob.GetPropertiesAsync()).Value;
        var forged = seeded.Objects["multipart/object.bin"].ToArray();
        forged[^1] ^= 0x01;
        var id = Convert.ToBase64String("forged-block"u8.ToArray());
        await blob.StageBlockAsync(id, new MemoryStream(forged));
        await blob.CommitBlockListAsync([id], new CommitBlockListOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentHash = props.ContentHash, ContentType = props.ContentType },
            Metadata = props.Metadata,
        });

        var fast = await Cli("verify", Src(seeded), Dst(seeded), "--output", "json");
        Assert.Equal(0, fast.ExitCode); // by construction invisible without reading the bytes...
        var report = Path.GetTempFileName() + ".jsonl";
        var deep = await Cli("verify", Src(seeded), Dst(seeded), "--deep", "--output", "json", "--report", report);
        Assert.Equal(1, deep.ExitCode); // ...and caught when reading them
        Assert.Equal(1, Json(deep).GetProperty("mismatched").GetInt64());
        Assert.Equal("mismatch", Outcome(ReadReport(report), "multipart/object.bin"));
        Assert.Equal("match", Outcome(ReadReport(report), "blocks/three-mib.bin"));
    }
}
