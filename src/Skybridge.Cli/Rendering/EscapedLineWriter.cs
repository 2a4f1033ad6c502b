using System.Text;
using Skybridge.Diagnostics;

namespace Skybridge.Cli.Rendering;

/// <summary>
/// A human-readable text output whose lines quote names from the source (`jobs show`, `jobs list`):
/// each line written is passed through <see cref="DisplayName.Escape"/>, so the only line breaks are
/// the writer's own. Not for JSON (names stay exact there).
/// </summary>
internal sealed class EscapedLineWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;
    public override void Write(char value) => inner.Write(DisplayName.Escape(value.ToString()));
    public override void Write(string? value) => inner.Write(DisplayName.Escape(value));
    public override void WriteLine(string? value) => inner.WriteLine(DisplayName.Escape(value));
    public override void WriteLine() => inner.WriteLine();
    public override void Flush() => inner.Flush();
}
