using System.Text;

namespace Skybridge.Blob;

/// <summary>What to do with a key that is not a safe blob name.</summary>
public enum NamePolicy { Skip, Fail, Encode }

/// <summary>The outcome of mapping one key: a blob name, or why there is none.</summary>
public sealed record NameMapping(string? BlobName, string? Problem, bool Renamed)
{
    public bool Accepted => BlobName is not null;
}

/// <summary>
/// Decides whether an S3 key can be a blob name as-is. Azure accepts almost any string but some
/// are lossy or dangerous: a trailing '.' or '/' is trimmed by the service or tools, '\' is turned
/// into '/', empty and "."/".." segments break hierarchical (ADLS Gen2) views and path-based tools,
/// control characters break headers and listings, and names are limited to 1,024 characters and
/// 254 segments. "encode" makes such names safe and reversible: '%' and each offending character
/// become %XX escapes, an empty segment becomes "%EMPTY%" (never the output of an escape), and the
/// original key is recorded in the blob's metadata.
/// </summary>
public static class BlobNamePolicy
{
    public const int MaxNameLength = 1024;
    public const int MaxSegments = 254;
    public const string EmptySegment = "%EMPTY%";

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

    /// <summary>Maps a key (relative to the source prefix) to a blob name under <paramref name="destinationPrefix"/>.</summary>
    public static NameMapping Map(string relativeKey, string destinationPrefix, NamePolicy policy)
    {
        var name = destinationPrefix + relativeKey;
        var problem = Problem(name);
        if (problem is null) return new NameMapping(name, null, Renamed: false);
        if (policy != NamePolicy.Encode) return new NameMapping(null, problem, Renamed: false);
        var encoded = destinationPrefix + Encode(relativeKey);
        var left = Problem(encoded);
        return left is null
            ? new NameMapping(encoded, problem, Renamed: true)
            : new NameMapping(null, problem + " (cannot be encoded: " + left + ")", Renamed: false);
    }

    /// <summary>Injective escape of the unsafe parts of a key (see the type's remarks).</summary>
    public static string Encode(string key)
    {
        var segments = key.Split('/');
        var sb = new StringBuilder(key.Length + 16);
        for (int s = 0; s < segments.Length; s++)
        {
            if (s > 0) sb.Append('/');
            var seg = segments[s];
            if (seg.Length == 0) { sb.Append(EmptySegment); continue; }
            for (int i = 0; i < seg.Length; i++)
            {
                var c = seg[i];
                bool last = i == seg.Length - 1;
                if (c == '%' || c == '\\' || char.IsControl(c) || (c == '.' && last))
                    sb.Append('%').Append(((int)c).ToString("X2"));
                else
                    sb.Append(c);
            }
        }
        return sb.ToString();
    }

    public static NamePolicy Parse(string? value) => (value ?? "skip").ToLowerInvariant() switch
    {
        "skip" => NamePolicy.Skip,
        "fail" => NamePolicy.Fail,
        "encode" => NamePolicy.Encode,
        _ => throw SkybridgeException.Usage($"--name-policy '{value}' is not valid.", "Use skip, fail or encode."),
    };
}
