namespace Skybridge.Transfer;

/// <summary>
/// Rebuilds a multipart ETag from the bytes as they stream past. With the real part sizes (S3:
/// HEAD ?partNumber=N) the answer is exact. Some S3-compatible servers (Ceph RGW before Squid)
/// ignore partNumber, so the boundaries are inferred: uploaders use one part size for every part
/// but the last, and a handful of sizes cover nearly every tool (AWS CLI/boto3 8 MiB, SDKs 5 or
/// 16 MiB, rclone 5 MiB, s3cmd 15 MiB, ...). Up to <see cref="MaxCandidates"/> layouts are hashed
/// side by side; an MD5 match cannot happen by chance, so a match proves the copy, and no match
/// means "not verified" — never "verified".
/// </summary>
internal sealed class MultipartVerifier
{
    public const int MaxCandidates = 4;
    private const long MiB = 1024 * 1024;

    private static readonly long[] UsualPartSizes =
    [
        8 * MiB, 5 * MiB, 16 * MiB, 15 * MiB, 10 * MiB, 32 * MiB, 64 * MiB, 25 * MiB, 50 * MiB, 100 * MiB,
        128 * MiB, 256 * MiB, 512 * MiB, 1024 * MiB, 2048 * MiB, 4096 * MiB,
    ];

    private readonly List<(long PartSize, CompositeEtag Etag)> _candidates;

    private MultipartVerifier(bool inferred, List<(long, CompositeEtag)> candidates)
    {
        IsInferred = inferred;
        _candidates = candidates;
    }

    /// <summary>True when the part boundaries are guessed rather than reported by the source.</summary>
    public bool IsInferred { get; }

    public IEnumerable<long> CandidatePartSizes => _candidates.Select(c => c.PartSize);

    public static MultipartVerifier Exact(IReadOnlyList<long> partSizes) => new(false, [(partSizes[0], new CompositeEtag(partSizes))]);

    public static MultipartVerifier Inferred(long objectSize, int partCount)
        => new(true, CandidateLayouts(objectSize, partCount).Select(p => (p, new CompositeEtag(Layout(objectSize, partCount, p)))).ToList());

    /// <summary>Uniform part sizes that can produce <paramref name="partCount"/> parts for this size, most likely first.</summary>
    public static IReadOnlyList<long> CandidateLayouts(long objectSize, int partCount)
    {
        if (partCount == 1) return [objectSize];
        var even = (objectSize + partCount - 1) / partCount;
        var evenMiB = (even + MiB - 1) / MiB * MiB;
        var candidates = UsualPartSizes.Concat([evenMiB, even])
            .Where(p => Fits(objectSize, partCount, p))
            .Distinct()
            .Take(MaxCandidates)
            .ToList();
        return candidates;
    }

    /// <summary>Parts 1..N-1 of <paramref name="partSize"/> and a last part of 1..partSize bytes.</summary>
    public static bool Fits(long objectSize, int partCount, long partSize)
        => partSize > 0 && (partCount - 1) * partSize < objectSize && partCount * partSize >= objectSize;

    private static long[] Layout(long objectSize, int partCount, long partSize)
    {
        var sizes = new long[partCount];
        Array.Fill(sizes, partSize);
        sizes[^1] = objectSize - (partCount - 1) * partSize;
        return sizes;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        foreach (var (_, etag) in _candidates) etag.Append(data);
    }

    /// <summary>The part size whose rebuilt ETag equals <paramref name="expected"/>, or null; and the rebuilt ETag(s) for the message.</summary>
    public (long? MatchedPartSize, string Rebuilt) Finish(string expected)
    {
        var rebuilt = new List<string>();
        long? matched = null;
        foreach (var (size, etag) in _candidates)
        {
            var value = etag.Finish();
            rebuilt.Add(value);
            if (value == expected) matched ??= size;
        }
        return (matched, string.Join(", ", rebuilt));
    }
}
