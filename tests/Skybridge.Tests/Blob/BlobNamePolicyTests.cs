using Skybridge.Blob;

namespace Skybridge.Tests.Blob;

public class BlobNamePolicyTests
{
    [Theory]
    [InlineData("a/b/c.txt")]
    [InlineData("unicode/\u00e9t\u00e9/\u4e2d\u6587.txt")]
    [InlineData("with space/and%percent")]
    [InlineData(".hidden/file")]
    public void Ordinary_keys_are_valid(string key) => Assert.Null(BlobNamePolicy.Problem(key));

    [Theory]
    [InlineData("dir/", "ends with '/'")]
    [InlineData("file.", "ends with '.'")]
    [InlineData("a//b", "empty path segment")]
    [InlineData("/a", "empty path segment")]
    [InlineData("a/../b", "'..' path segment")]
    [InlineData("a/./b", "'.' path segment")]
    [InlineData("dir./b", "segment ends with '.'")]
    [InlineData("a\\b", "backslash")]
    [InlineData("a\u0001b", "control character")]
    [InlineData("a\nb", "control character")]
    public void Dangerous_keys_are_named(string key, string problem)
        => Assert.Contains(problem, BlobNamePolicy.Problem(key));

    [Fact]
    public void Length_and_segment_limits()
    {
        Assert.Null(BlobNamePolicy.Problem(new string('x', 1024)));
        Assert.Contains("1024", BlobNamePolicy.Problem(new string('x', 1025)));
        Assert.Null(BlobNamePolicy.Problem(string.Join("/", Enumerable.Repeat("s", 254))));
        Assert.Contains("254", BlobNamePolicy.Problem(string.Join("/", Enumerable.Repeat("s", 255))));
    }

    [Fact]
    public void Skip_and_fail_give_no_name_and_the_reason()
    {
        var m = BlobNamePolicy.Map("bad\\name", "pre/", NamePolicy.Skip);
        Assert.False(m.Accepted);
        Assert.Contains("backslash", m.Problem);
        Assert.False(BlobNamePolicy.Map("bad\\name", "", NamePolicy.Fail).Accepted);
        var ok = BlobNamePolicy.Map("good", "pre/", NamePolicy.Skip);
        Assert.Equal("pre/good", ok.BlobName);
        Assert.False(ok.Renamed);
    }

    [Theory]
    [InlineData("a\\b", "a%5Cb")]
    [InlineData("file.", "file%2E")]
    [InlineData("dir/", "dir/%EMPTY%")]
    [InlineData("a//b", "a/%EMPTY%/b")]
    [InlineData("a/../b", "a/.%2E/b")]
    [InlineData("50%\u0007", "50%25%07")]
    public void Encode_makes_safe_names(string key, string encoded)
    {
        var m = BlobNamePolicy.Map(key, "p/", NamePolicy.Encode);
        Assert.True(m.Renamed);
        Assert.Equal("p/" + encoded, m.BlobName);
        Assert.Null(BlobNamePolicy.Problem(m.BlobName!));
    }

    [Fact]
    public void Encoding_is_injective_on_tricky_neighbours()
    {
        string[] keys = ["a.", "a%2E", "a%", "a\\", "a%5C", "a/", "a/%EMPTY%", "a//", "a\u0000", "a%00"];
        var names = keys.Select(BlobNamePolicy.Encode).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Names_too_long_cannot_be_encoded_and_are_refused_with_the_reason()
    {
        var m = BlobNamePolicy.Map(new string('x', 1100), "", NamePolicy.Encode);
        Assert.False(m.Accepted);
        Assert.Contains("cannot be encoded", m.Problem);
    }
}
