using System.Globalization;
using System.Text;
using Skybridge.Transfer;

namespace Skybridge.Providers.AzureBlob;

/// <summary>
/// Builds a blob's metadata: the source's user metadata with keys made valid for Azure (C#
/// identifier rules, case-insensitive), reversibly, plus provenance entries that let a later run
/// skip unchanged objects and let verify prove equality without any local state.
/// </summary>
public static class MetadataMapper
{
    /// <summary>"azureKey=originalKey&amp;…" (URL-escaped) for every user key that had to change.</summary>
    public const string OriginalNamesKey = "skybridge_metadata_names";
    /// <summary>Comma list of user keys whose values were URL-escaped because they were not printable ASCII.</summary>
    public const string EscapedValuesKey = "skybridge_escaped_values";

    public static Dictionary<string, string> Build(string bucket, SourceObject source, SourceProperties props, string? versionId)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var renamed = new List<KeyValuePair<string, string>>();
        var escaped = new List<string>();
        foreach (var (original, value) in props.UserMetadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var key = ToIdentifier(original);
            // Our own entries win: a user key that looks like ours is moved out of the way.
            if (key.StartsWith(ProvenanceKeys.Prefix, StringComparison.OrdinalIgnoreCase)) key = "user_" + key;
            var unique = key;
            for (int n = 2; result.ContainsKey(unique); n++) unique = $"{key}_{n}";
            if (!string.Equals(unique, original, StringComparison.Ordinal)) renamed.Add(new(unique, original));
            if (IsHeaderSafe(value)) result[unique] = value;
            else { result[unique] = Uri.EscapeDataString(value); escaped.Add(unique); }
        }
        result[ProvenanceKeys.SourceBucket] = bucket;
        result[ProvenanceKeys.SourceKey] = Uri.EscapeDataString(source.Key);
        if (!string.IsNullOrEmpty(versionId) && versionId != "null") result[ProvenanceKeys.SourceVersion] = versionId;
        result[ProvenanceKeys.SourceEtag] = CompositeEtag.Normalize(source.ETag);
        result[ProvenanceKeys.SourceSize] = source.Size.ToString(CultureInfo.InvariantCulture);
        result[ProvenanceKeys.SourceLastModified] = source.LastModified.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        if (renamed.Count > 0)
            result[OriginalNamesKey] = string.Join("&", renamed.Select(r => Uri.EscapeDataString(r.Key) + "=" + Uri.EscapeDataString(r.Value)));
        if (escaped.Count > 0) result[EscapedValuesKey] = string.Join(",", escaped);
        return result;
    }

    /// <summary>Recovers the source's user metadata (original keys and values) from a blob's metadata.</summary>
    public static Dictionary<string, string> RestoreUserMetadata(IReadOnlyDictionary<string, string> blobMetadata)
    {
        var meta = new Dictionary<string, string>(blobMetadata, StringComparer.OrdinalIgnoreCase);
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (meta.TryGetValue(OriginalNamesKey, out var list))
            foreach (var pair in list.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                if (eq > 0) names[Uri.UnescapeDataString(pair[..eq])] = Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        var escaped = meta.TryGetValue(EscapedValuesKey, out var e) ? e.Split(',').ToHashSet(StringComparer.OrdinalIgnoreCase) : [];
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in meta)
        {
            if (k.StartsWith(ProvenanceKeys.Prefix, StringComparison.OrdinalIgnoreCase)) continue;
            result[names.GetValueOrDefault(k, k)] = escaped.Contains(k) ? Uri.UnescapeDataString(v) : v;
        }
        return result;
    }

    /// <summary>A valid C# identifier (letters, digits, '_'; not starting with a digit): other characters become '_'.</summary>
    public static string ToIdentifier(string key)
    {
        if (key.Length == 0) return "_";
        var sb = new StringBuilder(key.Length + 1);
        foreach (var c in key) sb.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' ? c : '_');
        if (char.IsAsciiDigit(sb[0])) sb.Insert(0, '_');
        return sb.ToString();
    }

    private static bool IsHeaderSafe(string value) => value.All(c => c is >= ' ' and <= '~') && value.Trim() == value;
}

/// <summary>
/// S3 tags become blob index tags when Azure accepts them: at most 10, key 1..128 and value
/// 0..256 characters from [A-Za-z0-9 +-./:=_]. Others are dropped and reported, never altered
/// (a changed tag would silently mislead tag queries).
/// </summary>
public static class TagMapper
{
    public const int MaxTags = 10;

    public static (Dictionary<string, string> Tags, List<string> Dropped) Map(IReadOnlyDictionary<string, string> s3Tags)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var dropped = new List<string>();
        foreach (var (k, v) in s3Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (k.Length is < 1 or > 128 || v.Length > 256 || !k.All(Allowed) || !v.All(Allowed) || tags.Count >= MaxTags)
                dropped.Add(k);
            else
                tags[k] = v;
        }
        return (tags, dropped);
    }

    private static bool Allowed(char c) => char.IsAsciiLetterOrDigit(c) || c is ' ' or '+' or '-' or '.' or '/' or ':' or '=' or '_';
}
