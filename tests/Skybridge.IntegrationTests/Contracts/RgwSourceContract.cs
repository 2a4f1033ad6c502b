using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Location = Skybridge.Providers.S3.S3Location;
using Skybridge.Contracts;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using Skybridge.Providers.S3;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.IntegrationTests.Contracts;

/// <summary>The source contract against Ceph RGW: <see cref="S3ObjectSource"/> and <see cref="S3Presigner"/> over the sandbox, each test in a private prefix.</summary>
[Collection("sandbox")]
public sealed class RgwSourceContract(SandboxFixture sandbox) : SourceContract
{
    protected override Task<ISourceUnderTest> StartAsync() => Task.FromResult<ISourceUnderTest>(new Rgw(sandbox));

    internal sealed class Rgw(SandboxFixture sandbox) : ISourceUnderTest
    {
        private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
        private readonly IAmazonS3 _admin = sandbox.AdminS3();
        private readonly S3Endpoint _endpoint = new() { ServiceUrl = new Uri(sandbox.S3Endpoint) };
        private readonly AWSCredentials _credentials = new BasicAWSCredentials(sandbox.AdminAccessKey, sandbox.AdminSecretKey);
        private IAmazonS3? _client;

        /// <summary>
        /// The client the provider uses, built as the CLI builds it (S3Endpoint.CreateClient) but with the
        /// admin key: the contract is the provider's, the keyless chain has its own tests, and the role's
        /// policy (what it may read) is not what a source contract is about.
        /// </summary>
        private IAmazonS3 Client => _client ??= _endpoint.CreateClient(_credentials);

        public string Root { get; } = $"contract-{Guid.NewGuid():N}"[..21] + "/";
        public int ListPageSize => 1000; // S3ObjectSource asks for S3's maximum page (MaxKeys 1000)
        public int MinPartSize => 5 * 1024 * 1024;

        /// <summary>Measured (the part-size contract test): the sandbox's RGW ignores partNumber on HEAD and answers with the whole object, so S3ObjectSource returns null.</summary>
        public bool KnowsPartSizes => false;

        public IObjectSource Open(string prefix = "")
        {
            var location = new S3Location(sandbox.Bucket, Root + prefix);
            return new S3ObjectSource(Client, location) { Presigner = new S3Presigner(Client, location, _endpoint, _credentials) };
        }

        public async Task PutAsync(string key, byte[] data, SourceWrite? write = null)
        {
            var request = new PutObjectRequest { BucketName = sandbox.Bucket, Key = Root + key, InputStream = new MemoryStream(data), UseChunkEncoding = false };
            if (write is not null)
            {
                request.ContentType = write.ContentType;
                foreach (var (k, v) in write.Metadata) request.Metadata.Add(k, v);
                if (write.Tags.Count > 0) request.TagSet = write.Tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList();
            }
            await _admin.PutObjectAsync(request);
        }

        public async Task PutManyAsync(IReadOnlyCollection<string> keys)
            => await new ReliabilityKit(sandbox).PutAsync(Root, keys.ToDictionary(k => k, _ => new byte[] { 7 }, StringComparer.Ordinal));

        public Task PutMultipartAsync(string key, byte[] data, int[] partSizes) => sandbox.PutMultipartAsync(Root + key, data, partSizes);

        public async Task DeleteAsync(string key) => await _admin.DeleteObjectAsync(sandbox.Bucket, Root + key);

        /// <summary>As Azure would: a plain anonymous GET of the presigned URL.</summary>
        public async Task<byte[]> FetchAsync(PresignedUrl url) => await Http.GetByteArrayAsync(url.Url);

        public async ValueTask DisposeAsync()
        {
            await new ReliabilityKit(sandbox).CleanupAsync(Root);
            _admin.Dispose();
            _client?.Dispose();
        }
    }
}
