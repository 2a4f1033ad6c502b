using System.Text;

namespace Skybridge.Transfer;

/// <summary>
/// Orders strings the way S3 and Azure list them: by UTF-8 bytes, which is Unicode code point
/// order. <see cref="StringComparer.Ordinal"/> compares UTF-16 code units and disagrees for
/// characters above U+FFFF (surrogates, 0xD800..) versus U+E000..U+FFFF, which would make the
/// merge of the two listings see phantom "missing" and "extra" objects.
/// </summary>
public sealed class Utf8Ordinal : IComparer<string>
{
    /// <summary>The one instance (it has no state).</summary>
    public static readonly Utf8Ordinal Instance = new();

    /// <summary>Compares as the UTF-8 bytes would (S3's listing order); null sorts first.</summary>
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (x[i] == y[j] && !char.IsSurrogate(x[i])) { i++; j++; continue; }
            Rune.DecodeFromUtf16(x.AsSpan(i), out var a, out var na);
            Rune.DecodeFromUtf16(y.AsSpan(j), out var b, out var nb);
            if (a.Value != b.Value) return a.Value.CompareTo(b.Value);
            i += Math.Max(1, na);
            j += Math.Max(1, nb);
        }
        return (x.Length - i).CompareTo(y.Length - j);
    }
}
