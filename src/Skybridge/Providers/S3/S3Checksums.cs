using System.Buffers.Binary;
using Amazon.S3;
using Skybridge.Transfer;

namespace Skybridge.Providers.S3;

/// <summary>S3's full-object checksums as the engine's typed values.</summary>
internal static class S3Checksums
{
    /// <summary>
    /// The object's CRC-64/NVME from x-amz-checksum-crc64nvme: base64 of the CRC's 8 bytes, most
    /// significant first (AWS's encoding; S3ChecksumTests pins it with the check value). Only a
    /// full-object one: a COMPOSITE checksum (type COMPOSITE, or a value ending in "-N", the
    /// number of parts) is a checksum of the parts' checksums, not of the bytes, so it is null,
    /// as is anything that is not 8 bytes of base64.
    /// </summary>
    public static Crc64? FullObjectCrc64(string? header, ChecksumType? type)
    {
        if (string.IsNullOrEmpty(header) || header.Contains('-')) return null;
        if (type is not null && type != ChecksumType.FULL_OBJECT) return null;
        Span<byte> bytes = stackalloc byte[9];
        if (!Convert.TryFromBase64String(header, bytes, out var n) || n != 8) return null;
        return new Crc64(BinaryPrimitives.ReadUInt64BigEndian(bytes));
    }

    /// <summary>The header value AWS sends for <paramref name="crc"/> (what a stand-in for S3 adds).</summary>
    public static string Crc64Header(Crc64 crc)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, crc.Value);
        return Convert.ToBase64String(bytes);
    }
}
