using Skybridge.Providers.AzureBlob;
using Skybridge.Transfer;

namespace Skybridge.Tests.Blob;

public class MetadataMapperTests
{
    private static readonly SourceObject Obj = new("dir/\u00e9t\u00e9 file.txt", 42, "abc123", new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero));

    [Theory]
    [InlineData("content-owner", "content_owner")]
    [InlineData("9lives", "_9lives")]
    [InlineData("ok_name", "ok_name")]
    [InlineData("a.b c", "a_b_c")]
    [InlineData("", "_")]
    public void Keys_become_identifiers(string key, string expected) => Assert.Equal(expected, MetadataMapper.ToIdentifier(key));

    [Fact]
    public void Provenance_is_recorded()
    {
        var m = MetadataMapper.Build("bkt", Obj, new SourceProperties(), "v1");
        Assert.Equal("bkt", m[ProvenanceKeys.SourceBucket]);
        Assert.Equal(Obj.Key, Uri.UnescapeDataString(m[ProvenanceKeys.SourceKey]));
        Assert.True(m[ProvenanceKeys.SourceKey].All(c => c < 128));
        Assert.Equal("v1", m[ProvenanceKeys.SourceVersion]);
        Assert.Equal("abc123", m[ProvenanceKeys.SourceEtag]);
        Assert.Equal("42", m[ProvenanceKeys.SourceSize]);
        Assert.Equal("2024-05-06T07:08:09Z", m[ProvenanceKeys.SourceLastModified]);
        Assert.False(m.ContainsKey(MetadataMapper.OriginalNamesKey));
        Assert.All(m.Keys, k => Assert.Equal(k, MetadataMapper.ToIdentifier(k)));
    }

    [Fact]
    public void Changed_keys_collisions_and_odd_values_round_trip()
    {
        var user = new Dictionary<string, string>
        {
            ["content-owner"] = "alice",
            ["content_owner"] = "bob",
            ["plain"] = "v",
            ["skybridge_source_etag"] = "spoof",
            ["note"] = "caf\u00e9 \u4e2d",
        };
        var m = MetadataMapper.Build("b", Obj, new SourceProperties { UserMetadata = user }, null);
        Assert.Equal("abc123", m[ProvenanceKeys.SourceEtag]);
        Assert.All(m.Keys, k => Assert.Equal(k, MetadataMapper.ToIdentifier(k)));
        Assert.All(m.Values, v => Assert.True(v.All(c => c is >= ' ' and <= '~')));
        Assert.Contains(MetadataMapper.OriginalNamesKey, m.Keys);
        var restored = MetadataMapper.RestoreUserMetadata(m);
        Assert.Equal(user.OrderBy(k => k.Key), restored.OrderBy(k => k.Key));
    }
}

public class TagMapperTests
{
    [Fact]
    public void Valid_tags_pass_invalid_ones_are_dropped_and_named()
    {
        var (tags, dropped) = TagMapper.Map(new Dictionary<string, string>
        {
            ["project"] = "sky bridge",
            ["path"] = "a/b:c=d_e.f+g-h",
            ["email"] = "x@y",
            ["caf\u00e9"] = "1",
            [new string('k', 129)] = "v",
        });
        Assert.Equal(2, tags.Count);
        Assert.Equal("sky bridge", tags["project"]);
        Assert.Equal(3, dropped.Count);
        Assert.Contains("email", dropped);
    }
}
