using System.IO.Hashing;

namespace Skybridge.Transfer;

/// <summary>
/// A CRC-64/NVME value (poly 0xad93d23594c93659, reflected, init and xorout all ones; check value
/// of "123456789": 0xae8b14860a799888): the full-object checksum AWS S3 keeps as
/// x-amz-checksum-crc64nvme and the one Azure Storage checks as x-ms-content-crc64. The providers
/// turn their headers' byte orders into this value; the engine only computes, combines and compares it.
/// </summary>
public readonly record struct Crc64(ulong Value)
{
    /// <summary>The CRC of <paramref name="data"/> (System.IO.Hashing: ~6 GB/s here, ten times MD5).</summary>
    public static Crc64 Of(ReadOnlySpan<byte> data) => new(System.IO.Hashing.Crc64.HashToUInt64(Crc64ParameterSet.Nvme, data));

    /// <summary>
    /// The CRC of A followed by B from the CRCs of A and B and the length of B, without the bytes
    /// (zlib's crc32_combine for this polynomial): blocks hashed apart, in any order and in
    /// parallel, give the whole object's CRC. System.IO.Hashing offers no combine.
    /// </summary>
    public static Crc64 Combine(Crc64 first, Crc64 second, long secondLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(secondLength);
        return new(MultiplyModP(PowerOfXModP(secondLength), first.Value) ^ second.Value);
    }

    /// <summary>The CRC of consecutive blocks, in order, from each block's CRC and length.</summary>
    public static Crc64 Concatenate(IReadOnlyList<Crc64> blocks, Func<int, long> lengthOf)
    {
        var whole = new Crc64(0); // the CRC of no bytes
        for (int i = 0; i < blocks.Count; i++) whole = Combine(whole, blocks[i], lengthOf(i));
        return whole;
    }

    /// <summary>16 hex digits, most significant first (how the CRC-64/NVME check value is written).</summary>
    public override string ToString() => Value.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    // The reflected polynomial: bit 63 holds x^0.
    private const ulong ReflectedPoly = 0x9a6c9329ac4bc9b5;

    /// <summary>a * b modulo the polynomial, both reflected (x^0 in bit 63).</summary>
    private static ulong MultiplyModP(ulong a, ulong b)
    {
        ulong product = 0;
        for (ulong m = 1UL << 63; m != 0; m >>= 1)
        {
            if ((a & m) != 0) product ^= b;
            b = (b & 1) != 0 ? (b >> 1) ^ ReflectedPoly : b >> 1;
        }
        return product;
    }

    // XToThe2ToThe[k] = x^(2^k) mod p; 67 entries cover x^(8 * 2^63).
    private static readonly ulong[] XToThe2ToThe = BuildPowers();

    private static ulong[] BuildPowers()
    {
        var table = new ulong[67];
        table[0] = 1UL << 62; // x^1
        for (int k = 1; k < table.Length; k++) table[k] = MultiplyModP(table[k - 1], table[k - 1]);
        return table;
    }

    /// <summary>x^(8 * <paramref name="bytes"/>) mod p: what appending that many zero bytes does to a CRC's register.</summary>
    private static ulong PowerOfXModP(long bytes)
    {
        ulong power = 1UL << 63; // x^0
        for (int k = 3; bytes != 0; bytes >>= 1, k++)
            if ((bytes & 1) != 0) power = MultiplyModP(XToThe2ToThe[k], power);
        return power;
    }
}
