using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Skybridge.IntegrationTests.Sandbox;
using Skybridge.IntegrationTests.StandIns;
using Skybridge.Providers.AzureBlob;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.IntegrationTests.ServiceSide;

/// <summary>
/// The copy-from-URL shim (TEST STAND-IN) answers like Azure, and RGW really judges the presigned
/// URLs it fetches: an expired or tampered URL, a changed or missing source, an over-long
/// x-ms-copy-source. Each refusal is read back through Skybridge's own mapping
/// (<see cref="CopySourceFailure"/>, <see cref="ServiceSideCopier.Map"/>).
/// </summary>
[Collection("sandbox")]
public sealed class CopyShimProtocolTests(SandboxFixture sandbox) : IAsyncLifetime
{
    private BlobContainerClient _container = null!;
    private string _key = null!;
    private string _etag = null!;
    private readonly byte[] _data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("0123456789", 100)));

    public async Task InitializeAsync()
    {
        var token = await sandbox.MintTokenAsync("https://storage.azure.com");
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        var service = new BlobServiceClient(new Uri(sandbox.Env["SANDBOX_SERVICE_DEST_URL"].Replace("/skybridge-dest-service", "")),
            new StaticTokenCredential(token, DateTimeOffset.UtcNow.AddMinutes(50)), options);
        _container = service.GetBlobContainerClient("shim-" + Guid.NewGuid().ToString("N")[..12]);
        await _container.CreateAsync(); // forwarded to Azurite unchanged, bearer token included
        _key = $"shim-protocol/{Guid.NewGuid():N}.txt";
        var put = await sandbox.AdminS3().PutObjectAsync(new PutObjectRequest
        {
            BucketName = sandbox.Bucket, Key = _key, InputStream = new MemoryStream(_data), UseChunkEncoding = false,
        });
        _etag = put.ETag.Trim('"');
    }

    public async Task DisposeAsync() => await _container.DeleteIfExistsAsync();

    private string Presign(string key, DateTime expires) => sandbox.AdminS3().GetPreSignedURL(new GetPreSignedUrlRequest
    {
        BucketName = sandbox.Bucket, Key = key, Verb = HttpVerb.GET, Expires = expires, Protocol = Protocol.HTTP,
    });

    private Task StageAsync(string url, string? ifMatch = null, HttpRange? range = null) =>
        _container.GetBlockBlobClient("b").StageBlockFromUriAsync(new Uri(url), Convert.ToBase64String(Encoding.ASCII.GetBytes("block-000")),
            new StageBlockFromUriOptions
            {
                SourceRange = range ?? new HttpRange(0, 100),
                SourceConditions = new RequestConditions { IfMatch = new ETag("\"" + (ifMatch ?? _etag) + "\"") },
            });

    private static SourceObject Obj => new("k", 1000, "0123456789abcdef0123456789abcdef", DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task A_valid_url_is_fetched_by_the_shim_with_its_range_and_committed_in_azurite()
    {
        await StageAsync(Presign(_key, DateTime.UtcNow.AddMinutes(5)), range: new HttpRange(100, 250));
        var blob = _container.GetBlockBlobClient("b");
        await blob.CommitBlockListAsync([Convert.ToBase64String(Encoding.ASCII.GetBytes("block-000"))]);
        Assert.Equal(_data.AsSpan(100, 250).ToArray(), (await blob.DownloadContentAsync()).Value.Content.ToArray());

        // Put Blob From URL, with the source MD5 checked against the fetched bytes.
        var md5 = System.Security.Cryptography.MD5.HashData(_data);
        var whole = _container.GetBlockBlobClient("whole");
        await whole.SyncUploadFromUriAsync(new Uri(Presign(_key, DateTime.UtcNow.AddMinutes(5))), new BlobSyncUploadFromUriOptions
        {
            ContentHash = md5, HttpHeaders = new BlobHttpHeaders { ContentHash = md5, ContentType = "text/plain" },
        });
        var props = (await whole.GetPropertiesAsync()).Value;
        Assert.Equal(md5, props.ContentHash);
        Assert.Equal(_data.Length, props.ContentLength);
        var wrong = await Assert.ThrowsAsync<RequestFailedException>(() => _container.GetBlockBlobClient("w").SyncUploadFromUriAsync(
            new Uri(Presign(_key, DateTime.UtcNow.AddMinutes(5))), new BlobSyncUploadFromUriOptions { ContentHash = new byte[16] }));
        Assert.Equal("Md5Mismatch", wrong.ErrorCode);
    }

    [Fact]
    public async Task An_expired_url_is_refused_by_rgw_and_reads_as_access_denied_on_the_source()
    {
        var url = Presign(_key, DateTime.UtcNow.AddSeconds(1));
        await Task.Delay(2500);
        var e = await Assert.ThrowsAsync<RequestFailedException>(() => StageAsync(url));
        var f = AzureCopySourceErrors.From(e)!;
        Assert.Equal(SourceFailureKind.AccessDenied, f.Kind);
        Assert.Equal(403, f.SourceStatus);
        Assert.Equal("CannotVerifyCopySource", e.ErrorCode);
        var mapped = Assert.IsType<SkybridgeException>(ServiceSideCopier.Map(Obj, (CopyFromUrlException)AzureCopySourceErrors.Map(e)));
        Assert.Equal(ErrorKind.Auth, mapped.Kind);
        Assert.DoesNotContain("X-Amz-Signature=", e.Message.Replace("X-Amz-Signature=***", ""));
    }

    [Fact]
    public async Task A_tampered_signature_is_refused_by_rgw()
    {
        var url = Presign(_key, DateTime.UtcNow.AddMinutes(5));
        var i = url.IndexOf("X-Amz-Signature=", StringComparison.Ordinal) + "X-Amz-Signature=".Length;
        var tampered = url[..i] + (url[i] == 'a' ? 'b' : 'a') + url[(i + 1)..];
        var e = await Assert.ThrowsAsync<RequestFailedException>(() => StageAsync(tampered));
        var f = AzureCopySourceErrors.From(e)!;
        Assert.Equal(SourceFailureKind.AccessDenied, f.Kind);
        Assert.Contains(f.SourceErrorCode, new[] { "SignatureDoesNotMatch", "AccessDenied" }); // AWS says the former, RGW Pacific the latter
        // ...and the same URL untampered is fine: it is the signature that was judged.
        await StageAsync(url);
    }

    [Fact]
    public async Task A_changed_or_missing_source_reads_as_stream_modes_reasons()
    {
        var changed = await Assert.ThrowsAsync<RequestFailedException>(() => StageAsync(Presign(_key, DateTime.UtcNow.AddMinutes(5)), ifMatch: "00000000000000000000000000000000"));
        Assert.Equal(SourceFailureKind.Changed, AzureCopySourceErrors.From(changed)!.Kind);
        Assert.IsType<SourceChangedException>(ServiceSideCopier.Map(Obj, (CopyFromUrlException)AzureCopySourceErrors.Map(changed)));

        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => StageAsync(Presign(_key + ".gone", DateTime.UtcNow.AddMinutes(5))));
        Assert.Equal(404, missing.Status);
        Assert.Equal(SourceFailureKind.Missing, AzureCopySourceErrors.From(missing)!.Kind);
        Assert.Contains("missing (S3 404 NoSuchKey", ServiceSideCopier.Map(Obj, (CopyFromUrlException)AzureCopySourceErrors.Map(missing)).Message);
    }

    [Fact]
    public async Task A_copy_source_over_2_KiB_is_refused_like_azure_does()
    {
        var url = Presign(_key, DateTime.UtcNow.AddMinutes(5));
        var padded = url + "&pad=" + new string('p', 2049 - url.Length - 5);
        Assert.Equal(2049, new Uri(padded).AbsoluteUri.Length);
        var e = await Assert.ThrowsAsync<RequestFailedException>(() => StageAsync(padded));
        Assert.Equal(400, e.Status);
        Assert.Equal("OutOfRangeInput", e.ErrorCode);
        Assert.NotNull(AzureCopySourceErrors.RefusedFromUrl(e));

        // Exactly 2048 passes the length check and reaches RGW (which refuses the unsigned extra parameter).
        var exactly = url + "&pad=" + new string('p', 2048 - url.Length - 5);
        var atLimit = await Assert.ThrowsAsync<RequestFailedException>(() => StageAsync(exactly));
        Assert.Equal(SourceFailureKind.AccessDenied, AzureCopySourceErrors.From(atLimit)!.Kind);
    }
}
