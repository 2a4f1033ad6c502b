using System.Security.Cryptography;

namespace Skybridge.Transfer;

/// <summary>
/// S3 ETags: a single-PUT object's ETag is the hex MD5 of its bytes; a multipart upload's is
/// hex(MD5(MD5(part 1) || … || MD5(part N))) + "-N". Given the part boundaries, the second one can
/// be rebuilt from the bytes while they stream past, which proves the copy equals the source even
/// though S3 never tells us the whole-object MD5.
/// </summary>
internal sealed class CompositeEtag
{
    private readonly IReadOnlyList<long> _partSizes;
    private readonly MemoryStream _partDigests = new();
    private IncrementalHash _part = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private int _partIndex;
    private long _remainingInPart;

    public CompositeEtag(IReadOnlyList<long> partSizes)
    {
        if (partSizes.Count == 0) throw new ArgumentException("a multipart object has at least one part", nameof(partSizes));
        _partSizes = partSizes;
        _remainingInPart = partSizes[0];
    }

    /// <summary>Feeds the next bytes of the object, in order.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_remainingInPart == 0) NextPart();
            var take = (int)Math.Min(_remainingInPart, data.Length);
            _part.AppendData(data[..take]);
            _remainingInPart -= take;
            data = data[take..];
        }
    }

    private void NextPart()
    {
        _partDigests.Write(_part.GetHashAndReset());
        _partIndex++;
        if (_partIndex >= _partSizes.Count) throw new InvalidOperationException("more bytes than the part sizes add up to");
        _remainingInPart = _partSizes[_partIndex];
    }

    /// <summary>The rebuilt ETag ("hex-N"); call once after every byte was appended.</summary>
    public string Finish()
    {
        if (_remainingInPart != 0 || _partIndex != _partSizes.Count - 1)
            throw new InvalidOperationException("fewer bytes than the part sizes add up to");
        _partDigests.Write(_part.GetHashAndReset());
        _part.Dispose();
        return FromDigests(_partDigests.ToArray(), _partSizes.Count);
    }

    /// <summary>
    /// The multipart ETag of parts whose MD5s are <paramref name="partMd5s"/>, in part order: what a
    /// copy whose blocks are the parts rebuilds from the MD5s its workers computed, with no pass over the whole object.
    /// </summary>
    public static string Of(IReadOnlyList<byte[]> partMd5s)
    {
        var concatenated = new byte[partMd5s.Count * MD5.HashSizeInBytes];
        for (int i = 0; i < partMd5s.Count; i++) partMd5s[i].CopyTo(concatenated, i * MD5.HashSizeInBytes);
        return FromDigests(concatenated, partMd5s.Count);
    }

    private static string FromDigests(byte[] concatenated, int parts) => Convert.ToHexStringLower(MD5.HashData(concatenated)) + "-" + parts;

    /// <summary>Removes the quotes S3 puts around ETags.</summary>
    public static string Normalize(string? etag) => (etag ?? "").Trim().Trim('"').ToLowerInvariant();

    public static bool IsPlainMd5(string etag)
    {
        var e = Normalize(etag);
        return e.Length == 32 && e.All(Uri.IsHexDigit);
    }

    /// <summary>N of a multipart ETag "hex-N", or null.</summary>
    public static int? PartCount(string etag)
    {
        var e = Normalize(etag);
        var dash = e.LastIndexOf('-');
        return dash == 32 && e[..32].All(Uri.IsHexDigit) && int.TryParse(e[(dash + 1)..], out var n) && n > 0 ? n : null;
    }

    /// <summary>The MD5 a plain ETag stands for, as bytes.</summary>
    public static byte[]? Md5FromEtag(string etag) => IsPlainMd5(etag) ? Convert.FromHexString(Normalize(etag)) : null;
}
