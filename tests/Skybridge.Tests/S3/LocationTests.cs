using Skybridge.Providers.AzureBlob;
using Skybridge.Providers.S3;

namespace Skybridge.Tests.S3;

public class LocationTests
{
    [Theory]
    [InlineData("s3://bucket", "bucket", "")]
    [InlineData("s3://bucket/", "bucket", "")]
    [InlineData("s3://bucket/a/b", "bucket", "a/b/")]
    [InlineData("s3://my.bucket-1/a/", "my.bucket-1", "a/")]
    public void S3_urls(string url, string bucket, string prefix)
    {
        var l = S3Location.Parse(url);
        Assert.Equal(bucket, l.Bucket);
        Assert.Equal(prefix, l.Prefix);
    }

    [Theory]
    [InlineData("https://b/x")]
    [InlineData("s3://Bad_Bucket")]
    [InlineData("s3://ab")]
    public void Bad_s3_urls_are_usage_errors(string url)
        => Assert.Equal(Skybridge.ErrorKind.Usage, Assert.Throws<Skybridge.SkybridgeException>(() => S3Location.Parse(url)).Kind);

    [Fact]
    public void Blob_endpoint_with_prefix()
    {
        var l = BlobLocation.Parse("https://acct.blob.core.windows.net/cont/a/b");
        Assert.Equal("acct", l.AccountName);
        Assert.Equal("cont", l.Container);
        Assert.Equal("a/b/", l.Prefix);
        Assert.Equal("https://acct.blob.core.windows.net/cont", l.ContainerUri.ToString().TrimEnd('/'));
        Assert.Null(l.Sas);
    }

    [Fact]
    public void Dfs_endpoint_maps_to_blob()
    {
        var l = BlobLocation.Parse("https://acct.dfs.core.windows.net/fsys/dir");
        Assert.Equal("acct.blob.core.windows.net", l.ContainerUri.Host);
        Assert.Equal("fsys", l.Container);
        Assert.Equal("dir/", l.Prefix);
    }

    [Fact]
    public void Ip_style_emulator_url()
    {
        var l = BlobLocation.Parse("https://127.0.0.1:10000/devstoreaccount1/cont/pre");
        Assert.Equal("devstoreaccount1", l.AccountName);
        Assert.Equal("cont", l.Container);
        Assert.Equal("pre/", l.Prefix);
        Assert.Equal("https://127.0.0.1:10000/devstoreaccount1/cont", l.ContainerUri.ToString().TrimEnd('/'));
    }

    [Fact]
    public void A_sas_is_kept_apart_and_never_printed()
    {
        var l = BlobLocation.Parse("https://acct.blob.core.windows.net/cont/p?sv=2024-01-01&sp=rw&sig=TOPSECRET");
        Assert.NotNull(l.Sas);
        Assert.Contains("sig=TOPSECRET", l.ContainerUriWithSas.Query);
        Assert.DoesNotContain("TOPSECRET", l.ToString());
        Assert.DoesNotContain("TOPSECRET", l.ContainerUri.ToString());
    }

    [Fact]
    public void A_url_without_container_is_a_usage_error()
        => Assert.Throws<Skybridge.SkybridgeException>(() => BlobLocation.Parse("https://acct.blob.core.windows.net/"));
}
