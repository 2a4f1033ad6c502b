using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

/// <summary>
/// The --output json summary is written by a source-generated serializer (issue 14: no reflection
/// metadata JIT-compiled per run); scripts parse it, so it must stay byte for byte what the
/// reflection serializer wrote for the anonymous object it replaced.
/// </summary>
public class RunSummaryJsonTests
{
    [Fact]
    public async Task Summary_is_byte_for_byte_the_reflection_serializers_output()
    {
        var src = new FakeSource();
        src.Put("a.txt", Encoding.UTF8.GetBytes("hello"));
        src.Put("dir/sub/big.bin", new byte[5500]);
        src.Put("dir/", []);                                   // skipped: a directory marker
        src.Put("\u00e9t\u00e9/<b>+&.txt", Encoding.UTF8.GetBytes("escaped names")); // non-ASCII and HTML-sensitive characters
        var options = new TransferOptions { Copy = new CopySettings { BlockSize = 1000, BlocksPerObject = 4 }, Concurrency = 4 };
        var engine = new TransferEngine(src, new FakeDestination(), options, new TransferStats(), new ListReport());
        var result = await engine.RunAsync(RunMode.Copy, CancellationToken.None);
        Assert.Equal(3, result.Stats.Copied);
        Assert.NotEmpty(result.Stats.Proofs);
        Assert.NotEmpty(result.Stats.SkipReasons);

        foreach (var r in new[] { result, result with { DeleteRefused = "more than --max-delete \"5\" <would go>" }, result with { Mode = RunMode.Plan } })
        {
            var json = r.ToJson();
            Assert.Equal(Clockless(Reflection(r)), Clockless(json));
            var root = JsonDocument.Parse(json).RootElement;
            Assert.Equal(r.ExitCode, root.GetProperty("exit_code").GetInt32());
            Assert.Equal(JsonValueKind.Number, root.GetProperty("elapsed_seconds").ValueKind);
            Assert.Equal(JsonValueKind.Number, root.GetProperty("bytes_per_second").ValueKind);
        }
    }

    /// <summary>The two figures read off the run's running clock differ between two calls: blanked (only them).</summary>
    private static string Clockless(string json)
        => Regex.Replace(json, "\"(elapsed_seconds|bytes_per_second)\": [-+.0-9Ee]+", "\"$1\": 0");

    /// <summary>The summary as the CLI wrote it before: an anonymous object through the reflection serializer.</summary>
    private static string Reflection(RunResult r) => JsonSerializer.Serialize(new
    {
        mode = r.Mode.ToString().ToLowerInvariant(),
        source = r.Source,
        destination = r.Destination,
        exit_code = r.ExitCode,
        elapsed_seconds = Math.Round(r.Stats.Elapsed.TotalSeconds, 3),
        listed = r.Stats.Listed,
        copied = r.Mode == RunMode.Plan ? 0 : r.Stats.Copied,
        to_copy = r.Stats.ToCopy,
        bytes_to_copy = r.Stats.BytesToCopy,
        bytes_copied = r.Stats.BytesCopied,
        service_side = r.Stats.ServiceSide,
        streamed = r.Stats.Streamed,
        stream_reasons = r.Stats.StreamReasons,
        bytes_read_by_host = r.Stats.BytesTransferred,
        bytes_service_side = r.Stats.BytesServiceSide,
        represigned_urls = r.Stats.Represigned,
        bytes_per_second = Math.Round(r.Stats.Rate),
        skipped = r.Stats.Skipped,
        renamed = r.Stats.Renamed,
        unverified = r.Stats.Unverified,
        proofs = r.Stats.Proofs,
        failed = r.Stats.Failed,
        to_delete = r.Stats.ToDelete,
        deleted = r.Stats.Deleted,
        delete_refused = r.DeleteRefused,
        matched = r.Stats.Matched,
        missing = r.Stats.Missing,
        extra = r.Stats.Extra,
        mismatched = r.Stats.Mismatched,
        skip_reasons = r.Stats.SkipReasons,
        fail_reasons = r.Stats.FailReasons,
        errors = r.Stats.Errors,
        peak_buffer_bytes = r.PeakBufferBytes,
    }, new JsonSerializerOptions { WriteIndented = true });
}
