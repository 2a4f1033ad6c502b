using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Skybridge.Diagnostics;

namespace Skybridge.Setup.Doctor;

/// <summary>Renders a <see cref="DoctorReport"/>: a checklist for people, JSON for machines. Separate from the checks.</summary>
internal static class DoctorRenderer
{
    /// <summary>One checklist line (plus an indented "fix:" line when the check failed or warned).</summary>
    public static string Line(DoctorCheckResult r, int number)
    {
        var mark = r.Status switch
        {
            DoctorStatus.Passed => "[pass]",
            DoctorStatus.Warning => "[warn]",
            DoctorStatus.Failed => "[FAIL]",
            _ => "[skip]",
        };
        // Details quote keys and names from the source: escaped (the JSON form keeps them exact).
        var sb = new StringBuilder($"{mark} {number,2}. {DisplayName.Escape(r.Title)}: {DisplayName.Escape(r.Detail)}");
        if (r.Fix is not null && r.Status is DoctorStatus.Failed or DoctorStatus.Warning)
            sb.Append("\n           fix: ").Append(DisplayName.Escape(r.Fix));
        return sb.ToString();
    }

    public static string Summary(DoctorReport report)
        => $"{report.Count(DoctorStatus.Passed)} passed, {report.Count(DoctorStatus.Warning)} warning(s), {report.Count(DoctorStatus.Failed)} failed, " +
           $"{report.Count(DoctorStatus.Skipped)} skipped: {(report.Passed ? "all checks that ran passed" : "fix the first failure; the skipped checks depend on it")}.";

    public static string Text(DoctorReport report)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < report.Checks.Count; i++) sb.AppendLine(Line(report.Checks[i], i + 1));
        sb.AppendLine(Summary(report));
        return sb.ToString();
    }

    /// <summary>{"checks":[{"name","title","status","detail","fix","elapsedMs"}],"passed":bool}</summary>
    public static string Json(DoctorReport report)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("checks");
            foreach (var c in report.Checks)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("title", c.Title);
                w.WriteString("status", c.Status.ToString().ToLowerInvariant());
                w.WriteString("detail", c.Detail);
                if (c.Fix is null) w.WriteNull("fix"); else w.WriteString("fix", c.Fix);
                w.WriteNumber("elapsedMs", (long)c.Elapsed.TotalMilliseconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteBoolean("passed", report.Passed);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
