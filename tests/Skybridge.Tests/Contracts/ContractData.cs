using System.Security.Cryptography;
using System.Text;

namespace Skybridge.Contracts;

/// <summary>Data and oracles shared by the source and destination contracts (independent of the code under test).</summary>
public static class ContractData
{
    /// <summary>
    /// Names whose UTF-8 byte order differs from culture order, from case-insensitive order and
    /// from UTF-16 order: upper before lower case, '-' &lt; '.' &lt; '/' &lt; '_' &lt; '~', 2- and 3-byte
    /// characters (é, 中, fullwidth A U+FF21) and one above U+FFFF (😀, which UTF-16 puts before U+FF21).
    /// Some sit under "a/" so a listing that fans out by folder must merge them back in order.
    /// </summary>
    public static readonly string[] OrderingNames =
    [
        "~", "_x", "Z", "a", "a b", "a-b", "a.txt", "a/b", "a/b.c", "a/b/c", "a/B", "a0", "a~", "B", "b",
        "\u00e9", "e\u0301", "\u4e2d", "\uFF21", "\U0001F600", "\u00e9t\u00e9/r\u00e9sum\u00e9.txt",
    ];

    /// <summary>The oracle: plain byte comparison of the UTF-8 encodings.</summary>
    public static readonly Comparer<string> Utf8Bytes = Comparer<string>.Create(
        (x, y) => Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y)));

    public static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>Same length and content (compared by digest: a failure prints two hashes, not two megabytes).</summary>
    public static void SameBytes(byte[] expected, byte[] actual)
        => Assert.Equal((expected.Length, Md5Hex(expected)), (actual.Length, Md5Hex(actual)));

    public static string Md5Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(MD5.HashData(data));

    /// <summary>S3's multipart ETag, computed here rather than taken from the code under test: md5(concat(part md5s))-N.</summary>
    public static string MultipartEtag(byte[] data, IReadOnlyList<int> parts)
    {
        var digests = new List<byte>();
        var offset = 0;
        foreach (var p in parts) { digests.AddRange(MD5.HashData(data.AsSpan(offset, p))); offset += p; }
        return Md5Hex(digests.ToArray()) + "-" + parts.Count;
    }

    public static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var i in items) list.Add(i);
        return list;
    }

    /// <summary>True when the destination refused the source URL itself (too long, malformed), before fetching anything: the adapter says so in its domain error.</summary>
    public static bool SaysUrlRefused(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is Transfer.ServiceSide.CopyFromUrlException { RefusedFromUrl: not null }) return true;
        return false;
    }

    /// <summary>True when <paramref name="e"/> (or an exception it wraps) says the source is no longer the listed version.</summary>
    public static bool SaysSourceChanged(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is Transfer.SourceChangedException or SkybridgeException { Kind: ErrorKind.SourceChanged }) return true;
            if (x is Transfer.ServiceSide.CopyFromUrlException { SourceFailure.Kind: Transfer.ServiceSide.SourceFailureKind.Changed } or Transfer.ServiceSide.CopyFromUrlException { SourceConditionNotMet: true }) return true;
        }
        return false;
    }
}
