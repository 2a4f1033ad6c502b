using System.Globalization;
using System.Text;

namespace Skybridge.Diagnostics;

/// <summary>
/// Makes text from the source (object keys, and the messages that quote them) safe to print on a
/// terminal or in a log line: a key with a newline would split an "error:" line in two, a BEL or ESC
/// would reach the terminal as is, a bidi override (U+202E) would show a name reversed. Printable
/// Unicode stays as it is; everything else becomes an escape that cannot be mistaken for it:
/// <c>\\</c> for the backslash itself, <c>\n \r \t</c>, <c>\xNN</c> for other C0 controls and DEL,
/// <c>\u{XXXX}</c> for C1 controls, format characters (bidi controls, zero-width characters, BOM),
/// line/paragraph separators, lone surrogates and U+FFFD (what invalid UTF-8 in a key decodes to).
/// Used for every human-readable output; JSON output and the report keep names exact.
/// </summary>
public static class DisplayName
{
    /// <paramref name="text"/> with every character that is not safely printable escaped as described above; null becomes "". Returns the same string (no allocation) when nothing needs escaping.
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var i = 0;
        while (i < text.Length && !NeedsEscape(text, i)) i++;
        if (i == text.Length) return text; // the usual case: nothing to do, no allocation

        var sb = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var cp = char.ConvertToUtf32(c, text[i + 1]);
                if (Hidden(cp)) sb.Append("\\u{").Append(cp.ToString("X", CultureInfo.InvariantCulture)).Append('}');
                else sb.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ' or '\x7f': sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture)); break;
                default:
                    if (char.IsSurrogate(c) || Hidden(c)) sb.Append("\\u{").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append('}');
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(string text, int i)
    {
        var c = text[i];
        if (c is '\\' or < ' ' or '\x7f') return true;
        if (c < '\x80') return false;
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            return Hidden(char.ConvertToUtf32(c, text[i + 1]));
        if (char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1])) return false; // second half of a pair
        return char.IsSurrogate(c) || Hidden(c);
    }

    /// <summary>Code points that print as nothing, move or reorder text, or stand for bytes that were lost.</summary>
    private static bool Hidden(int codePoint)
        => codePoint == 0xFFFD || CharUnicodeInfo.GetUnicodeCategory(codePoint) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate;
}
