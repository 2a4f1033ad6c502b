namespace Skybridge.Transfer.Planning;

/// <summary>
/// A slice of a source's key space: keys after <see cref="After"/> (exclusive, like S3's StartAfter
/// and the journal's watermark) up to and including <see cref="Through"/>, in UTF-8 binary order;
/// null is open. Consecutive ranges (null, k1], (k1, k2], (k2, null) tile the key space with no
/// key in two of them, so planners of different ranges never plan the same object.
/// </summary>
/// <param name="After">Keys must sort after this one; null: from the start.</param>
/// <param name="Through">Keys must not sort after this one; null: to the end.</param>
public sealed record KeyRange(string? After, string? Through)
{
    /// <summary>The whole key space.</summary>
    public static KeyRange All { get; } = new(null, null);

    /// <summary>Whether <paramref name="key"/> is after <see cref="After"/> and not after <see cref="Through"/> (UTF-8 binary order).</summary>
    public bool Contains(string key)
        => (After is null || Utf8Ordinal.Instance.Compare(key, After) > 0) && (Through is null || Utf8Ordinal.Instance.Compare(key, Through) <= 0);

    /// <summary>Where listing starts: after the range's start or after <paramref name="watermark"/>, whichever is later.</summary>
    public string? StartAfter(string? watermark)
        => watermark is null ? After : After is null || Utf8Ordinal.Instance.Compare(watermark, After) > 0 ? watermark : After;

    /// <summary>The range in interval notation, e.g. "(a, m]" or "(start, end]".</summary>
    public override string ToString() => $"({After ?? "start"}, {Through ?? "end"}]";
}
