using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skybridge.Providers.AzureBlob;
using Skybridge.Transfer;
using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Outcomes;
using Skybridge.Transfer.Planning;

namespace Skybridge.Tests.Transfer.Planning;

/// <summary>
/// Items and outcomes are the unit of work another process may execute: they must survive JSON
/// unchanged, and executing a plan read back from JSON must give what a plain copy gives.
/// </summary>
public class TransferItemJsonTests
{
    private static TransferOptions Options => new()
    {
        Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 4 },
        Concurrency = 4,
        NamePolicy = NamePolicy.Encode,
    };

    private static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static FakeSource Seed()
    {
        var src = new FakeSource();
        src.Put("a.txt", Encoding.UTF8.GetBytes("hello"), props: new SourceProperties { ContentType = "text/plain" }, tags: new() { ["team"] = "data" });
        src.Put("big.bin", Bytes(5500, 1));
        src.Put("multi.bin", Bytes(4200, 2), parts: [2000, 2000, 200]);
        src.Put("same.txt", Encoding.UTF8.GetBytes("unchanged"));
        src.Put("trailing.", Bytes(10, 3));     // encoded: renamed
        src.Put("cold.bin", Bytes(10, 4), storageClass: "GLACIER");
        src.Put("dir/", []);
        return src;
    }

    private static async Task<List<TransferItem>> PlanAsync(FakeSource src, FakeDestination dst, RunMode mode, TransferOptions options)
    {
        var items = new List<TransferItem>();
        await foreach (var item in new Planner(src, dst, options, mode).PlanAsync(CancellationToken.None)) items.Add(item);
        return items;
    }

    [Fact]
    public async Task Every_planned_item_round_trips_through_json_unchanged()
    {
        var src = Seed();
        var dst = new FakeDestination();
        await new TransferEngine(src, dst, Options, new TransferStats()).RunAsync(RunMode.Copy, CancellationToken.None);
        src.Put("a.txt", Encoding.UTF8.GetBytes("hello, changed")); // copy again: the item carries the existing blob
        dst.Blobs["orphan"] = (Bytes(3, 5), new BlobWrite { ContentMd5 = MD5.HashData(Bytes(3, 5)) }, DateTimeOffset.UtcNow);

        var items = await PlanAsync(src, dst, RunMode.Sync, Options with { Delete = true });
        Assert.Contains(items, i => i.Action == ItemAction.Copy && i.Existing is not null);
        Assert.Contains(items, i => i.Action == ItemAction.Skip && i.Reason == ItemReason.Unchanged);
        Assert.Contains(items, i => i.Action == ItemAction.Skip && i.Reason == ItemReason.Archived && i.Detail == "GLACIER");
        Assert.Contains(items, i => i.Action == ItemAction.Extra && i.BlobName == "orphan");
        Assert.Contains(items, i => i.RenamedBecause is not null);

        foreach (var item in items)
        {
            var json = TransferItemJson.Serialize(item);
            var back = TransferItemJson.ReadItem(json);
            Assert.Equal(json, TransferItemJson.Serialize(back));
            Assert.Equal((item.Action, item.Reason, item.Detail, item.Text, item.BlobName, item.Origin), (back.Action, back.Reason, back.Detail, back.Text, back.BlobName, back.Origin));
            Assert.Equal(item.Source, back.Source); // a record of strings, numbers and times: value equality
            if (item.Existing is { } e)
            {
                Assert.Equal(e.ContentMd5, back.Existing!.ContentMd5);
                Assert.Equal(e.Metadata.OrderBy(m => m.Key), back.Existing.Metadata.OrderBy(m => m.Key));
                Assert.Equal((e.Name, e.Size, e.LastModified, e.RecordedSourceETag), (back.Existing.Name, back.Existing.Size, back.Existing.LastModified, back.Existing.RecordedSourceETag));
            }
        }
    }

    [Fact]
    public void The_payload_has_enums_as_words_and_no_derived_properties()
    {
        var item = new TransferItem
        {
            Action = ItemAction.Copy, Reason = ItemReason.SizeDiffers, BlobName = "p/a",
            Source = new SourceObject("a", 5, "5d41402abc4b2a76b9719d911017c592", DateTimeOffset.UnixEpoch),
        };
        using var doc = JsonDocument.Parse(TransferItemJson.Serialize(item));
        Assert.Equal("copy", doc.RootElement.GetProperty("action").GetString());
        Assert.Equal("size_differs", doc.RootElement.GetProperty("reason").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("version").GetInt32());
        Assert.False(doc.RootElement.TryGetProperty("text", out _));
        Assert.False(doc.RootElement.GetProperty("source").TryGetProperty("e_tag_is_md5", out _));
    }

    [Theory]
    [InlineData("""{"version":2,"action":"copy","reason":"new"}""", "version 2")]
    [InlineData("""{"version":0,"action":"copy","reason":"new"}""", "version 0")]
    [InlineData("""{"version":1,"reason":"new"}""", "action")]
    [InlineData("""{"version":1,"action":"teleport","reason":"new"}""", "ItemAction")]
    public void A_payload_this_build_cannot_read_is_refused(string json, string expected)
    {
        var e = Assert.Throws<JsonException>(() => TransferItemJson.ReadItem(json));
        Assert.Contains(expected, e.Message + e.InnerException?.Message + e.Path);
    }

    [Fact]
    public async Task A_plan_read_back_from_json_executes_to_the_same_destination_and_report_as_copy()
    {
        // Reference: one process plans and copies.
        var reference = new FakeDestination();
        var referenceReport = new ListReport();
        await new TransferEngine(Seed(), reference, Options, new TransferStats(), referenceReport).RunAsync(RunMode.Copy, CancellationToken.None);

        // Elsewhere: a planner writes JSON lines; a separate executor (its own copier and budget) runs them.
        var src = Seed();
        var dst = new FakeDestination();
        var manifest = string.Join('\n', (await PlanAsync(src, dst, RunMode.Copy, Options)).Select(TransferItemJson.Serialize));

        var stats = new TransferStats();
        var copier = new ObjectCopier(src, dst, Options.Copy, new MemoryBudget(Options.MaxMemory), stats);
        var executor = new ItemExecutor(src, dst, copier, Options, stats);
        var report = new List<ReportEntry>();
        foreach (var line in manifest.Split('\n'))
        {
            var item = TransferItemJson.ReadItem(line);
            var outcome = item.Action switch
            {
                ItemAction.Copy => TransferItemJson.ReadOutcome(TransferItemJson.Serialize(await executor.ExecuteAsync(item, CancellationToken.None))),
                ItemAction.Skip => ItemOutcome.Settled(Outcome.Skipped, item.Text),
                _ => null,
            };
            if (outcome is not null) report.Add(ReportObserver.Entry(item, outcome));
        }

        Assert.Equal(reference.Blobs.Keys, dst.Blobs.Keys);
        foreach (var (name, blob) in reference.Blobs)
        {
            Assert.Equal(blob.Data, dst.Blobs[name].Data);
            Assert.Equal(blob.Write.ContentMd5, dst.Blobs[name].Write.ContentMd5);
            Assert.Equal(blob.Write.Metadata.OrderBy(m => m.Key), dst.Blobs[name].Write.Metadata.OrderBy(m => m.Key));
            Assert.Equal(blob.Write.Tags.OrderBy(m => m.Key), dst.Blobs[name].Write.Tags.OrderBy(m => m.Key));
        }
        Assert.Equal(referenceReport.Entries.OrderBy(e => e.SourceKey, StringComparer.Ordinal), report.OrderBy(e => e.SourceKey, StringComparer.Ordinal));
        Assert.Contains(report, e => e.Outcome == Outcome.Copied && e.SourceKey == "multi.bin" && e.Reason!.Contains("verified by composite-etag"));
    }

    [Fact]
    public async Task An_outcome_round_trips_with_its_proof_and_copy_result()
    {
        var src = Seed();
        var dst = new FakeDestination();
        var stats = new TransferStats();
        var executor = new ItemExecutor(src, dst, new ObjectCopier(src, dst, Options.Copy, new MemoryBudget(Options.MaxMemory), stats), Options, stats);
        var item = (await PlanAsync(src, dst, RunMode.Copy, Options)).Single(i => i.Source?.Key == "multi.bin");

        var outcome = await executor.ExecuteAsync(item, CancellationToken.None);
        var back = TransferItemJson.ReadOutcome(TransferItemJson.Serialize(outcome));

        Assert.Equal(ProofKind.CompositeEtag, back.Proof); // its parts were its blocks
        Assert.Equal((Outcome.Copied, outcome.Reason, 4200L, 0L), (back.Status, back.Reason, back.BytesThroughHost, back.BytesServiceSide));
        Assert.Equal(outcome.Md5, back.Md5);
        Assert.Equal((outcome.Copy!.IntegrityCheck, outcome.Copy.Mode, outcome.Copy.IsUnverified), (back.Copy!.IntegrityCheck, back.Copy.Mode, back.Copy.IsUnverified));
    }
}
