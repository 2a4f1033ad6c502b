
namespace Skybridge.Transfer.Planning;

/// <summary>
/// The source keys that "encode" renamed in this run. A destination blob that records one of them
/// (skybridge_source_key, same bucket) under another name was written by an older mapping (before
/// issue 16: "a/%EMPTY%/b" for "a//b", or "dot%2E" for the valid key "dot%2E"): it belongs to a key
/// that is in the source, so sync --delete and verify do not count it as an extra. Only renamed
/// keys can have such a blob, so the set stays as small as the set of renamed names.
/// </summary>
public sealed class RenamedSourceKeys
{
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

    public void Add(string sourceKey) => _keys.Add(sourceKey);

    public bool RecordedBy(DestinationBlob blob, string sourceBucket)
        => _keys.Count > 0 && blob.RecordedSourceKey is { } key && _keys.Contains(key) && blob.RecordedSourceBucket == sourceBucket;
}
