using Amazon.S3;
using Amazon.S3.Model;
using Skybridge.Providers.S3;
using Skybridge.Transfer;

namespace Skybridge.Tests.S3;

/// <summary>x-amz-checksum-crc64nvme as the engine's <see cref="Crc64"/>: AWS's byte order, and only full-object checksums.</summary>
public class S3ChecksumTests
{
    // base64 of the check value's 8 bytes, most significant first: AE 8B 14 86 0A 79 98 88.
    private const string CheckValueHeader = "rosUhgp5mIg=";

    [Fact]
    public void Aws_sends_base64_of_the_8_big_endian_bytes()
    {
        Assert.Equal(new Crc64(0xae8b14860a799888UL), S3Checksums.FullObjectCrc64(CheckValueHeader, ChecksumType.FULL_OBJECT));
        Assert.Equal(CheckValueHeader, S3Checksums.Crc64Header(Crc64.Of("123456789"u8)));
        // Read least significant first it would be another CRC: the order is pinned.
        Assert.NotEqual(new Crc64(0xae8b14860a799888UL), S3Checksums.FullObjectCrc64("iJh5CoYUi64=", ChecksumType.FULL_OBJECT));
    }

    [Fact]
    public void A_head_with_a_full_object_crc64_fills_the_source_properties()
    {
        var head = new GetObjectMetadataResponse { ChecksumCRC64NVME = CheckValueHeader, ChecksumType = ChecksumType.FULL_OBJECT };
        Assert.Equal(new Crc64(0xae8b14860a799888UL), S3ObjectProperties.From(head).Crc64Nvme);
        // A response that does not say its type (as some servers omit it): CRC64NVME is full-object only on S3.
        Assert.Equal(new Crc64(0xae8b14860a799888UL), S3ObjectProperties.From(new GetObjectMetadataResponse { ChecksumCRC64NVME = CheckValueHeader }).Crc64Nvme);
        Assert.Null(S3ObjectProperties.From(new GetObjectMetadataResponse()).Crc64Nvme); // RGW here: no checksum headers
    }

    [Theory]
    [InlineData("rosUhgp5mIg=-3", null)]        // a multipart composite: the CRC of the parts' CRCs, "-N" parts
    [InlineData("rosUhgp5mIg=", "COMPOSITE")]   // said to be composite
    [InlineData("rosUhgp5", "FULL_OBJECT")]     // 6 bytes, not a CRC64
    [InlineData("not base64!", "FULL_OBJECT")]
    [InlineData("", "FULL_OBJECT")]
    public void A_composite_or_malformed_checksum_is_not_a_full_object_crc(string header, string? type)
    {
        Assert.Null(S3Checksums.FullObjectCrc64(header, type is null ? null : ChecksumType.FindValue(type)));
        var head = new GetObjectMetadataResponse { ChecksumCRC64NVME = header, ChecksumType = type is null ? null : ChecksumType.FindValue(type) };
        Assert.Null(S3ObjectProperties.From(head).Crc64Nvme);
    }
}
