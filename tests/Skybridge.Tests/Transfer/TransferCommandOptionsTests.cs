using System.CommandLine;
using Skybridge.Providers.AzureBlob;
using Skybridge.Cli.Commands;
using Skybridge.Cli.Configuration;
using Skybridge.Cli.Rendering;
using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class TransferCommandOptionsTests
{
    private static (TransferOptions Options, ParseResult Parse) Bind(string commandName, params string[] args)
    {
        var root = new RootCommand();
        foreach (var c in TransferCommands.Create()) root.Subcommands.Add(c);
        var parse = root.Parse([commandName, "s3://bucket/p", "https://a.blob.core.windows.net/c", .. args]);
        Assert.Empty(parse.Errors);
        var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in parse.CommandResult.Command.Options)
            if (option.ValueType == typeof(string) && parse.GetResult(option) is { Implicit: false } r)
                flags[option.Name.TrimStart('-')] = string.Join(",", r.Tokens.Select(t => t.Value));
        var settings = new Settings(flags, new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), null, null);
        var mode = Enum.Parse<RunMode>(commandName, ignoreCase: true);
        return (TransferCommands.Options(settings, parse, mode), parse);
    }

    [Theory]
    [InlineData("100", 100L)]
    [InlineData("1KiB", 1024L)]
    [InlineData("8MiB", 8L << 20)]
    [InlineData("8M", 8L << 20)]
    [InlineData("8mb", 8L << 20)]
    [InlineData("1.5G", 3L << 29)]
    public void Sizes_use_binary_units(string text, long bytes) => Assert.Equal(bytes, TransferCommands.Size(text, "x"));

    [Theory]
    [InlineData("8 parsecs")]
    [InlineData("-1M")]
    [InlineData("M")]
    public void Bad_sizes_are_usage_errors(string text)
        => Assert.Equal(ErrorKind.Usage, Assert.Throws<SkybridgeException>(() => TransferCommands.Size(text, "x")).Kind);

    [Fact]
    public void Dates_without_offset_are_utc()
        => Assert.Equal(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero), TransferCommands.Date("2024-06-01", "d"));

    [Theory]
    [InlineData("https://a.blob.core.windows.net/c", null, false)]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/c", null, true)]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/c", "auto", true)]
    [InlineData("https://a.blob.core.windows.net/c", "MD5", true)]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/c", "none", false)]
    public void Upload_checksum_auto_sends_md5_only_where_tls_does_not_protect_the_bytes(string url, string? value, bool md5)
        => Assert.Equal(md5, UploadChecksum.Resolve(value, new Uri(url)));

    [Theory]
    [InlineData("512")]
    [InlineData("2000MiB")]
    public void Block_sizes_no_buffer_can_hold_or_below_1KiB_are_usage_errors(string size)
    {
        var root = new RootCommand();
        foreach (var c in TransferCommands.Create()) root.Subcommands.Add(c);
        var parse = root.Parse(["copy", "s3://bucket/p", "https://a.blob.core.windows.net/cont", "--block-size", size]);
        var settings = new Settings(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["block-size"] = size },
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), null, null);
        var e = Assert.Throws<SkybridgeException>(() => TransferCommands.Options(settings, parse, RunMode.Copy));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("1024MiB", e.Fix);
    }

    [Fact]
    public void Unknown_upload_checksum_is_a_usage_error()
    {
        var e = Assert.Throws<SkybridgeException>(() => UploadChecksum.Resolve("crc64", new Uri("https://a.blob.core.windows.net/c")));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("crc64", e.Message);
    }

    [Theory]
    [InlineData(new string[0], 1L << 30)]                                    // default: single-PUT objects up to 1 GiB in one streamed Put Blob
    [InlineData(new[] { "--block-size", "1MiB" }, 0L)]                      // an explicit block size asks for blocks
    [InlineData(new[] { "--block-size", "1MiB", "--put-blob-max", "64MiB" }, 64L << 20)]
    [InlineData(new[] { "--put-blob-max", "0" }, 0L)]
    [InlineData(new[] { "--put-blob-max", "5000MiB" }, 5000L << 20)]
    public void Put_blob_max_defaults_to_1GiB_unless_a_block_size_is_given(string[] args, long expected)
        => Assert.Equal(expected, Bind("copy", args).Options.Copy.PutBlobMax);

    [Fact]
    public void Put_blob_max_above_what_one_Put_Blob_takes_is_a_usage_error()
    {
        var e = Assert.Throws<SkybridgeException>(() => Bind("copy", "--put-blob-max", "5001MiB"));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("5000MiB", e.Fix);
    }

    [Fact]
    public void Defaults_match_the_documentation()
    {
        var (o, _) = Bind("copy");
        Assert.Equal(16, o.Concurrency);
        Assert.Equal(8, o.Copy.BlocksPerObject);
        Assert.Null(o.Copy.BlockSize);
        Assert.Equal(128L << 20, o.MaxMemory);
        Assert.False(o.Copy.UploadMd5); // https: TLS protects the hop
        Assert.Equal(NamePolicy.Skip, o.NamePolicy);
        Assert.Equal(CompareMode.Etag, o.Decider.Compare);
        Assert.Equal(OverwriteMode.IfChanged, o.Decider.Overwrite);
        Assert.True(o.Copy.CopyTags);
        Assert.False(o.Delete);
    }

    [Fact]
    public void Flags_reach_the_engine_options()
    {
        var (o, _) = Bind("sync", "--delete", "--max-delete", "5", "--block-size", "1MiB", "--concurrency", "3", "--name-policy", "encode",
            "--compare", "size", "--overwrite", "if-newer", "--include", "*.csv", "--include", "*.json", "--exclude", "tmp/**",
            "--access-tier", "cool", "--no-tags", "--max-bandwidth", "10MiB", "--min-size", "1K");
        Assert.True(o.Delete);
        Assert.Equal(5, o.MaxDelete);
        Assert.Equal(1L << 20, o.Copy.BlockSize);
        Assert.Equal(3, o.Concurrency);
        Assert.Equal(NamePolicy.Encode, o.NamePolicy);
        Assert.Equal(CompareMode.Size, o.Decider.Compare);
        Assert.Equal(OverwriteMode.IfNewer, o.Decider.Overwrite);
        Assert.True(o.Filter.IncludesName("x.json"));
        Assert.False(o.Filter.IncludesName("x.txt"));
        Assert.False(o.Filter.IncludesName("tmp/x.csv"));
        Assert.Equal("Cool", o.Copy.AccessTier);
        Assert.False(o.Copy.CopyTags);
        Assert.Equal(10L << 20, o.MaxBandwidth);
        Assert.Equal(1024, o.Filter.MinSize);
    }

    [Fact]
    public void Verify_takes_deep_and_copy_does_not_take_delete()
    {
        Assert.True(Bind("verify", "--deep").Options.DeepVerify);
        var root = new RootCommand();
        foreach (var c in TransferCommands.Create()) root.Subcommands.Add(c);
        Assert.NotEmpty(root.Parse(["copy", "s3://bucket", "https://a.blob.core.windows.net/c", "--delete"]).Errors);
    }

    [Theory]
    [InlineData("--block-size", "100")]
    [InlineData("--concurrency", "0")]
    [InlineData("--access-tier", "lukewarm")]
    [InlineData("--name-policy", "rename")]
    public void Out_of_range_values_are_usage_errors(string flag, string value)
        => Assert.Equal(ErrorKind.Usage, Assert.Throws<SkybridgeException>(() => Bind("copy", flag, value)).Kind);

    [Fact]
    public void The_plain_progress_line_carries_objects_bytes_rate_and_errors()
    {
        var s = new TransferStats();
        s.OnPlannedCopy(2048);
        s.OnBytes(1024);
        s.OnCopied(1024);
        s.OnFailed("k", "boom");
        s.OnListingDone();
        var line = ProgressDisplay.PlainLine(s, "copy");
        Assert.StartsWith("copy: 2/1 objects", line);
        Assert.Contains("1.0 KiB/2.0 KiB", line);
        Assert.Contains("errors 1", line);
        Assert.Contains("/s", line);
    }
}
