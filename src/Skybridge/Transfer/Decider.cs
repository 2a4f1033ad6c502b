using Skybridge.Transfer.Planning;

namespace Skybridge.Transfer;

/// <summary>How "unchanged" is decided when the destination already has the blob.</summary>
public enum CompareMode
{
    /// <summary>Same size and the source ETag recorded in the blob's metadata (default; no data read).</summary>
    Etag,
    /// <summary>Same size is enough (cheapest, weakest).</summary>
    Size,
    /// <summary>Source MD5 (plain ETag) against the blob's Content-MD5; multipart sources fall back to the recorded ETag.</summary>
    Md5,
    /// <summary>Same size and the source not modified after the copy recorded in metadata (or the blob's time).</summary>
    Mtime,
}

/// <summary>When an existing blob may be replaced.</summary>
public enum OverwriteMode
{
    /// <summary>Replace it when <see cref="CompareMode"/> says it changed (default).</summary>
    IfChanged,
    /// <summary>Always replace it.</summary>
    Always,
    /// <summary>Never replace it: an existing blob is skipped.</summary>
    Never,
    /// <summary>Replace it when the source was modified after the blob (or the copy it records).</summary>
    IfNewer,
}

/// <summary>What a <see cref="Decision"/> does with an object.</summary>
public enum DecisionKind
{
    /// <summary>Copy it to the destination.</summary>
    Copy,
    /// <summary>Leave the destination as it is.</summary>
    Skip,
    /// <summary>Delete the destination blob (sync: its source is gone).</summary>
    Delete,
}

/// <summary>A decision and why (<see cref="Reason"/> is the wording shown in plan, summary and report).</summary>
/// <param name="Kind">What to do with the object.</param>
/// <param name="Why">Why, as a closed set (summaries group by it).</param>
public readonly record struct Decision(DecisionKind Kind, ItemReason Why)
{
    /// <summary>The user-facing wording of <see cref="Why"/>.</summary>
    public string Reason => ReasonText.Render(Why);
    /// <summary>A copy, because of <paramref name="why"/>.</summary>
    public static Decision Copy(ItemReason why) => new(DecisionKind.Copy, why);
    /// <summary>A skip, because of <paramref name="why"/>.</summary>
    public static Decision Skip(ItemReason why) => new(DecisionKind.Skip, why);
}

/// <summary>The --compare / --overwrite rules: source object + existing blob (or none) -> copy or skip, with why.</summary>
public sealed class Decider(CompareMode compare = CompareMode.Etag, OverwriteMode overwrite = OverwriteMode.IfChanged)
{
    /// <summary>How an existing blob is judged unchanged (--compare).</summary>
    public CompareMode Compare { get; } = compare;
    /// <summary>When an existing blob may be replaced (--overwrite).</summary>
    public OverwriteMode Overwrite { get; } = overwrite;

    /// <summary>Copy or skip <paramref name="source"/>, given the blob of its name (<paramref name="existing"/>, null when there is none). Pure: reads nothing.</summary>
    public Decision Decide(SourceObject source, DestinationBlob? existing)
    {
        if (existing is null) return Decision.Copy(ItemReason.New);
        switch (Overwrite)
        {
            case OverwriteMode.Always: return Decision.Copy(ItemReason.OverwriteAlways);
            case OverwriteMode.Never: return Decision.Skip(ItemReason.ExistsOverwriteNever);
            case OverwriteMode.IfNewer:
                var destinationTime = existing.RecordedSourceLastModified ?? existing.LastModified;
                return source.LastModified > destinationTime
                    ? Decision.Copy(ItemReason.SourceNewer)
                    : Decision.Skip(ItemReason.DestinationNotOlder);
        }
        return Unchanged(source, existing) is { } why ? Decision.Skip(why) : Decision.Copy(ChangedReason(source, existing));
    }

    /// <summary>Why the blob counts as unchanged, or null when it must be copied.</summary>
    private ItemReason? Unchanged(SourceObject s, DestinationBlob d)
    {
        if (s.Size != d.Size) return null;
        switch (Compare)
        {
            case CompareMode.Size:
                return ItemReason.SameSize;
            case CompareMode.Md5 when s.ETagIsMd5 && d.ContentMd5 is { } md5:
                return md5.AsSpan().SequenceEqual(CompositeEtag.Md5FromEtag(s.ETag)) ? ItemReason.SameMd5 : null;
            case CompareMode.Mtime:
                var copiedAt = d.RecordedSourceLastModified ?? d.LastModified;
                return s.LastModified <= copiedAt ? ItemReason.NotModifiedSince : null;
            default:
                return d.RecordedSourceETag is { } e && e == CompositeEtag.Normalize(s.ETag) ? ItemReason.Unchanged : null;
        }
    }

    private ItemReason ChangedReason(SourceObject s, DestinationBlob d)
    {
        if (s.Size != d.Size) return ItemReason.SizeDiffers;
        return Compare switch
        {
            CompareMode.Md5 when s.ETagIsMd5 && d.ContentMd5 is not null => ItemReason.Md5Differs,
            CompareMode.Mtime => ItemReason.SourceModified,
            _ when d.RecordedSourceETag is null => ItemReason.NoRecordedEtag,
            _ => ItemReason.EtagDiffers,
        };
    }

    /// <summary>Parses --compare (etag, size, md5, mtime; null: etag); anything else is a usage error.</summary>
    public static CompareMode ParseCompare(string? value) => (value ?? "etag").ToLowerInvariant() switch
    {
        "etag" => CompareMode.Etag,
        "size" => CompareMode.Size,
        "md5" => CompareMode.Md5,
        "mtime" => CompareMode.Mtime,
        _ => throw SkybridgeException.Usage($"--compare '{value}' is not valid.", "Use size, etag, md5 or mtime."),
    };

    /// <summary>Parses --overwrite (if-changed, always, never, if-newer; null: if-changed); anything else is a usage error.</summary>
    public static OverwriteMode ParseOverwrite(string? value) => (value ?? "if-changed").ToLowerInvariant() switch
    {
        "if-changed" => OverwriteMode.IfChanged,
        "always" => OverwriteMode.Always,
        "never" => OverwriteMode.Never,
        "if-newer" => OverwriteMode.IfNewer,
        _ => throw SkybridgeException.Usage($"--overwrite '{value}' is not valid.", "Use always, never, if-changed or if-newer."),
    };
}
