using System.Text.Json;
using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class ReportWriterTests
{
    [Fact]
    public void Jsonl_has_one_object_per_entry_in_snake_case()
    {
        var sw = new StringWriter();
        using (var r = new ReportWriter(sw, csv: false))
        {
            r.Write(new ReportEntry("a/b.txt", null, "abc", 3, "p/a/b.txt", "00ff", Outcome.Copied, "new"));
            r.Write(new ReportEntry("bad\\k", null, "def", 1, null, null, Outcome.Skipped, "invalid blob name: backslash in name"));
        }
        var lines = sw.ToString().Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal("a/b.txt", first.GetProperty("source_key").GetString());
        Assert.Equal("p/a/b.txt", first.GetProperty("blob_name").GetString());
        Assert.Equal("copied", first.GetProperty("outcome").GetString());
        Assert.Equal(3, first.GetProperty("size").GetInt64());
        Assert.Equal("abc", first.GetProperty("etag").GetString());
        Assert.Equal("00ff", first.GetProperty("md5").GetString());
        Assert.Equal("skipped", JsonDocument.Parse(lines[1]).RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public void Csv_quotes_and_neutralises_formulas()
    {
        var sw = new StringWriter();
        using (var r = new ReportWriter(sw, csv: true))
            r.Write(new ReportEntry("a,\"b\"", "v1", "e", 5, "=cmd()", "aa", Outcome.WouldCopy, "new"));
        var lines = sw.ToString().Trim().Split(Environment.NewLine);
        Assert.Equal(string.Join(",", ReportWriter.CsvColumns), lines[0]);
        Assert.Equal("\"a,\"\"b\"\"\",v1,e,5,'=cmd(),aa,would_copy,new,", lines[1]); // empty mode
    }

    [Fact]
    public void Reasons_are_redacted()
    {
        var sw = new StringWriter();
        using (var r = new ReportWriter(sw, csv: false))
            r.Write(new ReportEntry("k", null, null, null, null, null, Outcome.Failed, "GET https://x/c/b?sv=1&sig=SECRETSIGNATURE failed"));
        Assert.DoesNotContain("SECRETSIGNATURE", sw.ToString());
    }
}
