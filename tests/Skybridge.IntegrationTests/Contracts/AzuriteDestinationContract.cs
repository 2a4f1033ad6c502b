using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Skybridge.Providers.AzureBlob;
using Skybridge.Contracts;
using Skybridge.IntegrationTests.Sandbox;
using Skybridge.IntegrationTests.StandIns;
using Skybridge.Transfer;

namespace Skybridge.IntegrationTests.Contracts;

/// <summary>
/// The destination contract against Azurite (https + OAuth, keyless: a storage token from the
/// Entra stand-in), one private container per test. Azurite cannot fetch external URLs, so the
/// from-URL calls go to the copy-from-URL shim in front of the same Azurite, and fetch from RGW
/// with URLs <see cref="Skybridge.Providers.S3.S3Presigner"/> signs.
/// </summary>
[Collection("sandbox")]
public sealed partial class AzuriteDestinationContract(SandboxFixture sandbox) : DestinationContract
{
    protected override async Task<IDestinationUnderTest> StartAsync()
    {
        var token = await sandbox.MintTokenAsync("https://storage.azure.com");
        return new Azurite(sandbox, new StaticTokenCredential(token, DateTimeOffset.UtcNow.AddMinutes(50)));
    }

    private sealed class Azurite(SandboxFixture sandbox, TokenCredential credential) : IDestinationUnderTest
    {
        private readonly string _container = $"contract-{Guid.NewGuid():N}";
        private readonly RgwSourceContract.Rgw _source = new(sandbox);

        /// <summary>
        /// AzureBlobDestination asks for Azure's largest page (5,000); the page policy below asks
        /// Azurite for 7 instead, so paging is crossed with 15 blobs rather than 5,001.
        /// </summary>
        public int ListPageSize => SmallPages.PageSize;

        private string Url(string baseUrl, string prefix)
            => $"{new Uri(baseUrl).GetLeftPart(UriPartial.Authority)}/{BlobLocation.Parse(sandbox.DestUrl).AccountName}/{_container}/{prefix}";

        public IBlobDestination Open(string prefix = "")
        {
            var location = BlobLocation.Parse(Url(sandbox.DestUrl, prefix));
            var direct = AzureBlobDestination.Create(location, credential, configure: o => o.AddPolicy(new SmallPages(), HttpPipelinePosition.PerCall));
            var shim = AzureBlobDestination.Create(BlobLocation.Parse(Url(sandbox.Env["SANDBOX_SERVICE_DEST_URL"], prefix)), credential);
            return new AzureBlobDestination(direct.Container, location) { FromUrl = shim.FromUrl };
        }

        public async Task<UrlSource> PublishAsync(string key, byte[] data)
        {
            await _source.PutAsync(key, data);
            var source = _source.Open();
            var obj = await source.Capabilities.ListAfter!.GetAsync(_source.Root + key, CancellationToken.None)
                ?? throw new InvalidOperationException($"{key} was put but is not listed");
            return new UrlSource(obj, await source.Capabilities.Presigner!.PresignAsync(obj, CancellationToken.None));
        }

        public Task ChangeAsync(UrlSource source, byte[] data) => _source.PutAsync(source.Object.Key[_source.Root.Length..], data);

        public async ValueTask DisposeAsync()
        {
            try { await new BlobContainerClient(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"], _container).DeleteIfExistsAsync(); }
            catch (Exception) { /* best effort, like the other tests' cleanup */ }
            await _source.DisposeAsync();
        }
    }

    /// <summary>Rewrites List Blobs' maxresults (the SDK's page size hint) to a small page: Azurite pages with NextMarker as Azure does.</summary>
    private sealed partial class SmallPages : HttpPipelineSynchronousPolicy
    {
        [System.Text.RegularExpressions.GeneratedRegex(@"maxresults=\d+")]
        private static partial System.Text.RegularExpressions.Regex MaxResults();

        public const int PageSize = 7;

        public override void OnSendingRequest(HttpMessage message)
        {
            var uri = message.Request.Uri;
            if (!uri.Query.Contains("comp=list", StringComparison.Ordinal)) return;
            // Loud rather than vacuous: without the rewrite the paging test would pass on one page.
            if (!MaxResults().IsMatch(uri.Query)) throw new InvalidOperationException("List Blobs was sent without maxresults: the page-size rewrite did not apply");
            uri.Query = MaxResults().Replace(uri.Query, "maxresults=" + PageSize);
        }
    }
}
