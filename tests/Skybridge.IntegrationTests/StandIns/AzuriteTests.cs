using System.Net;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.StandIns;

/// <summary>Azurite (https, OAuth "basic") takes keyless tokens from the stand-in and checks their expiry.</summary>
[Collection("sandbox")]
public sealed class AzuriteTests(SandboxFixture f)
{
    private const string StorageAudience = "https://storage.azure.com";

    private BlobServiceClient Service(TokenCredential credential)
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        return new BlobServiceClient(new Uri(f.BlobEndpoint), credential, options);
    }

    // Azurite answers 403 AuthenticationFailed where Azure Storage answers 401 InvalidAuthenticationInfo.
    private static void AssertAuthenticationFailed(RequestFailedException e)
    {
        Assert.Equal((int)HttpStatusCode.Forbidden, e.Status);
        Assert.Equal("AuthenticationFailed", e.ErrorCode);
    }

    private static string NewContainerName() => "standin-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Expired_storage_token_is_refused()
    {
        var expired = await f.MintTokenAsync(StorageAudience, expOffset: -300);
        var cred = new StaticTokenCredential(expired, DateTimeOffset.UtcNow.AddHours(1)); // lie: the SDK must not refresh it
        var e = await Assert.ThrowsAsync<RequestFailedException>(() => Service(cred).CreateBlobContainerAsync(NewContainerName()));
        AssertAuthenticationFailed(e);
        Assert.True(cred.Calls >= 1);
    }

    [Fact]
    public async Task Fresh_minted_storage_token_creates_a_container()
    {
        var fresh = await f.MintTokenAsync(StorageAudience);
        Assert.StartsWith("https://sts.windows.net/", StandInTestSupport.Claims(fresh).GetProperty("iss").GetString());
        var service = Service(new StaticTokenCredential(fresh, DateTimeOffset.UtcNow.AddMinutes(50)));
        var name = NewContainerName();
        var container = (await service.CreateBlobContainerAsync(name)).Value;
        try
        {
            Assert.True((await container.ExistsAsync()).Value);
        }
        finally
        {
            await container.DeleteIfExistsAsync();
        }
    }

    [Fact]
    public async Task ManagedIdentityCredential_storage_token_uploads_and_reads_a_blob()
    {
        BlobServiceClient service;
        using (EnvScope.ForAzureIdentity(new Dictionary<string, string?>
               {
                   ["IDENTITY_ENDPOINT"] = f.Env["IDENTITY_ENDPOINT"],
                   ["IDENTITY_HEADER"] = f.Env["IDENTITY_HEADER"],
               }))
        {
            var cred = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(await f.IsolatedIdentityAsync()));
            var token = await cred.GetTokenAsync(new TokenRequestContext([StorageAudience + "/.default"]));
            Assert.Equal(StorageAudience, StandInTestSupport.Claims(token.Token).GetProperty("aud").GetString());
            service = Service(cred); // the credential caches the token: env changes afterwards do not matter
        }
        var container = (await service.CreateBlobContainerAsync(NewContainerName())).Value;
        try
        {
            var blob = container.GetBlobClient("hello.txt");
            await blob.UploadAsync(BinaryData.FromString("hello from the sandbox"));
            Assert.Equal("hello from the sandbox", (await blob.DownloadContentAsync()).Value.Content.ToString());
        }
        finally
        {
            await container.DeleteIfExistsAsync();
        }
    }

    [Fact]
    public async Task Token_for_a_non_storage_audience_is_refused()
    {
        var token = await f.MintTokenAsync(f.Audience); // federation token: wrong aud and iss for storage
        var e = await Assert.ThrowsAsync<RequestFailedException>(() =>
            Service(new StaticTokenCredential(token, DateTimeOffset.UtcNow.AddMinutes(50))).CreateBlobContainerAsync(NewContainerName()));
        AssertAuthenticationFailed(e);
    }
}
