using Azure.Storage;
using Skybridge.Providers.AzureBlob;
using Skybridge.Tests.Bench;
using Skybridge.Transfer;

namespace Skybridge.Tests.Blob;

/// <summary>x-ms-content-crc64: Azure's byte order, when it is sent, and the real Azure SDK's Put Block carrying it to a server that checks it as Azure does (the blackhole sink).</summary>
public class AzureCrc64Tests
{
    [Fact]
    public void Azure_takes_the_crc_least_significant_byte_first_as_its_own_hash_algorithm_returns_it()
    {
        var azure = StorageCrc64HashAlgorithm.Create();
        azure.Append("123456789"u8);
        var crc = Crc64.Of("123456789"u8);
        Assert.Equal(Convert.ToHexString(azure.GetCurrentHash()), Convert.ToHexString(AzureCrc64.Bytes(crc)));
        Assert.Equal("8898790A86148BAE", Convert.ToHexString(AzureCrc64.Bytes(crc)));
        Assert.Equal(crc, AzureCrc64.FromBytes(AzureCrc64.Bytes(crc)));
        Assert.Null(AzureCrc64.FromBytes(new byte[7]));
    }

    [Theory]
    [InlineData(null, "https://acct.blob.core.windows.net/c", true)]
    [InlineData("auto", "https://acct.dfs.core.windows.net/c", true)]
    [InlineData("auto", "https://acct.blob.core.usgovcloudapi.net/c", true)]
    [InlineData(null, "https://127.0.0.1:10000/devstoreaccount1/c", false)] // Azurite refuses it
    [InlineData(null, "http://acct.blob.core.windows.net/c", false)]
    [InlineData("on", "http://127.0.0.1:9/devstoreaccount1/c", true)]       // the blackhole sink checks it
    [InlineData("OFF", "https://acct.blob.core.windows.net/c", false)]
    public void Dest_crc64_auto_is_on_for_azure_storage_endpoints_only(string? value, string url, bool expected)
        => Assert.Equal(expected, AzureCrc64.Resolve(value, new Uri(url)));

    [Fact]
    public void A_bad_dest_crc64_value_is_a_usage_error_with_a_fix()
    {
        var e = Assert.Throws<SkybridgeException>(() => AzureCrc64.Resolve("yes", new Uri("https://a.blob.core.windows.net/c")));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("--dest-crc64 'yes'", e.Message);
        Assert.Contains("on or off", e.Fix);
    }

    [Fact]
    public async Task Put_Block_carries_the_crc_the_sink_checks_and_a_flipped_block_is_refused_and_never_staged()
    {
        await using var sink = await BlackholeServer.StartAsync(verify: true);
        var container = sink.Container("crc");
        await container.CreateIfNotExistsAsync();
        var destination = new AzureBlobDestination(container, BlobLocation.Parse(sink.BaseUri + "crc")) { ChecksCrc64 = true };
        Assert.Same(destination, destination.Capabilities.TransactionalCrc64);
        var data = new byte[300_000];
        new Random(3).NextBytes(data);
        var id = AzureBlockBlob.BlockId(0, "etag", data.Length);

        await destination.StageBlockAsync("b", id, data, Crc64.Of(data), CancellationToken.None);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => destination.StageBlockAsync("flipped", id, data, Crc64.Combine(Crc64.Of(data), new Crc64(1), 0), CancellationToken.None));
        Assert.Contains("Crc64Mismatch", e.ToString());

        Assert.Equal([new StagedBlock(id, data.Length)], await destination.GetUncommittedBlocksAsync("b", CancellationToken.None));
        Assert.Empty(await destination.GetUncommittedBlocksAsync("flipped", CancellationToken.None));
        Assert.Null(new AzureBlobDestination(container, BlobLocation.Parse(sink.BaseUri + "crc")).Capabilities.TransactionalCrc64); // off unless asked
    }
}
