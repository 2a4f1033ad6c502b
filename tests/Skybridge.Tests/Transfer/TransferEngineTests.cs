using System.Security.Cryptography;
using System.Text;
using Azure;
using Skybridge.Providers.AzureBlob;
using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class TransferEngineTests
{
    private static byte[] Bytes(int n, int seed = 1)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static TransferOptions Small(TransferOptions? o = null) => (o ?? new TransferOptions()) with
    {
        Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 4 },
        Concurrency = 4,
    };

    private static async Task<(RunResult Result, ListReport Report)> Run(FakeSource src, FakeDestination dst, RunMode mode, TransferOptions? options = null)
    {
        var report = new ListReport();
        var engine = new TransferEngine(src, dst, options ?? Small(), new TransferStats(), report);
        return (await engine.RunAsync(mode, CancellationToken.None), report);
    }

    private static FakeSource Seed()
    {
        var src = new FakeSource();
        src.Put("a.txt", Encoding.UTF8.GetBytes("hello"), props: new SourceProperties
        {
            ContentType = "text/plain", CacheControl = "max-age=60", ContentDisposition = "inline",
            ContentEncoding = "identity", ContentLanguage = "en", UserMetadata = new Dictionary<string, string> { ["x-owner"] = "alice" },
        }, tags: new() { ["team"] = "data" });
        src.Put("dir/", []);                                    // directory marker
        src.Put("dir/empty", []);                               // 0-byte object
        src.Put("dir/sub/big.bin", Bytes(5500));                // 6 blocks of 1000
        src.Put("dir/sub/multi.bin", Bytes(4200, 2), parts: [2000, 2000, 200]); // multipart ETag
        src.Put("\u00e9t\u00e9/\u4e2d.txt", Encoding.UTF8.GetBytes("unicode"));
        src.Put("cold.bin", Bytes(10), storageClass: "GLACIER");
        src.Put("bad\\name", Bytes(10));
        return src;
    }

    [Fact]
    public async Task Copies_everything_with_properties_metadata_tags_and_content_md5()
    {
        var src = Seed();
        var dst = new FakeDestination();
        var (result, report) = await Run(src, dst, RunMode.Copy);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(5, result.Stats.Copied);
        Assert.Equal(3, result.Stats.Skipped);
        Assert.Equal(["a.txt", "dir/empty", "dir/sub/big.bin", "dir/sub/multi.bin", "\u00e9t\u00e9/\u4e2d.txt"], dst.Blobs.Keys.ToArray());
        // Every blob carries the MD5 of its bytes, but the multipart one: copied part by part
        // (composite-etag), no whole-object MD5 exists; it records its proof instead.
        foreach (var (name, blob) in dst.Blobs.Where(b => b.Key != "dir/sub/multi.bin"))
            Assert.Equal(MD5.HashData(blob.Data), blob.Write.ContentMd5);
        Assert.Empty(dst.Blobs["dir/sub/multi.bin"].Write.ContentMd5);
        Assert.Equal("composite-etag", dst.Blobs["dir/sub/multi.bin"].Write.Metadata[ProvenanceKeys.Proof]);

        var a = dst.Blobs["a.txt"].Write;
        Assert.Equal("text/plain", a.ContentType);
        Assert.Equal("max-age=60", a.CacheControl);
        Assert.Equal("inline", a.ContentDisposition);
        Assert.Equal("identity", a.ContentEncoding);
        Assert.Equal("en", a.ContentLanguage);
        Assert.Equal("alice", a.Metadata["x_owner"]);
        Assert.Equal("data", a.Tags["team"]);
        Assert.Equal("bucket", a.Metadata[ProvenanceKeys.SourceBucket]);

        Assert.Equal(6, dst.CommittedIds.Single(ids => ids.Count == 6).Count);
        Assert.Contains("verified by composite-etag", report.For("dir/sub/multi.bin").Reason);
        Assert.Contains("verified by md5", report.For("dir/sub/big.bin").Reason);
        Assert.Equal("directory marker", report.For("dir/").Reason);
        Assert.Contains("GLACIER", report.For("cold.bin").Reason);
        Assert.Contains("backslash", report.For("bad\\name").Reason);
        Assert.Equal(1, result.Stats.SkipReasons["invalid blob name: backslash in name"]);
    }

    [Fact]
    public async Task A_second_run_copies_nothing_and_a_changed_object_is_copied_again()
    {
        var src = Seed();
        var dst = new FakeDestination();
        await Run(src, dst, RunMode.Copy);
        int puts = dst.Puts, commits = dst.Commits;

        var (again, _) = await Run(src, dst, RunMode.Copy);
        Assert.Equal(0, again.Stats.Copied);
        Assert.Equal((puts, commits), (dst.Puts, dst.Commits));

        src.Put("a.txt", Encoding.UTF8.GetBytes("HELLO"));
        var (third, report) = await Run(src, dst, RunMode.Copy);
        Assert.Equal(1, third.Stats.Copied);
        Assert.Equal("HELLO", Encoding.UTF8.GetString(dst.Blobs["a.txt"].Data));
        Assert.StartsWith("ETag differs", report.For("a.txt").Reason);
    }

    [Fact]
    public async Task Plan_predicts_exactly_what_copy_does()
    {
        var src = Seed();
        var dst = new FakeDestination();
        dst.Blobs["extra"] = ([1], new BlobWrite { ContentMd5 = MD5.HashData(new byte[] { 1 }) }, DateTimeOffset.UtcNow);
        await Run(src, dst, RunMode.Copy);
        src.Put("a.txt", Encoding.UTF8.GetBytes("changed"));
        src.Put("new.txt", Encoding.UTF8.GetBytes("new"));

        var (plan, planReport) = await Run(src, dst, RunMode.Plan, Small(new TransferOptions { Delete = true }));
        Assert.DoesNotContain("new.txt", dst.Blobs.Keys); // plan wrote nothing
        var (sync, syncReport) = await Run(src, dst, RunMode.Sync, Small(new TransferOptions { Delete = true }));

        Assert.Equal(["a.txt", "new.txt"], planReport.Entries.Where(e => e.Outcome == Outcome.WouldCopy).Select(e => e.SourceKey).Order());
        Assert.Equal(["a.txt", "new.txt"], syncReport.Entries.Where(e => e.Outcome == Outcome.Copied).Select(e => e.SourceKey).Order());
        Assert.Equal(["extra"], planReport.Entries.Where(e => e.Outcome == Outcome.WouldDelete).Select(e => e.BlobName));
        Assert.Equal(["extra"], syncReport.Entries.Where(e => e.Outcome == Outcome.Deleted).Select(e => e.BlobName));
        Assert.Equal((plan.Stats.ToCopy, plan.Stats.BytesToCopy, plan.Stats.Skipped), (sync.Stats.Copied, sync.Stats.BytesCopied, sync.Stats.Skipped));
        Assert.Equal(plan.Stats.ToDelete, sync.Stats.Deleted);
        Assert.False(dst.Blobs.ContainsKey("extra"));
    }

    [Fact]
    public async Task Plan_changes_nothing()
    {
        var src = Seed();
        var dst = new FakeDestination();
        var (plan, _) = await Run(src, dst, RunMode.Plan);
        Assert.Empty(dst.Blobs);
        Assert.Equal(0, dst.StagedBlocks);
        Assert.Equal(5, plan.Stats.ToCopy);
    }

    [Fact]
    public async Task Sync_delete_removes_only_extras_and_respects_filters()
    {
        var src = Seed();
        var dst = new FakeDestination();
        await Run(src, dst, RunMode.Copy);
        var w = new BlobWrite { ContentMd5 = MD5.HashData(new byte[] { 1 }) };
        dst.Blobs["zz-extra.txt"] = ([1], w, DateTimeOffset.UtcNow);
        dst.Blobs["keep.log"] = ([1], w, DateTimeOffset.UtcNow);

        var (result, _) = await Run(src, dst, RunMode.Sync, Small(new TransferOptions { Delete = true, Filter = new Filter(exclude: ["*.log"]) }));
        Assert.Equal(1, result.Stats.Deleted);
        Assert.False(dst.Blobs.ContainsKey("zz-extra.txt"));
        Assert.True(dst.Blobs.ContainsKey("keep.log"));
        Assert.Equal(5 + 1, dst.Blobs.Count);
    }

    [Fact]
    public async Task Sync_refuses_to_delete_when_the_source_is_empty_or_over_max_delete_unless_forced()
    {
        var dst = new FakeDestination();
        var w = new BlobWrite { ContentMd5 = MD5.HashData(new byte[] { 1 }) };
        dst.Blobs["x"] = ([1], w, DateTimeOffset.UtcNow);
        dst.Blobs["y"] = ([1], w, DateTimeOffset.UtcNow);

        var (empty, _) = await Run(new FakeSource(), dst, RunMode.Sync, Small(new TransferOptions { Delete = true }));
        Assert.Contains("source listing is empty", empty.DeleteRefused);
        Assert.Equal(ExitCodes.SomeFailed, empty.ExitCode);
        Assert.Equal(2, dst.Blobs.Count);

        var src = new FakeSource();
        src.Put("a", [1, 2]);
        var (tooMany, _) = await Run(src, dst, RunMode.Sync, Small(new TransferOptions { Delete = true, MaxDelete = 1 }));
        Assert.Contains("--max-delete", tooMany.DeleteRefused);
        Assert.True(dst.Blobs.ContainsKey("x"));

        var (forced, _) = await Run(src, dst, RunMode.Sync, Small(new TransferOptions { Delete = true, MaxDelete = 1, Force = true }));
        Assert.Null(forced.DeleteRefused);
        Assert.Equal(["a"], dst.Blobs.Keys);
    }

    [Fact]
    public async Task Without_upload_checksums_blocks_go_without_md5_and_every_copy_is_still_proved_against_the_source()
    {
        var src = new FakeSource();
        src.Put("big", Bytes(3500));
        src.Put("small", Bytes(10));
        var dst = new FakeDestination();
        var options = Small() with { Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 4, UploadMd5 = false } };
        var (result, report) = await Run(src, dst, RunMode.Copy, options);
        Assert.Equal(2, result.Stats.Copied);
        Assert.Equal(4, dst.StagedBlocks);
        Assert.Equal(4, dst.StagedWithoutMd5);
        // One-request objects still carry the source ETag's MD5 on the wire: it is the proof (md5-by-destination) and costs this host no hashing.
        Assert.True(dst.Blobs["small"].Write.VerifyOnArrival);
        Assert.Contains("verified by md5-by-destination", report.For("small").Reason);
        Assert.Equal(MD5.HashData(Bytes(3500)), dst.Blobs["big"].Write.ContentMd5);
        Assert.Contains("verified by md5", report.For("big").Reason);

        // The whole-object MD5 still catches bytes that differ from the source.
        src.Corrupt = true;
        var (corrupt, again) = await Run(src, new FakeDestination(), RunMode.Copy, options);
        Assert.Equal(2, corrupt.Stats.Failed);
        Assert.Contains("MD5 check failed", again.For("big").Reason);
    }

    [Fact]
    public async Task The_summary_counts_copies_by_what_proved_them()
    {
        var src = new FakeSource();
        src.Put("big", Bytes(3500));
        src.Put("small", Bytes(10));
        src.Put("small2", Bytes(20));
        var (result, report) = await Run(src, new FakeDestination(), RunMode.Copy, Small() with { Copy = new CopySettings { BlockSize = 1000 } });
        Assert.Equal(new Dictionary<string, int> { ["md5"] = 1, ["md5-by-destination"] = 2 }, result.Stats.Proofs);
        Assert.Contains("verified by md5-by-destination", report.For("small2").Reason);
    }

    [Fact]
    public async Task Corrupted_reads_fail_the_object_and_commit_nothing()
    {
        var src = new FakeSource();
        src.Put("big", Bytes(3000));
        src.Put("small", Bytes(10));
        src.Put("multi", Bytes(3000), parts: [1500, 1500]);
        src.Corrupt = true;
        var dst = new FakeDestination();
        var (result, report) = await Run(src, dst, RunMode.Copy);
        Assert.Equal(3, result.Stats.Failed);
        Assert.Equal(ExitCodes.SomeFailed, result.ExitCode);
        Assert.Empty(dst.Blobs);
        Assert.Contains("MD5 check failed", report.For("big").Reason);
        Assert.Contains("multipart ETag check failed", report.For("multi").Reason);
    }

    [Fact]
    public async Task An_object_overwritten_mid_copy_fails_with_a_clear_reason_and_the_run_goes_on()
    {
        var src = new FakeSource();
        src.Put("changing", Bytes(5000));
        src.Put("stable", Bytes(5000, 7));
        src.BeforeRead = (o, offset) =>
        {
            if (o.Key == "changing" && offset == 3000) src.Put("changing", Bytes(5000, 99));
        };
        var dst = new FakeDestination();
        var (result, report) = await Run(src, dst, RunMode.Copy, Small() with { Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 1 } });
        Assert.Equal(1, result.Stats.Failed);
        Assert.Equal(1, result.Stats.Copied);
        Assert.Contains("changed during the copy", report.For("changing").Reason);
        Assert.Equal(["stable"], dst.Blobs.Keys);
    }

    [Fact]
    public async Task Verify_finds_equality_then_a_tampered_and_a_missing_blob()
    {
        var src = Seed();
        var dst = new FakeDestination();
        await Run(src, dst, RunMode.Copy);
        var (ok, _) = await Run(src, dst, RunMode.Verify);
        Assert.Equal(ExitCodes.Ok, ok.ExitCode);
        Assert.Equal(5, ok.Stats.Matched);

        // A blob rewritten with other bytes (Content-MD5 recomputed, as Put Blob does) and one deleted.
        var tampered = Bytes(5500, 9);
        dst.Blobs["dir/sub/big.bin"] = (tampered, dst.Blobs["dir/sub/big.bin"].Write with { ContentMd5 = MD5.HashData(tampered) }, DateTimeOffset.UtcNow);
        dst.Blobs.Remove("a.txt");
        var (bad, report) = await Run(src, dst, RunMode.Verify);
        Assert.Equal(ExitCodes.SomeFailed, bad.ExitCode);
        Assert.Equal(1, bad.Stats.Missing);
        Assert.Equal(1, bad.Stats.Mismatched);
        Assert.Equal(Outcome.Mismatch, report.For("dir/sub/big.bin").Outcome);
        Assert.Equal(Outcome.Missing, report.For("a.txt").Outcome);
    }

    [Fact]
    public async Task Deep_verify_catches_bytes_changed_behind_unchanged_properties()
    {
        var src = Seed();
        var dst = new FakeDestination();
        await Run(src, dst, RunMode.Copy);
        dst.Tamper("dir/sub/multi.bin", Bytes(4200, 5));
        var (fast, _) = await Run(src, dst, RunMode.Verify);
        Assert.Equal(0, fast.Stats.Mismatched); // metadata-only check cannot see it...
        var (deep, report) = await Run(src, dst, RunMode.Verify, Small(new TransferOptions { DeepVerify = true }));
        Assert.Equal(1, deep.Stats.Mismatched); // ...reading the bytes back does
        Assert.Equal(4, deep.Stats.Matched);
        // No Content-MD5 to betray it (copied part by part): the multipart ETag of the bytes read back does.
        Assert.Contains("blob bytes give multipart ETag", report.For("dir/sub/multi.bin").Reason);
    }

    [Fact]
    public async Task Verify_reports_extras()
    {
        var src = new FakeSource();
        src.Put("a", [1]);
        var dst = new FakeDestination();
        await Run(src, dst, RunMode.Copy);
        dst.Blobs["b"] = ([1], new BlobWrite { ContentMd5 = MD5.HashData(new byte[] { 1 }) }, DateTimeOffset.UtcNow);
        var (result, report) = await Run(src, dst, RunMode.Verify);
        Assert.Equal(1, result.Stats.Extra);
        Assert.Equal(Outcome.Extra, report.For("b").Outcome);
    }

    [Fact]
    public async Task Name_policies_skip_fail_and_encode()
    {
        var src = new FakeSource();
        src.Put("ok", [1]);
        src.Put("trailing.", [2]);

        var (fail, failReport) = await Run(src, new FakeDestination(), RunMode.Copy, Small(new TransferOptions { NamePolicy = NamePolicy.Fail }));
        Assert.Equal(1, fail.Stats.Failed);
        Assert.Contains("ends with '.'", failReport.For("trailing.").Reason);

        var dst = new FakeDestination();
        var (enc, encReport) = await Run(src, dst, RunMode.Copy, Small(new TransferOptions { NamePolicy = NamePolicy.Encode }));
        Assert.Equal(2, enc.Stats.Copied);
        Assert.Equal(1, enc.Stats.Renamed);
        Assert.Equal("trailing%2E", encReport.For("trailing.").BlobName);
        Assert.Equal("trailing.", Uri.UnescapeDataString(dst.Blobs["trailing%2E"].Write.Metadata[ProvenanceKeys.SourceKey]));

        // The renamed blob is neither re-copied, nor an extra for sync --delete or verify.
        var (again, _) = await Run(src, dst, RunMode.Sync, Small(new TransferOptions { NamePolicy = NamePolicy.Encode, Delete = true }));
        Assert.Equal((0, 0L), (again.Stats.Copied, again.Stats.Deleted));
        var (verify, _) = await Run(src, dst, RunMode.Verify, Small(new TransferOptions { NamePolicy = NamePolicy.Encode }));
        Assert.Equal((2, 0L, 0L), (verify.Stats.Matched, verify.Stats.Extra, verify.Stats.Missing));
    }

    [Fact]
    public async Task Prefixes_map_source_keys_under_the_destination_prefix()
    {
        var src = new FakeSource(prefix: "in/");
        src.Put("in/a", [1]);
        src.Put("other/b", [2]);
        var dst = new FakeDestination(prefix: "out/");
        var (result, _) = await Run(src, dst, RunMode.Copy);
        Assert.Equal(["out/a"], dst.Blobs.Keys);
        var (again, _) = await Run(src, dst, RunMode.Copy);
        Assert.Equal(0, again.Stats.Copied);
    }

    [Fact]
    public async Task Buffers_stay_within_the_memory_budget_whatever_the_object_sizes()
    {
        var src = new FakeSource();
        for (int i = 0; i < 12; i++) src.Put($"o{i:D2}", Bytes(20_000, i));
        var dst = new FakeDestination();
        var options = Small() with { MaxMemory = 5_000, Concurrency = 8, Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 8 } };
        var (result, _) = await Run(src, dst, RunMode.Copy, options);
        Assert.Equal(12, result.Stats.Copied);
        Assert.True(result.PeakBufferBytes <= 5_000, $"peak {result.PeakBufferBytes}");
        Assert.True(result.PeakBufferBytes >= 2_000, "blocks should run in parallel");
        Assert.All(dst.Blobs, b => Assert.Equal(20_000, b.Value.Data.Length));
    }

    [Fact]
    public async Task A_403_from_the_destination_stops_the_run_as_an_auth_failure()
    {
        var src = new FakeSource();
        for (int i = 0; i < 50; i++) src.Put($"o{i:D2}", [1]);
        var dst = new FakeDestination { FailWrite = _ => new RequestFailedException(403, "This request is not authorized", "AuthorizationPermissionMismatch", null) };
        var engine = new TransferEngine(src, dst, Small(), new TransferStats());
        // The adapter raises the domain error (the SDK's answer is its cause); the engine stops on its kind.
        var e = await Assert.ThrowsAsync<SkybridgeException>(() => engine.RunAsync(RunMode.Copy, CancellationToken.None));
        Assert.Equal(403, Assert.IsType<RequestFailedException>(e.InnerException).Status);
        Assert.Equal(ErrorKind.Auth, e.Kind);
        Assert.True(TransferErrors.IsFatal(e));
    }

    [Fact]
    public async Task A_transient_per_object_failure_fails_that_object_only()
    {
        var src = new FakeSource();
        src.Put("a", [1]);
        src.Put("b", [2]);
        var dst = new FakeDestination { FailWrite = n => n == "a" ? new RequestFailedException(500, "boom", "InternalError", null) : null };
        var (result, report) = await Run(src, dst, RunMode.Copy);
        Assert.Equal((1L, 1L), (result.Stats.Failed, result.Stats.Copied));
        Assert.Contains("Azure 500 InternalError", report.For("a").Reason);
    }

    /// <summary>A report sink that refuses every write, as a full disk or an unserialisable entry would.</summary>
    private sealed class RefusingReport : IReportSink
    {
        public int Writes;
        public void Write(ReportEntry entry)
        {
            Interlocked.Increment(ref Writes);
            throw new IOException("No space left on device");
        }
    }

    [Fact]
    public async Task A_report_that_cannot_be_written_ends_the_run_with_its_error_instead_of_hanging()
    {
        // More objects than the workers plus the queue hold: when every worker had ended on its first
        // report line, the listing waited forever on a full queue (a process seen alive for 20 min).
        var src = new FakeSource();
        for (int i = 0; i < 200; i++) src.Put($"o{i:D3}", [(byte)i]);
        var report = new RefusingReport();
        var engine = new TransferEngine(src, new FakeDestination(), Small(), new TransferStats(), report);

        var run = engine.RunAsync(RunMode.Copy, CancellationToken.None);
        var e = await Assert.ThrowsAsync<IOException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("No space left on device", e.Message);
        Assert.InRange(report.Writes, 1, Small().Concurrency); // stopped at once, not after the whole listing
    }

    [Fact]
    public async Task Cancellation_stops_the_run()
    {
        var src = new FakeSource();
        for (int i = 0; i < 20; i++) src.Put($"o{i:D2}", Bytes(5000, i));
        using var cts = new CancellationTokenSource();
        src.BeforeRead = (_, _) => cts.Cancel();
        var engine = new TransferEngine(src, new FakeDestination(), Small(), new TransferStats());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.RunAsync(RunMode.Copy, cts.Token));
    }
}

/// <summary>
/// Issue 16: "encode" is injective over all keys. The pairs that used to meet ("a." and the valid key
/// "a%2E", "a\u0001" and "a%01") now get names of their own; a name can only meet a blob another
/// mapping wrote, and that stays a reported failure, never an overwrite.
/// </summary>
public class EncodeCollisionTests
{
    private static readonly TransferOptions Encode = new() { NamePolicy = NamePolicy.Encode };

    [Theory]
    [InlineData("a%2E", "a.", "a%252E", "a%2E")]
    [InlineData("a\u0001", "a%01", "a%01", "a%2501")] // "a\u0001" sorts before "a%01"
    public async Task Keys_that_used_to_collide_are_both_copied_to_names_that_decode_to_them(string first, string second, string firstName, string secondName)
    {
        var src = new FakeSource();
        src.Put(first, [1]);
        src.Put(second, [2]);
        var dst = new FakeDestination();
        var result = await new TransferEngine(src, dst, Encode, new TransferStats(), new ListReport()).RunAsync(RunMode.Copy, CancellationToken.None);
        Assert.Equal(0, result.Stats.Failed);
        Assert.Equal(2, result.Stats.Copied);
        Assert.Equal(new byte[] { 1 }, dst.Blobs[firstName].Data);
        Assert.Equal(new byte[] { 2 }, dst.Blobs[secondName].Data);
        Assert.Equal(first, Skybridge.Providers.AzureBlob.BlobNamePolicy.Decode(firstName));
        Assert.Equal(second, Skybridge.Providers.AzureBlob.BlobNamePolicy.Decode(secondName));
    }

    [Fact]
    public async Task An_encoded_name_never_overwrites_a_blob_another_policy_wrote_for_a_key_spelled_like_the_escape()
    {
        var src = new FakeSource();
        src.Put("a%2E", [1]);   // a valid key: "skip" copies it as-is to "a%2E"
        var dst = new FakeDestination();
        await new TransferEngine(src, dst, new TransferOptions(), new TransferStats(), new ListReport()).RunAsync(RunMode.Copy, CancellationToken.None);
        src.Put("a.", [2]);     // encodes to "a%2E", where the blob of key "a%2E" already is
        var report = new ListReport();
        var result = await new TransferEngine(src, dst, Encode, new TransferStats(), report).RunAsync(RunMode.Copy, CancellationToken.None);
        Assert.Equal(new byte[] { 1 }, dst.Blobs["a%2E"].Data);
        Assert.Equal(1, result.Stats.Failed);
        Assert.Contains("collides", report.For("a.").Reason);
        Assert.Equal(new byte[] { 1 }, dst.Blobs["a%252E"].Data); // the valid key's own name under "encode"
    }

    [Fact]
    public async Task Sync_delete_keeps_a_blob_an_older_encoding_wrote_for_a_key_still_in_the_source_and_deletes_real_extras()
    {
        var src = new FakeSource();
        src.Put("a//b", [1]);
        src.Put("gone", [9]);
        var dst = new FakeDestination();
        await new TransferEngine(src, dst, Encode, new TransferStats(), new ListReport()).RunAsync(RunMode.Copy, CancellationToken.None);
        // What the encoding before issue 16 named it: same blob, same recorded source key, old name.
        lock (dst.Blobs) { dst.Blobs["a/%EMPTY%/b"] = dst.Blobs["a/%2Fb"]; dst.Blobs.Remove("a/%2Fb"); }
        src.Remove("gone");
        var report = new ListReport();
        var result = await new TransferEngine(src, dst, Encode with { Delete = true, Force = true }, new TransferStats(), report).RunAsync(RunMode.Sync, CancellationToken.None);
        Assert.True(dst.Blobs.ContainsKey("a/%EMPTY%/b"), "the legacy blob of a key in the source was deleted");
        Assert.True(dst.Blobs.ContainsKey("a/%2Fb"));
        Assert.False(dst.Blobs.ContainsKey("gone"));
        Assert.Equal(1, result.Stats.Deleted);
    }

    [Fact]
    public async Task A_blob_spelled_like_a_renamed_key_is_an_extra_once_its_own_key_is_gone()
    {
        var src = new FakeSource();
        src.Put("dot%2E", [1]); // -> "dot%252E"
        src.Put("dot.", [2]);   // -> "dot%2E", the raw spelling of the key above
        var dst = new FakeDestination();
        await new TransferEngine(src, dst, Encode, new TransferStats(), new ListReport()).RunAsync(RunMode.Copy, CancellationToken.None);
        src.Remove("dot.");
        var result = await new TransferEngine(src, dst, Encode with { Delete = true, Force = true }, new TransferStats(), new ListReport()).RunAsync(RunMode.Sync, CancellationToken.None);
        Assert.Equal(1, result.Stats.Deleted);
        Assert.False(dst.Blobs.ContainsKey("dot%2E"));
        Assert.Equal(new byte[] { 1 }, dst.Blobs["dot%252E"].Data);
    }

    [Fact]
    public async Task Verify_names_the_key_an_extra_encoded_blob_stands_for()
    {
        var src = new FakeSource();
        src.Put("x.", [1]);
        var dst = new FakeDestination();
        await new TransferEngine(src, dst, Encode, new TransferStats(), new ListReport()).RunAsync(RunMode.Copy, CancellationToken.None);
        src.Remove("x.");
        src.Put("y", [2]);
        var report = new ListReport();
        var result = await new TransferEngine(src, dst, Encode, new TransferStats(), report).RunAsync(RunMode.Verify, CancellationToken.None);
        Assert.Equal(1, result.Stats.Extra);
        Assert.Contains(report.Entries, e => e.BlobName == "x%2E" && e.Reason == "not in source (its name decodes to key 'x.')");
    }
}
