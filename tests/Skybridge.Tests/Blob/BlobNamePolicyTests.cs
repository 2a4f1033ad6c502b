using Skybridge.Providers.AzureBlob;
using Skybridge.Transfer;

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
    [InlineData("dir/", "dir%2F")]           // issue 16: an empty segment is its '/' encoded (was "dir/%EMPTY%")
    [InlineData("a//b", "a/%2Fb")]           // (was "a/%EMPTY%/b")
    [InlineData("/a", "%2Fa")]
    [InlineData("a/../b", "a/.%2E/b")]
    [InlineData("50%\u0007", "50%%07")]      // a '%' that cannot read as an escape stays (was "50%25%07")
    [InlineData("c1\u0085", "c1%C2%85")]     // C1 controls as UTF-8, like a URL
    [InlineData("dot%2E.", "dot%252E%2E")]
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

    // ---- issue 16: reversible and injective over ALL keys, valid ones included ----

    [Theory]
    [InlineData("collide/bell\u0007.txt", "collide/bell%07.txt")]   // the issue's pairs: each now has its own name
    [InlineData("collide/bell%07.txt", "collide/bell%2507.txt")]
    [InlineData("dot.", "dot%2E")]
    [InlineData("dot%2E", "dot%252E")]
    [InlineData("dot%2e", "dot%252e")]
    public void The_issues_colliding_pairs_get_distinct_names_that_decode_to_their_keys(string key, string name)
    {
        var m = BlobNamePolicy.Map(key, "", NamePolicy.Encode);
        Assert.Equal(name, m.BlobName);
        Assert.True(m.Renamed);
        Assert.Equal(key, BlobNamePolicy.Decode(m.BlobName!));
    }

    [Theory]
    [InlineData("a/b/c.txt")]
    [InlineData("with space/and%percent")]
    [InlineData("100%/done")]
    [InlineData("%zz/%1")]
    [InlineData("unicode/\u00e9t\u00e9/\u4e2d\u6587.txt")]
    public void A_valid_key_with_nothing_that_reads_as_an_escape_keeps_its_name(string key)
    {
        var m = BlobNamePolicy.Map(key, "p/", NamePolicy.Encode);
        Assert.Equal("p/" + key, m.BlobName);
        Assert.False(m.Renamed);
        Assert.Equal(key, BlobNamePolicy.Decode(key));
    }

    [Fact]
    public void A_valid_key_that_reads_as_an_escape_is_renamed_and_says_why()
    {
        var m = BlobNamePolicy.Map("report%20final.pdf", "", NamePolicy.Encode);
        Assert.Equal("report%2520final.pdf", m.BlobName);
        Assert.Equal(BlobNamePolicy.EscapeLookalike, m.Problem);
        Assert.False(BlobNamePolicy.Map("report%20final.pdf", "", NamePolicy.Skip).Renamed); // only "encode" changes names
    }

    [Fact]
    public void Decode_of_encode_is_the_key_and_the_name_is_valid_for_random_keys()
    {
        // Keys built from the characters that matter ('%', hex digits, '/', '.', '\\', C0/DEL/C1,
        // format characters) plus ordinary and non-ASCII letters: injective because reversible.
        const string alphabet = "%%%//..\\aF09eE2x \u0000\u0001\u0007\u001f\u007f\u0085\u009f\u202e\u00e9\u4e2d";
        var random = new Random(1616);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int n = 0; n < 20_000; n++)
        {
            var chars = new char[random.Next(1, 24)];
            for (int i = 0; i < chars.Length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
            var key = new string(chars);
            var encoded = BlobNamePolicy.Encode(key);
            Assert.Equal(key, BlobNamePolicy.Decode(encoded));
            if (names.TryGetValue(encoded, out var other)) Assert.Equal(other, key); // same name only for the same key
            names[encoded] = key;
            var mapped = BlobNamePolicy.Map(key, "p/", NamePolicy.Encode);
            if (mapped.Accepted) Assert.Null(BlobNamePolicy.Problem(mapped.BlobName!));
            else Assert.Contains("cannot be encoded", mapped.Problem);
        }
        Assert.True(names.Count > 15_000, $"only {names.Count} distinct keys");
    }

    [Fact]
    public void Names_too_long_cannot_be_encoded_and_are_refused_with_the_reason()
    {
        var m = BlobNamePolicy.Map(new string('x', 1100), "", NamePolicy.Encode);
        Assert.False(m.Accepted);
        Assert.Contains("cannot be encoded", m.Problem);
    }
}
