using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class MultipartVerifierTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Candidate_layouts_fit_the_part_count_and_prefer_usual_sizes()
    {
        // 3 parts of 8 MiB-ish: 8 MiB fits (8+8+4), so it comes first; 5 MiB cannot make 20 MiB in 3 parts.
        var c = MultipartVerifier.CandidateLayouts(20 * MiB, 3);
        Assert.Equal(8 * MiB, c[0]);
        Assert.DoesNotContain(5 * MiB, c);
        Assert.All(c, p => Assert.True(MultipartVerifier.Fits(20 * MiB, 3, p)));
        Assert.True(c.Count <= MultipartVerifier.MaxCandidates);
        Assert.Equal([7 * MiB], MultipartVerifier.CandidateLayouts(7 * MiB, 1));
    }

    [Theory]
    [InlineData(10 * MiB + 5, 2, 5 * MiB, false)] // last part would be 5 MiB + 5 > 5 MiB
    [InlineData(10 * MiB, 2, 5 * MiB, true)]
    [InlineData(10 * MiB, 3, 5 * MiB, false)]     // last part would be empty
    public void Fits_requires_a_last_part_of_1_to_partSize_bytes(long size, int parts, long partSize, bool fits)
        => Assert.Equal(fits, MultipartVerifier.Fits(size, parts, partSize));

    [Fact]
    public void Inferred_layout_matches_a_real_5_MiB_upload()
    {
        var data = new byte[(int)(5 * MiB + 300_000)];
        new Random(4).NextBytes(data);
        var etag = FakeSource.MultipartEtag(data, [5 * MiB, 300_000]);
        var v = MultipartVerifier.Inferred(data.Length, 2);
        Assert.True(v.IsInferred);
        for (int i = 0; i < data.Length; i += 1_000_003) v.Append(data.AsSpan(i, Math.Min(1_000_003, data.Length - i)));
        Assert.Equal(5 * MiB, v.Finish(etag).MatchedPartSize);
    }

    [Fact]
    public void An_unusual_layout_is_not_matched()
    {
        var data = new byte[3_000_000];
        new Random(5).NextBytes(data);
        var etag = FakeSource.MultipartEtag(data, [1_234_567, 1_234_567, 530_866]);
        var v = MultipartVerifier.Inferred(data.Length, 3);
        v.Append(data);
        Assert.Null(v.Finish(etag).MatchedPartSize);
    }
}

public class HiddenPartSizesEngineTests
{
    [Fact]
    public async Task Without_part_sizes_a_usual_layout_is_inferred_and_an_unusual_one_is_reported_unverified_never_verified()
    {
        var usual = new byte[5 * 1024 * 1024 + 10];
        var odd = new byte[3000];
        new Random(6).NextBytes(usual);
        new Random(7).NextBytes(odd);
        var src = new FakeSource { HidePartSizes = true };
        src.Put("usual", usual, parts: [5 * 1024 * 1024, 10]);
        src.Put("odd", odd, parts: [1111, 1111, 778]);
        var dst = new FakeDestination();
        var report = new ListReport();
        var options = new TransferOptions { Copy = new CopySettings { BlockSize = 1024 * 1024 } };
        var result = await new TransferEngine(src, dst, options, new TransferStats(), report).RunAsync(RunMode.Copy, CancellationToken.None);

        Assert.Equal(2, result.Stats.Copied);
        Assert.Equal(1, result.Stats.Unverified);
        Assert.Contains("verified by multipart-etag", report.For("usual").Reason);
        Assert.Contains("inferred", report.For("usual").Reason);
        Assert.DoesNotContain("verified by multipart-etag", report.For("odd").Reason);
        Assert.Contains("unverified", report.For("odd").Reason);
        Assert.Contains("checked by per-block MD5 only", report.For("odd").Reason);

        // Without per-block MD5s nothing else vouched for the odd one: the report must not claim it.
        var withoutBlockMd5 = new ListReport();
        var none = options with { Copy = options.Copy with { UploadMd5 = false } };
        var again = await new TransferEngine(src, new FakeDestination(), none, new TransferStats(), withoutBlockMd5).RunAsync(RunMode.Copy, CancellationToken.None);
        Assert.Equal(1, again.Stats.Unverified);
        Assert.DoesNotContain("per-block MD5 only", withoutBlockMd5.For("odd").Reason);
        Assert.Contains("no per-block MD5 either", withoutBlockMd5.For("odd").Reason);
    }

    [Fact]
    public async Task Without_part_sizes_corruption_still_fails_when_a_layout_would_have_matched()
    {
        // Corruption changes every candidate's ETag: with no match the copy is "unverified", but the
        // per-block transactional MD5 and whole-object MD5 are still those of the bytes read, and
        // deep verify against the source reports the difference.
        var data = new byte[5 * 1024 * 1024 + 10];
        new Random(8).NextBytes(data);
        var src = new FakeSource { HidePartSizes = true };
        src.Put("x", data, parts: [5 * 1024 * 1024, 10]);
        src.Corrupt = true;
        var report = new ListReport();
        var result = await new TransferEngine(src, new FakeDestination(), new TransferOptions(), new TransferStats(), report).RunAsync(RunMode.Copy, CancellationToken.None);
        Assert.Equal(0, result.Stats.Copied - result.Stats.Unverified);
        Assert.DoesNotContain("verified by multipart-etag", report.For("x").Reason);
    }
}
