using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class FilterTests
{
    private static readonly DateTimeOffset T = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("*.csv", "data/x.csv", true)]
    [InlineData("*.csv", "data/x.csv.gz", false)]
    [InlineData("data/*.csv", "data/x.csv", true)]
    [InlineData("data/*.csv", "data/sub/x.csv", false)]
    [InlineData("data/**", "data/sub/x.csv", true)]
    [InlineData("**/x.csv", "x.csv", true)]
    [InlineData("**/x.csv", "a/b/x.csv", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file10.txt", false)]
    [InlineData("[ab]*", "b1", true)]
    [InlineData("[!ab]*", "b1", false)]
    [InlineData("a[[]1].txt", "a[1].txt", true)]
    [InlineData("a[[]1].txt", "a1].txt", false)]
    [InlineData("[]]x", "]x", true)]
    [InlineData("[!]]x", "]x", false)]
    [InlineData("[!]]x", "ax", true)]
    public void Include_globs(string glob, string name, bool included)
        => Assert.Equal(included, new Filter(include: [glob]).IncludesName(name));

    [Fact]
    public void Excludes_win_over_includes()
    {
        var f = new Filter(include: ["*.log"], exclude: ["tmp/**"]);
        Assert.True(f.IncludesName("a/x.log"));
        Assert.False(f.IncludesName("tmp/x.log"));
        Assert.False(f.IncludesName("a/x.txt"));
    }

    [Fact]
    public void Size_and_time_windows()
    {
        var f = new Filter(modifiedAfter: T, modifiedBefore: T.AddDays(1), minSize: 10, maxSize: 100);
        Assert.True(f.Includes("x", 10, T));
        Assert.False(f.Includes("x", 9, T));
        Assert.False(f.Includes("x", 101, T));
        Assert.False(f.Includes("x", 50, T.AddSeconds(-1)));
        Assert.False(f.Includes("x", 50, T.AddDays(1)));
    }
}

public class DeciderTests
{
    private static readonly DateTimeOffset T = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private const string Md5 = "0123456789abcdef0123456789abcdef";

    private static SourceObject Src(long size = 10, string etag = Md5, DateTimeOffset? t = null) => new("k", size, etag, t ?? T);

    private static DestinationBlob Dst(long size = 10, string? etag = Md5, byte[]? md5 = null, DateTimeOffset? recorded = null, DateTimeOffset? blobTime = null)
    {
        var meta = new Dictionary<string, string>();
        if (etag is not null) meta["skybridge_source_etag"] = etag;
        if (recorded is { } r) meta["skybridge_source_last_modified"] = r.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ");
        return new DestinationBlob("k", size, md5, blobTime ?? T.AddHours(1), meta);
    }

    [Fact]
    public void Default_skips_same_size_and_recorded_etag_and_copies_otherwise()
    {
        var d = new Decider();
        Assert.Equal(DecisionKind.Copy, d.Decide(Src(), null).Kind);
        Assert.Equal(DecisionKind.Skip, d.Decide(Src(), Dst()).Kind);
        Assert.Equal("size differs", d.Decide(Src(size: 11), Dst()).Reason);
        Assert.Equal("ETag differs", d.Decide(Src(etag: "ffffffffffffffffffffffffffffffff"), Dst()).Reason);
        Assert.Equal("destination has no source ETag", d.Decide(Src(), Dst(etag: null)).Reason);
    }

    [Fact]
    public void Compare_size_md5_and_mtime()
    {
        Assert.Equal(DecisionKind.Skip, new Decider(CompareMode.Size).Decide(Src(etag: "x"), Dst(etag: null)).Kind);
        var md5 = new Decider(CompareMode.Md5);
        Assert.Equal(DecisionKind.Skip, md5.Decide(Src(), Dst(etag: null, md5: Convert.FromHexString(Md5))).Kind);
        Assert.Equal(DecisionKind.Copy, md5.Decide(Src(), Dst(etag: null, md5: new byte[16])).Kind);
        var mtime = new Decider(CompareMode.Mtime);
        Assert.Equal(DecisionKind.Skip, mtime.Decide(Src(t: T), Dst(recorded: T)).Kind);
        Assert.Equal(DecisionKind.Copy, mtime.Decide(Src(t: T.AddMinutes(1)), Dst(recorded: T)).Kind);
    }

    [Fact]
    public void Overwrite_modes()
    {
        Assert.Equal(DecisionKind.Copy, new Decider(overwrite: OverwriteMode.Always).Decide(Src(), Dst()).Kind);
        Assert.Equal(DecisionKind.Skip, new Decider(overwrite: OverwriteMode.Never).Decide(Src(size: 99), Dst()).Kind);
        Assert.Equal(DecisionKind.Copy, new Decider(overwrite: OverwriteMode.Never).Decide(Src(), null).Kind);
        var newer = new Decider(overwrite: OverwriteMode.IfNewer);
        Assert.Equal(DecisionKind.Copy, newer.Decide(Src(t: T.AddDays(1)), Dst(recorded: T)).Kind);
        Assert.Equal(DecisionKind.Skip, newer.Decide(Src(t: T), Dst(recorded: T)).Kind);
        Assert.Equal(DecisionKind.Skip, newer.Decide(Src(t: T), Dst(etag: null, blobTime: T.AddDays(1))).Kind);
    }

    [Fact]
    public void Bad_option_values_are_usage_errors()
    {
        Assert.Equal(ErrorKind.Usage, Assert.Throws<SkybridgeException>(() => Decider.ParseCompare("crc")).Kind);
        Assert.Equal(ErrorKind.Usage, Assert.Throws<SkybridgeException>(() => Decider.ParseOverwrite("sometimes")).Kind);
        Assert.Equal(CompareMode.Mtime, Decider.ParseCompare("MTIME"));
    }
}
