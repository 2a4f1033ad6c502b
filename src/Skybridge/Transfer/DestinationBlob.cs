namespace Skybridge.Transfer;

/// <summary>One blob as the destination listing reports it (with metadata, so no extra call is needed to decide).</summary>
public sealed record DestinationBlob(
    string Name,
    long Size,
    byte[]? ContentMd5,
    DateTimeOffset LastModified,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The source ETag recorded by the run that wrote this blob, or null if Skybridge did not write it.</summary>
    public string? RecordedSourceETag => Get(ProvenanceKeys.SourceEtag);

    /// <summary>The source's last-modified time recorded at copy time.</summary>
    public DateTimeOffset? RecordedSourceLastModified
        => DateTimeOffset.TryParse(Get(ProvenanceKeys.SourceLastModified), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>The source key recorded at copy time (unescaped), or null.</summary>
    public string? RecordedSourceKey => Get(ProvenanceKeys.SourceKey) is { } k ? Uri.UnescapeDataString(k) : null;

    /// <summary>The source bucket the blob was copied from, as recorded in its metadata; null when not recorded.</summary>
    public string? RecordedSourceBucket => Get(ProvenanceKeys.SourceBucket);

    /// <summary>True when the blob records that Skybridge wrote it service-side (Azure fetched the bytes).</summary>
    public bool WroteServiceSide => Get(ProvenanceKeys.CopyMode) == ServiceSide.TransferModes.Service;

    /// <summary>The proof recorded by a copy that left no Content-MD5 (<see cref="ProvenanceKeys.Proof"/>), or null.</summary>
    public string? RecordedProof => Get(ProvenanceKeys.Proof);

    private string? Get(string key)
    {
        foreach (var (k, v) in Metadata)
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase)) return v;
        return null;
    }
}
