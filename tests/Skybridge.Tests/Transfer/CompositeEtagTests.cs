using System.Security.Cryptography;
using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class CompositeEtagTests
{
    [Fact]
    public void Rebuilds_the_multipart_etag_whatever_the_chunking_of_the_input()
    {
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        long[] parts = [4000, 4000, 2000];
        // Definition, written out independently: md5(md5(p1)||md5(p2)||md5(p3)) + "-3".
        var expected = Convert.ToHexStringLower(MD5.HashData(
            MD5.HashData(data[..4000]).Concat(MD5.HashData(data[4000..8000])).Concat(MD5.HashData(data[8000..])).ToArray())) + "-3";

        foreach (var chunk in new[] { 1, 333, 4000, 4001, 10_000 })
        {
            var c = new CompositeEtag(parts);
            for (int i = 0; i < data.Length; i += chunk) c.Append(data.AsSpan(i, Math.Min(chunk, data.Length - i)));
            Assert.Equal(expected, c.Finish());
        }
    }

    [Fact]
    public void Wrong_part_boundaries_give_a_different_etag()
    {
        var data = new byte[9000];
        new Random(1).NextBytes(data);
        var real = new CompositeEtag([5000, 4000]);
        real.Append(data);
        var wrong = new CompositeEtag([4000, 5000]);
        wrong.Append(data);
        Assert.NotEqual(real.Finish(), wrong.Finish());
    }

    [Fact]
    public void Too_few_or_too_many_bytes_are_errors()
    {
        var c = new CompositeEtag([10, 10]);
        c.Append(new byte[15]);
        Assert.Throws<InvalidOperationException>(() => c.Finish());
        var d = new CompositeEtag([10]);
        Assert.Throws<InvalidOperationException>(() => d.Append(new byte[11]));
    }

    [Theory]
    [InlineData("\"d41d8cd98f00b204e9800998ecf8427e\"", true, null)]
    [InlineData("D41D8CD98F00B204E9800998ECF8427E", true, null)]
    [InlineData("\"9b2cf535f27731c974343645a3985328-12\"", false, 12)]
    [InlineData("9b2cf535f27731c974343645a3985328-0", false, null)]
    [InlineData("not-an-etag", false, null)]
    public void Recognises_plain_and_multipart_etags(string etag, bool plain, int? parts)
    {
        Assert.Equal(plain, CompositeEtag.IsPlainMd5(etag));
        Assert.Equal(parts, CompositeEtag.PartCount(etag));
    }
}
