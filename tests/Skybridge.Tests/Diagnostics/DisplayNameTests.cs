using System.Text;
using Skybridge.Cli.Rendering;
using Skybridge.Diagnostics;

namespace Skybridge.Tests.Diagnostics;

public sealed class DisplayNameTests
{
    [Theory]
    [InlineData("plain/key.txt", "plain/key.txt")]
    [InlineData("", "")]
    [InlineData("line\nbreak", "line\\nbreak")]
    [InlineData("cr\rtab\t", "cr\\rtab\\t")]
    [InlineData("bell\a.txt", "bell\\x07.txt")]
    [InlineData("esc\u001b[31mred", "esc\\x1B[31mred")]
    [InlineData("nul\0", "nul\\x00")]
    [InlineData("del\u007f", "del\\x7F")]
    [InlineData("c1\u0085nel\u009b", "c1\\u{0085}nel\\u{009B}")]
    [InlineData("evil\u202Etxt.exe", "evil\\u{202E}txt.exe")] // RIGHT-TO-LEFT OVERRIDE
    [InlineData("iso\u2066late\u2069", "iso\\u{2066}late\\u{2069}")]
    [InlineData("zero\u200Bwidth\uFEFF", "zero\\u{200B}width\\u{FEFF}")]
    [InlineData("line\u2028sep", "line\\u{2028}sep")]
    [InlineData("back\\slash", "back\\\\slash")] // the escape character itself: "\x07" typed in a key stays distinguishable
    [InlineData("typed\\x07", "typed\\\\x07")]
    [InlineData("bad\uFFFDutf8", "bad\\u{FFFD}utf8")] // what an invalid UTF-8 byte in an S3 key decodes to
    public void Escapes_what_would_not_print_as_itself(string raw, string shown) => Assert.Equal(shown, DisplayName.Escape(raw));

    [Theory]
    [InlineData("café/Ünïcödé/日本語/файл.txt")]
    [InlineData("emoji 😀 and spaces")]
    [InlineData("quotes ' \" and % & ~")]
    public void Printable_unicode_stays_as_it_is(string name) => Assert.Same(name, DisplayName.Escape(name));

    [Fact]
    public void Lone_surrogates_are_escaped_and_pairs_are_kept()
    {
        Assert.Equal("hi\\u{D800}x", DisplayName.Escape("hi\uD800x"));
        Assert.Equal("\\u{DC00}", DisplayName.Escape("\uDC00"));
        Assert.Equal("\\u{DBFF}\\u{DBFF}", DisplayName.Escape("\uDBFF\uDBFF"));
        Assert.Equal("😀", DisplayName.Escape("\uD83D\uDE00"));
        Assert.Equal("tag\\u{E0041}", DisplayName.Escape("tag" + char.ConvertFromUtf32(0xE0041))); // TAG LATIN CAPITAL LETTER A: format, invisible
    }

    [Fact]
    public void Invalid_utf8_from_a_key_decodes_to_something_escaped_never_raw_bytes()
    {
        var decoded = Encoding.UTF8.GetString([(byte)'k', 0xC3, 0x28, 0xFF, (byte)'!']);
        var shown = DisplayName.Escape(decoded);
        Assert.Equal("k\\u{FFFD}(\\u{FFFD}!", shown);
    }

    [Fact]
    public void Escaped_output_has_no_control_or_format_characters_for_any_input()
    {
        var random = new Random(16);
        for (int n = 0; n < 2000; n++)
        {
            var chars = new char[random.Next(0, 40)];
            for (int i = 0; i < chars.Length; i++) chars[i] = (char)random.Next(0, 0x10000);
            var shown = DisplayName.Escape(new string(chars));
            for (int i = 0; i < shown.Length; i++)
            {
                Assert.False(char.IsControl(shown[i]), $"control U+{(int)shown[i]:X4} in {shown}");
                if (char.IsHighSurrogate(shown[i])) { Assert.True(i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1])); i++; continue; }
                Assert.False(char.IsSurrogate(shown[i]));
                Assert.NotEqual(System.Globalization.UnicodeCategory.Format, char.GetUnicodeCategory(shown[i]));
            }
        }
    }

    [Fact]
    public void The_line_writer_keeps_its_own_line_breaks_only()
    {
        var sink = new StringWriter { NewLine = "\n" };
        var w = new EscapedLineWriter(sink);
        w.WriteLine("failed    a\nerror: forged: x");
        w.WriteLine("next");
        Assert.Equal("failed    a\\nerror: forged: x\nnext\n", sink.ToString());
    }
}
