using System.Text;
using System.Text.Json;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Transfer;

/// <summary>
/// Issue 12's cut at a serializable work item, forced across processes: one 'skybridge plan --save'
/// process plans the items into a file, another 'skybridge apply' process executes them, and the
/// destination and the per-object report equal what one 'skybridge copy' (then 'sync --delete') of
/// the same data gives. On the sandbox: RGW, Azurite over https, keyless on both sides.
/// </summary>
[Collection("sandbox")]
public sealed class SavedPlanOnSandboxTests(SandboxFixture sandbox)
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skybridge-plan-it-").FullName;

    private BlobContainerClient Inspector()
        => new(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"], Skybridge.Providers.AzureBlob.BlobLocation.Parse(sandbox.DestUrl).Container);

    private async Task<CliResult> Cli(params string[] args)
    {
        var result = await sandbox.RunCliAsync(args, null, TimeSpan.FromMinutes(5));
        Assert.DoesNotContain("sig=", result.Stdout + result.Stderr);
        return result;
    }

    private static void Ok(CliResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");

    /// <summary>Every blob under a prefix, by its name below the prefix: size, MD5, metadata and tags.</summary>
    private async Task<SortedDictionary<string, string>> BlobsAsync(string prefix)
    {
        var container = Inspector();
        await container.CreateIfNotExistsAsync(); // on a fresh sandbox this test may be the first to look
        var blobs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var b in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, Traits = BlobTraits.Metadata | BlobTraits.Tags }))
        {
            var md = string.Join(",", b.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}"));
            var tags = string.Join(",", (b.Tags ?? new Dictionary<string, string>()).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
            blobs[b.Name[prefix.Length..]] = $"{b.Properties.ContentLength} {Convert.ToHexString(b.Properties.ContentHash ?? [])} {b.Properties.ContentType} [{md}] [{tags}]";
        }
        return blobs;
    }

    /// <summary>The report's lines with the destination prefix taken off the blob names, in key order.</summary>
    private static List<string> Report(string path, string destinationPrefix)
        => File.ReadAllLines(path).Where(l => l.Length > 0).Select(l =>
        {
            var e = JsonDocument.Parse(l).RootElement;
            string? P(string name) => e.TryGetProperty(name, out var v) ? v.ToString() : null;
            var blob = P("blob_name") is { } n && n.StartsWith(destinationPrefix, StringComparison.Ordinal) ? n[destinationPrefix.Length..] : P("blob_name");
            return $"{P("source_key")}|{P("etag")}|{P("size")}|{blob}|{P("md5")}|{P("outcome")}|{P("reason")}|{P("mode")}";
        }).Order(StringComparer.Ordinal).ToList();

    /// <summary>Equal line sets; on a difference, the lines only one side has.</summary>
    private static void SameLines(List<string> expected, List<string> actual)
    {
        var only = expected.Except(actual).Select(l => "copy only:  " + l).Concat(actual.Except(expected).Select(l => "apply only: " + l)).ToList();
        Assert.True(only.Count == 0 && expected.Count == actual.Count, string.Join("\n", only));
    }

    [Fact]
    public async Task A_plan_made_in_one_process_and_applied_in_another_gives_what_copy_and_sync_give()
    {
        var seeded = await AwkwardObjects.SeedAsync(sandbox, "plan");
        var src = $"s3://{sandbox.Bucket}/{seeded.Prefix}";
        var applied = "applied-" + seeded.Prefix;
        var copied = "copied-" + seeded.Prefix;
        string Dst(string prefix) => $"{sandbox.DestUrl.TrimEnd('/')}/{prefix}";
        string File(string name) => Path.Combine(_dir, name);
        // Streamed on both sides: in auto mode which object first meets Azurite's refusal of from-URL
        // copies (501 for Put Blob, 404 for Put Block) is a race, and its wording becomes every later
        // object's reason, so two auto runs of the same data need not word their reports alike.
        string[] Stream = ["--block-size", "1MiB", "--mode", "stream"];

        // 1. Plan in one process: nothing is written; the file holds every decision.
        var plan = await Cli(["plan", src, Dst(applied), .. Stream, "--save", File("copy.plan"), "--report", File("plan.jsonl")]);
        Ok(plan);
        Assert.Contains("plan saved to", plan.Stderr);
        Assert.Empty(await BlobsAsync(applied));

        // 2. Apply it in another process; copy the same data to a second prefix in a third.
        var apply = await Cli("apply", File("copy.plan"), "--report", File("apply.jsonl"), "--output", "json");
        Ok(apply);
        Ok(await Cli(["copy", src, Dst(copied), .. Stream, "--report", File("copy.jsonl")]));
        var copyable = seeded.Objects.Keys.Count(k => !k.Contains('\\'));
        Assert.Equal(copyable, JsonDocument.Parse(apply.Stdout).RootElement.GetProperty("copied").GetInt64());
        Assert.Equal(await BlobsAsync(copied), await BlobsAsync(applied));
        SameLines(Report(File("copy.jsonl"), copied), Report(File("apply.jsonl"), applied));

        // 3. The source changes (one object rewritten, one deleted), each destination gains a stray
        //    blob: a sync --delete plan applied elsewhere equals sync --delete.
        var s3 = sandbox.AdminS3();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = seeded.Prefix + "top.txt", ContentBody = "rewritten", UseChunkEncoding = false });
        await s3.DeleteObjectAsync(sandbox.Bucket, seeded.Prefix + "a/empty.bin");
        foreach (var prefix in new[] { applied, copied })
            await Inspector().GetBlobClient(prefix + "stray.txt").UploadAsync(BinaryData.FromString("not in the source"));
        Ok(await Cli(["plan", src, Dst(applied), .. Stream, "--delete", "--save", File("sync.plan")]));
        var syncApply = await Cli("apply", File("sync.plan"), "--report", File("apply-sync.jsonl"), "--output", "json");
        Ok(syncApply);
        Ok(await Cli(["sync", src, Dst(copied), .. Stream, "--delete", "--report", File("sync.jsonl")]));
        var summary = JsonDocument.Parse(syncApply.Stdout).RootElement;
        Assert.Equal(1, summary.GetProperty("copied").GetInt64());
        Assert.Equal(2, summary.GetProperty("deleted").GetInt64()); // stray.txt and the deleted source's blob
        var after = await BlobsAsync(applied);
        Assert.False(after.ContainsKey("stray.txt") || after.ContainsKey("a/empty.bin"));
        Assert.Equal(await BlobsAsync(copied), after);
        SameLines(Report(File("sync.jsonl"), copied), Report(File("apply-sync.jsonl"), applied));

        // 4. Applying the same plan again copies and deletes nothing: the destination says it was done.
        var again = await Cli("apply", File("sync.plan"), "--output", "json");
        Ok(again);
        var rerun = JsonDocument.Parse(again.Stdout).RootElement;
        Assert.Equal(0, rerun.GetProperty("copied").GetInt64());
        Assert.Equal(0, rerun.GetProperty("deleted").GetInt64());
        Assert.Equal(after, await BlobsAsync(applied));
    }

    [Fact]
    public async Task A_plan_cut_short_is_refused_with_a_fix_and_nothing_is_written()
    {
        var seeded = await AwkwardObjects.SeedAsync(sandbox, "plancut");
        var dst = $"{sandbox.DestUrl.TrimEnd('/')}/cut-{seeded.Prefix}";
        var path = Path.Combine(_dir, "cut.plan");
        Ok(await Cli("plan", $"s3://{sandbox.Bucket}/{seeded.Prefix}", dst, "--save", path));
        var lines = System.IO.File.ReadAllLines(path);
        System.IO.File.WriteAllLines(path, lines[..^1], new UTF8Encoding(false));

        var apply = await Cli("apply", path);
        Assert.Equal(2, apply.ExitCode);
        Assert.Contains("error: The plan", apply.Stderr);
        Assert.Contains("is incomplete", apply.Stderr);
        Assert.Contains("fix: Make the plan again", apply.Stderr);
        Assert.Empty(await BlobsAsync("cut-" + seeded.Prefix));
    }
}
