using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Microsoft.AspNetCore.Builder;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Skybridge.Bench.Blackhole;

namespace Skybridge.Tests.Bench;

/// <summary>The blackhole sink, started in-process on a free loopback port (verification on unless asked).</summary>
public sealed class BlackholeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BlackholeServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    /// <summary>http://127.0.0.1:PORT/devstoreaccount1/</summary>
    public Uri BaseUri { get; }

    public HttpClient Http { get; } = new();

    /// <summary>A container client over the dev account's shared key (the blackhole ignores authentication).</summary>
    public BlobContainerClient Container(string name, Action<BlobClientOptions>? configure = null)
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        configure?.Invoke(options);
        var cs = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};BlobEndpoint={BaseUri}";
        return new BlobContainerClient(cs, name, options);
    }

    internal static async Task<BlackholeServer> StartAsync(bool verify = true)
    {
        var app = BlackholeHost.Build(new BlackholeOptions { Port = 0, Verify = verify });
        await app.StartAsync();
        return new BlackholeServer(app, new Uri(BlackholeHost.Addresses(app)[0].TrimEnd('/') + "/devstoreaccount1/"));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// The blackhole refuses a transactional Content-MD5 or x-ms-content-crc64 that does not match the
/// body, as Azure does (400 Md5Mismatch / Crc64Mismatch, nothing stored or staged), so the proof
/// tests can rely on it; with --no-verify it accepts anything (benchmarks only).
/// </summary>
public sealed class BlackholeTests : IAsyncLifetime
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the blackhole checks what it is told; ", 200)));
    private BlackholeServer _sink = null!;

    public async Task InitializeAsync()
    {
        _sink = await BlackholeServer.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await _sink.Http.PutAsync(new Uri(_sink.BaseUri, "c?restype=container"), null)).StatusCode);
    }

    public async Task DisposeAsync() => await _sink.DisposeAsync();

    private async Task<HttpResponseMessage> PutAsync(string target, byte[] body, string? md5 = null, string? crc64 = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(_sink.BaseUri, target)) { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
        if (md5 is not null) request.Content.Headers.TryAddWithoutValidation("Content-MD5", md5);
        if (crc64 is not null) request.Headers.TryAddWithoutValidation("x-ms-content-crc64", crc64);
        return await _sink.Http.SendAsync(request);
    }

    private static string Md5Of(byte[] b) => Convert.ToBase64String(MD5.HashData(b));

    private static string Crc64Of(byte[] b) => Convert.ToBase64String(Store.AzureCrc64Bytes(System.IO.Hashing.Crc64.HashToUInt64(System.IO.Hashing.Crc64ParameterSet.Nvme, b)));

    private static byte[] Flipped(byte[] b)
    {
        var copy = (byte[])b.Clone();
        copy[copy.Length / 2] ^= 0x01;
        return copy;
    }

    private async Task<HttpStatusCode> HeadAsync(string blob)
        => (await _sink.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(_sink.BaseUri, "c/" + blob)))).StatusCode;

    private async Task<string> BlockListAsync(string blob)
        => await _sink.Http.GetStringAsync(new Uri(_sink.BaseUri, $"c/{blob}?comp=blocklist&blocklisttype=all"));

    [Theory]
    [InlineData("md5")]
    [InlineData("crc64")]
    public async Task Put_Blob_with_the_right_transactional_checksum_is_stored(string kind)
    {
        var r = kind == "md5" ? await PutAsync("c/right", Body, md5: Md5Of(Body)) : await PutAsync("c/right", Body, crc64: Crc64Of(Body));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await HeadAsync("right"));
    }

    [Theory]
    [InlineData("md5", "Md5Mismatch")]
    [InlineData("crc64", "Crc64Mismatch")]
    public async Task Put_Blob_whose_body_differs_from_its_checksum_is_refused_and_not_stored(string kind, string code)
    {
        var flipped = Flipped(Body);
        var r = kind == "md5" ? await PutAsync("c/wrong", flipped, md5: Md5Of(Body)) : await PutAsync("c/wrong", flipped, crc64: Crc64Of(Body));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(code, r.Headers.GetValues("x-ms-error-code").Single());
        Assert.Equal(HttpStatusCode.NotFound, await HeadAsync("wrong"));
    }

    [Theory]
    [InlineData("md5", "Md5Mismatch")]
    [InlineData("crc64", "Crc64Mismatch")]
    public async Task Put_Block_whose_body_differs_from_its_checksum_is_refused_and_not_staged(string kind, string code)
    {
        var id = Uri.EscapeDataString(Convert.ToBase64String("block-0"u8.ToArray()));
        var flipped = Flipped(Body);
        var r = kind == "md5" ? await PutAsync($"c/b?comp=block&blockid={id}", flipped, md5: Md5Of(Body))
            : await PutAsync($"c/b?comp=block&blockid={id}", flipped, crc64: Crc64Of(Body));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(code, r.Headers.GetValues("x-ms-error-code").Single());
        Assert.DoesNotContain("<Block>", await BlockListAsync("b"));

        var ok = kind == "md5" ? await PutAsync($"c/b?comp=block&blockid={id}", Body, md5: Md5Of(Body))
            : await PutAsync($"c/b?comp=block&blockid={id}", Body, crc64: Crc64Of(Body));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Contains($"<Size>{Body.Length}</Size>", await BlockListAsync("b"));
    }

    [Fact]
    public async Task Both_transactional_checksums_at_once_are_refused()
    {
        var r = await PutAsync("c/both", Body, md5: Md5Of(Body), crc64: Crc64Of(Body));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await HeadAsync("both"));
    }

    [Fact]
    public async Task The_Azure_SDKs_crc64_structured_messages_are_checked_and_accepted()
    {
        // Azure.Storage.Blobs 12.30 sends a transactional CRC64 as a structured message (XSM/1.0), not as x-ms-content-crc64.
        var container = _sink.Container("c");
        var crc64 = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.StorageCrc64 };
        var blob = container.GetBlockBlobClient("sdk");
        await blob.StageBlockAsync(Convert.ToBase64String("block-0"u8.ToArray()), new MemoryStream(Body), new BlockBlobStageBlockOptions { TransferValidation = crc64 });
        Assert.Contains($"<Size>{Body.Length}</Size>", await BlockListAsync("sdk"));
        await container.GetBlockBlobClient("sdk-put").UploadAsync(new MemoryStream(Body), new BlobUploadOptions { TransferValidation = crc64 });
        Assert.Equal(Body.Length, (await container.GetBlobClient("sdk-put").GetPropertiesAsync()).Value.ContentLength);
        Assert.Contains($"\"crc64VerifiedBytes\":{2 * (Body.Length + 39)}", await _sink.Http.GetStringAsync(new Uri(_sink.BaseUri, "/_blackhole/stats")));
    }

    /// <summary>One structured message of one segment, as the SDK frames it (13-byte header, 10-byte segment header, segment CRC, message CRC).</summary>
    private static byte[] Framed(byte[] data, ulong crc)
    {
        var crcBytes = Store.AzureCrc64Bytes(crc);
        var m = new MemoryStream();
        var w = new BinaryWriter(m);
        w.Write((byte)1); w.Write((long)(13 + 10 + data.Length + 8 + 8)); w.Write((ushort)1); w.Write((ushort)1);
        w.Write((ushort)1); w.Write((long)data.Length); w.Write(data); w.Write(crcBytes); w.Write(crcBytes);
        return m.ToArray();
    }

    [Theory]
    [InlineData(false, HttpStatusCode.Created, null)]
    [InlineData(true, HttpStatusCode.BadRequest, "Crc64Mismatch")]
    public async Task A_structured_message_whose_data_changed_on_the_way_is_refused(bool flip, HttpStatusCode status, string? code)
    {
        var crc = System.IO.Hashing.Crc64.HashToUInt64(System.IO.Hashing.Crc64ParameterSet.Nvme, Body);
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(_sink.BaseUri, "c/framed")) { Content = new ByteArrayContent(Framed(flip ? Flipped(Body) : Body, crc)) };
        request.Headers.TryAddWithoutValidation("x-ms-structured-body", "XSM/1.0; properties=crc64");
        request.Headers.TryAddWithoutValidation("x-ms-structured-content-length", Body.Length.ToString());
        var r = await _sink.Http.SendAsync(request);
        Assert.Equal(status, r.StatusCode);
        Assert.Equal(code, r.Headers.TryGetValues("x-ms-error-code", out var v) ? v.Single() : null);
        Assert.Equal(flip ? HttpStatusCode.NotFound : HttpStatusCode.OK, await HeadAsync("framed"));
    }

    [Fact]
    public void Azure_crc64_is_crc64_nvme_least_significant_byte_first()
    {
        var check = "123456789"u8.ToArray();
        // The CRC-64/NVME check value, and what Azure.Storage's own CRC64 returns for the same bytes.
        Assert.Equal(0xae8b14860a799888UL, System.IO.Hashing.Crc64.HashToUInt64(System.IO.Hashing.Crc64ParameterSet.Nvme, check));
        var azure = StorageCrc64HashAlgorithm.Create();
        azure.Append(check);
        Assert.Equal(Convert.ToHexString(azure.GetCurrentHash()), Convert.ToHexString(Store.AzureCrc64Bytes(0xae8b14860a799888UL)));
        Assert.Equal("8898790A86148BAE", Convert.ToHexString(Store.AzureCrc64Bytes(0xae8b14860a799888UL)));
    }

    [Fact]
    public async Task With_verification_off_a_wrong_checksum_is_accepted()
    {
        await using var unchecked_ = await BlackholeServer.StartAsync(verify: false);
        Assert.Equal(HttpStatusCode.Created, (await unchecked_.Http.PutAsync(new Uri(unchecked_.BaseUri, "c?restype=container"), null)).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(unchecked_.BaseUri, "c/x")) { Content = new ByteArrayContent(Flipped(Body)) };
        request.Content.Headers.TryAddWithoutValidation("Content-MD5", Md5Of(Body));
        Assert.Equal(HttpStatusCode.Created, (await unchecked_.Http.SendAsync(request)).StatusCode);
        var stats = await unchecked_.Http.GetStringAsync(new Uri(unchecked_.BaseUri, "/_blackhole/stats"));
        Assert.Contains("\"md5VerifiedBytes\":0", stats);
    }
}

