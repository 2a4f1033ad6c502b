using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

/// <summary>The engine's CRC-64/NVME: the check value, and blocks' CRCs combined into the whole object's.</summary>
public class Crc64Tests
{
    [Fact]
    public void The_check_value_of_123456789_is_the_crc64_nvme_one()
    {
        Assert.Equal(0xae8b14860a799888UL, Crc64.Of("123456789"u8).Value);
        Assert.Equal("ae8b14860a799888", Crc64.Of("123456789"u8).ToString());
        Assert.Equal(0UL, Crc64.Of([]).Value); // init and xorout all ones: no bytes, no CRC
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1000, 1)]
    [InlineData(1000, 999)]
    [InlineData(4097, 2048)]
    [InlineData(100_003, 65_536)]
    public void Two_parts_combine_into_the_crc_of_the_whole(int size, int cut)
    {
        var data = new byte[size];
        new Random(size + cut).NextBytes(data);
        var combined = Crc64.Combine(Crc64.Of(data.AsSpan(0, cut)), Crc64.Of(data.AsSpan(cut)), size - cut);
        Assert.Equal(Crc64.Of(data), combined);
    }

    [Fact]
    public void Blocks_of_any_sizes_concatenate_into_the_crc_of_the_whole_and_a_flipped_byte_changes_it()
    {
        var data = new byte[3 * 1024 * 1024 + 17];
        new Random(5).NextBytes(data);
        int[] sizes = [1024 * 1024, 1, 2 * 1024 * 1024 - 1, 17];
        var offsets = sizes.Select((_, i) => sizes.Take(i).Sum()).ToArray();
        var blocks = sizes.Select((n, i) => Crc64.Of(data.AsSpan(offsets[i], n))).ToList();
        Assert.Equal(Crc64.Of(data), Crc64.Concatenate(blocks, i => sizes[i]));

        data[2 * 1024 * 1024] ^= 0x01;
        Assert.NotEqual(Crc64.Of(data), Crc64.Concatenate(blocks, i => sizes[i]));
    }

    [Fact]
    public void A_length_beyond_4_GiB_is_combined_like_the_zero_bytes_it_stands_for()
    {
        // Appending n zero bytes to A then B's CRC: the lengths' high bits use the far end of the power table.
        var a = Crc64.Of("abc"u8);
        var zeros = new byte[1 << 20];
        var viaBytes = Crc64.Of(zeros);
        var viaCombine = Crc64.Combine(new Crc64(0), viaBytes, zeros.Length);
        Assert.Equal(viaBytes, viaCombine);
        Assert.NotEqual(Crc64.Combine(a, viaBytes, 1L << 20), Crc64.Combine(a, viaBytes, (1L << 20) + (1L << 40)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Crc64.Combine(a, a, -1));
    }
}
