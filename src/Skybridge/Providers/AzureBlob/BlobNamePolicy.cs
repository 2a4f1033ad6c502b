using System.Text;
using Skybridge.Transfer;

namespace Skybridge.Providers.AzureBlob;

/// <summary>
/// Decides whether an S3 key can be a blob name as-is. Azure accepts almost any string but some
/// are lossy or dangerous: a trailing '.' or '/' is trimmed by the service or tools, '\' is turned
/// into '/', empty and "."/".." segments break hierarchical (ADLS Gen2) views and path-based tools,
/// control characters break headers and listings, and names are limited to 1,024 characters and
/// 254 segments.
/// <para>
/// "encode" maps EVERY key (not only the unsafe ones) with one reversible rule, so the mapping is
/// injective over all keys: percent-encoding (UTF-8, as in URLs) of exactly these characters:
/// '\' and control characters (C0, DEL, C1); a '.' that ends a segment; a '/' that would make an
/// empty segment (first, last, or after another '/'); and a '%' that is followed by two hex digits
/// (it would read as an escape). Every other character, including a '%' that cannot be read as an
/// escape, stays. A key with nothing to encode keeps its name, so "encode" changes only the keys it
/// must. <see cref="Decode"/> (standard percent-decoding) gives the key back: "dot." is "dot%2E", and
/// the valid key "dot%2E" is "dot%252E". The original key is also recorded in the blob's metadata.
/// </para>
/// </summary>
public static class BlobNamePolicy
{
    public const int MaxNameLength = 1024;
    public const int MaxSegments = 254;

    /// <summary>Why <paramref name="name"/> is not a safe blob name, or null when it is.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0) return "empty name";
        if (name.Length > MaxNameLength) return $"name longer than {MaxNameLength} characters";
        foreach (var c in name)
        {
            if (char.IsControl(c)) return "control character in name";
            if (c == '\\') return "backslash in name";
        }
        if (name.EndsWith('/')) return "name ends with '/'";
        if (name.EndsWith('.')) return "name ends with '.'";
        var segments = name.Split('/');
        if (segments.Length > MaxSegments) return $"more than {MaxSegments} path segments";
        foreach (var s in segments)
        {
            if (s.Length == 0) return "empty path segment ('//' or leading '/')";
            if (s is "." or "..") return $"'{s}' path segment";
            if (s.EndsWith('.')) return "path segment ends with '.'";
        }
        return null;
    }

    /// <summary>Why a valid key is still renamed by "encode".</summary>
    public const string EscapeLookalike = "'%' followed by two hex digits is encoded as %25 (reversible names)";

    /// <summary>Maps a key (relative to the source prefix) to a blob name under <paramref name="destinationPrefix"/>.</summary>
    public static NameMapping Map(string relativeKey, string destinationPrefix, NamePolicy policy)
    {
        var name = destinationPrefix + relativeKey;
        var problem = Problem(name);
        if (policy != NamePolicy.Encode)
            return problem is null ? new NameMapping(name, null, Renamed: false) : new NameMapping(null, problem, Renamed: false);
        var encoded = destinationPrefix + Encode(relativeKey);
        if (encoded == name && problem is null) return new NameMapping(name, null, Renamed: false);
        problem ??= EscapeLookalike;
        var left = Problem(encoded);
        return left is null
            ? new NameMapping(encoded, problem, Renamed: true)
            : new NameMapping(null, problem + " (cannot be encoded: " + left + ")", Renamed: false);
    }

    /// <summary>The reversible encoding of a key (see the type's remarks); <see cref="Decode"/> undoes it.</summary>
    public static string Encode(string key)
    {
        StringBuilder? sb = null;
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < key.Length; i++)
        {
            var c = key[i];
            bool escape = c switch
            {
                '\\' => true,
                '/' => i == 0 || i == key.Length - 1 || key[i - 1] == '/',
                '.' => i == key.Length - 1 || key[i + 1] == '/',
                '%' => i + 2 < key.Length && char.IsAsciiHexDigit(key[i + 1]) && char.IsAsciiHexDigit(key[i + 2]),
                _ => char.IsControl(c),
            };
            if (!escape) { sb?.Append(c); continue; }
            sb ??= new StringBuilder(key.Length + 16).Append(key, 0, i);
            var n = Encoding.UTF8.GetBytes([c], utf8);
            foreach (var b in utf8[..n]) sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb?.ToString() ?? key;
    }

    /// <summary>The key a name made by <see cref="Encode"/> stands for (percent-decoding; other text is left as is).</summary>
    public static string Decode(string name) => Uri.UnescapeDataString(name);

    /// <summary>
    /// Why a destination-only blob is an extra, with the key its name stands for under "encode"
    /// (the key no source object has), so reports of verify, plan and sync --delete show keys.
    /// </summary>
    public static string NotInSource(string relativeName, NamePolicy policy)
        => policy == NamePolicy.Encode && Decode(relativeName) is var key && key != relativeName
            ? $"not in source (its name decodes to key '{key}')"
            : "not in source";

    public static NamePolicy Parse(string? value) => (value ?? "skip").ToLowerInvariant() switch
    {
        "skip" => NamePolicy.Skip,
        "fail" => NamePolicy.Fail,
        "encode" => NamePolicy.Encode,
        _ => throw SkybridgeException.Usage($"--name-policy '{value}' is not valid.", "Use skip, fail or encode."),
    };
}
