using System.Text;
using System.Text.RegularExpressions;

namespace Skybridge.Transfer;

/// <summary>
/// One predicate for "is this object part of the run" (rclone's filter): include/exclude globs
/// on the name relative to the prefix, a modified-time window and a size window. Name rules apply
/// to both sides (so a sync never deletes what the filter hides); time and size only to the source.
/// Globs: '*' any run of characters except '/', '**' anything, '?' one character except '/',
/// '[abc]' a class; a pattern without '/' matches the last segment (like rclone/gitignore).
/// </summary>
public sealed class Filter
{
    private readonly Regex[] _include;
    private readonly Regex[] _exclude;

    /// <summary>A filter; every argument null (or empty) leaves that rule out.</summary>
    /// <param name="include">Globs a name must match one of (--include); empty: every name.</param>
    /// <param name="exclude">Globs that remove a name (--exclude); they win over includes.</param>
    /// <param name="modifiedAfter">Only source objects modified at or after this instant.</param>
    /// <param name="modifiedBefore">Only source objects modified before this instant.</param>
    /// <param name="minSize">Only source objects of at least this many bytes.</param>
    /// <param name="maxSize">Only source objects of at most this many bytes.</param>
    /// <exception cref="SkybridgeException">Usage error when a window is empty (min above max, after not before before).</exception>
    public Filter(IReadOnlyList<string>? include = null, IReadOnlyList<string>? exclude = null,
        DateTimeOffset? modifiedAfter = null, DateTimeOffset? modifiedBefore = null, long? minSize = null, long? maxSize = null)
    {
        // An empty window would make the run copy nothing and report success: refuse it up front.
        if (minSize is { } min && maxSize is { } max && min > max)
            throw SkybridgeException.Usage($"--min-size ({min} bytes) is larger than --max-size ({max} bytes): no object could match.", "Swap or correct the two sizes.");
        if (modifiedAfter is { } after && modifiedBefore is { } before && after >= before)
            throw SkybridgeException.Usage($"--modified-after ({after:u}) is not earlier than --modified-before ({before:u}): no object could match.", "Swap or correct the two dates.");
        Include = [.. include ?? []];
        Exclude = [.. exclude ?? []];
        _include = Include.Select(GlobToRegex).ToArray();
        _exclude = Exclude.Select(GlobToRegex).ToArray();
        ModifiedAfter = modifiedAfter;
        ModifiedBefore = modifiedBefore;
        MinSize = minSize;
        MaxSize = maxSize;
    }

    /// <summary>Lets every object through.</summary>
    public static Filter None { get; } = new();

    /// <summary>The --include globs as given (what a stored job or another process rebuilds the filter from).</summary>
    public IReadOnlyList<string> Include { get; }
    /// <summary>The --exclude globs as given.</summary>
    public IReadOnlyList<string> Exclude { get; }

    /// <summary>--modified-after; null: no lower bound.</summary>
    public DateTimeOffset? ModifiedAfter { get; }
    /// <summary>--modified-before; null: no upper bound.</summary>
    public DateTimeOffset? ModifiedBefore { get; }
    /// <summary>--min-size in bytes; null: no lower bound.</summary>
    public long? MinSize { get; }
    /// <summary>--max-size in bytes; null: no upper bound.</summary>
    public long? MaxSize { get; }

    /// <summary>Name rules only: excludes win; with includes, a name must match one.</summary>
    public bool IncludesName(string relativeName)
    {
        foreach (var r in _exclude) if (r.IsMatch(relativeName)) return false;
        if (_include.Length == 0) return true;
        foreach (var r in _include) if (r.IsMatch(relativeName)) return true;
        return false;
    }

    /// <summary>Whether a source object (its name relative to the prefix, size in bytes and last-modified time) takes part.</summary>
    public bool Includes(string relativeName, long size, DateTimeOffset lastModified)
    {
        if (!IncludesName(relativeName)) return false;
        if (MinSize is { } min && size < min) return false;
        if (MaxSize is { } max && size > max) return false;
        if (ModifiedAfter is { } after && lastModified < after) return false;
        if (ModifiedBefore is { } before && lastModified >= before) return false;
        return true;
    }

    private const string PatternFix =
        "Use a glob like '*.csv', 'logs/**' or 'data-[0-9].txt' (a class '[...]' must be closed); to match a literal '[' write '[[]', e.g. --include 'a[[]1].txt' for 'a[1].txt'.";

    private static string ClassBody(string members) => Regex.Escape(members).Replace("]", "\\]");

    internal static Regex GlobToRegex(string glob)
    {
        if (string.IsNullOrEmpty(glob))
            throw SkybridgeException.Usage("An empty --include/--exclude pattern is not valid.", PatternFix);
        var anchored = glob.Contains('/');
        var g = glob.TrimStart('/');
        var sb = new StringBuilder(anchored ? "^" : "(^|/)");
        for (int i = 0; i < g.Length; i++)
        {
            var c = g[i];
            switch (c)
            {
                case '*' when i + 1 < g.Length && g[i + 1] == '*':
                    i++;
                    if (i + 1 < g.Length && g[i + 1] == '/') { i++; sb.Append("(.*/)?"); }
                    else sb.Append(".*");
                    break;
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    // "[]" and "[!]" would be empty classes: "]" right after the opening is the class's first member, as in glob(7).
                    var first = i + 1 < g.Length && g[i + 1] == '!' ? i + 2 : i + 1;
                    var end = g.IndexOf(']', Math.Min(first + 1, g.Length));
                    if (end < 0)
                        throw SkybridgeException.Usage($"Pattern '{glob}' has an unclosed '[': '[' starts a character class that needs a closing ']'.", PatternFix);
                    var cls = g[(i + 1)..end];
                    sb.Append('[').Append(cls.StartsWith('!') ? "^" + ClassBody(cls[1..]) : ClassBody(cls)).Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}
