using System.Net;
using System.Reflection;
using Amazon.S3;
using Amazon.S3.Model;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Skybridge.Identity;
using Skybridge.Setup.Doctor;
using Skybridge.Tests.TestSupport;

namespace Skybridge.Tests.Doctor;

/// <summary>A TokenCredential that always throws the given exception.</summary>
internal sealed class ThrowingCredential(Exception error) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw error;
    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw error;
}

/// <summary>Serves fixed answers per URL; anything else is "connection refused".</summary>
internal sealed class FakeHttp(Dictionary<string, (HttpStatusCode Status, string Body)> answers) : HttpMessageHandler
{
    public List<string> Requested { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!.ToString();
        Requested.Add(url);
        if (!answers.TryGetValue(url, out var a)) throw new HttpRequestException("Connection refused (127.0.0.1:1)");
        return Task.FromResult(new HttpResponseMessage(a.Status) { Content = new StringContent(a.Body) });
    }
}

/// <summary>
/// IAmazonS3 stand-in built with DispatchProxy: ListObjectsV2Async / GetObjectAsync / GetObjectMetadataAsync
/// are answered by delegates; any other call fails the test.
/// </summary>
public class FakeS3 : DispatchProxy
{
    internal Func<ListObjectsV2Request, ListObjectsV2Response> List { get; set; } = _ => new ListObjectsV2Response();
    internal Func<GetObjectRequest, GetObjectResponse> Get { get; set; } = _ => new GetObjectResponse { ResponseStream = new MemoryStream([42]) };
    internal List<string> Calls { get; } = [];
    /// <summary>A real client on the session credentials, for presigning (no network involved).</summary>
    internal IAmazonS3? Real { get; set; }

    internal static (IAmazonS3 Client, FakeS3 Fake) Create()
    {
        var client = DispatchProxy.Create<IAmazonS3, FakeS3>();
        return (client, (FakeS3)(object)client);
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        Calls.Add(method!.Name);
        return method.Name switch
        {
            "ListObjectsV2Async" => Task.FromResult(List((ListObjectsV2Request)args![0]!)),
            "GetObjectAsync" when args![0] is GetObjectRequest r => Task.FromResult(Get(r)),
            "GetPreSignedURLAsync" => Real!.GetPreSignedURLAsync((GetPreSignedUrlRequest)args![0]!),
            "Dispose" => null,
            _ => throw new NotSupportedException("FakeS3 does not implement " + method.Name),
        };
    }

    internal static AmazonS3Exception Error(string code, HttpStatusCode status, string message = "Access Denied")
        => new(message, Amazon.Runtime.ErrorType.Sender, code, "req-1", status);
}

/// <summary>A container whose GetProperties / Upload / Delete answer as configured.</summary>
internal sealed class FakeContainer(RequestFailedException? properties = null, RequestFailedException? upload = null, RequestFailedException? deleteContainer = null) : BlobContainerClient
{
    public List<string> Uploaded { get; } = [];
    public List<string> Deleted { get; } = [];
    public List<BlobRequestConditions?> ContainerDeletes { get; } = [];

    /// <summary>Doctor's conditional Delete Container probe: answers <c>deleteContainer</c> (a real container would be deleted, so no default).</summary>
    public override Task<Response> DeleteAsync(BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        ContainerDeletes.Add(conditions);
        throw (Exception?)deleteContainer ?? new InvalidOperationException("unexpected Delete Container");
    }
    public override Uri Uri => new("https://acct.blob.core.windows.net/dest");

    public override Task<Response<BlobContainerProperties>> GetPropertiesAsync(BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
        => properties is null
            ? Task.FromResult(Response.FromValue(BlobsModelFactory.BlobContainerProperties(DateTimeOffset.UnixEpoch, new ETag("e")), null!))
            : throw properties;

    public override BlobClient GetBlobClient(string blobName) => new FakeBlob(this, blobName, upload);

    private sealed class FakeBlob(FakeContainer owner, string name, RequestFailedException? upload) : BlobClient
    {
        public override string Name => name;

        public override Task<Response<BlobContentInfo>> UploadAsync(BinaryData content, bool overwrite = false, CancellationToken cancellationToken = default)
        {
            if (upload is not null) throw upload;
            owner.Uploaded.Add(name);
            return Task.FromResult(Response.FromValue(BlobsModelFactory.BlobContentInfo(new ETag("e"), DateTimeOffset.UnixEpoch, null, null, null, null, 0), null!));
        }

        public override Task<Response<bool>> DeleteIfExistsAsync(DeleteSnapshotsOption snapshotsOption = DeleteSnapshotsOption.None, BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
        {
            owner.Deleted.Add(name);
            return Task.FromResult(Response.FromValue(true, null!));
        }
    }
}

internal static class DoctorSetup
{
    public const string Audience = "api://aws_azure_federate";
    public const string RoleArn = "arn:aws:iam::123456789012:role/reader";

    public static FederationOptions Options(AzureCredentialKind kind = AzureCredentialKind.ManagedIdentity) => new()
    {
        Audience = Audience, RoleArn = RoleArn, Azure = new AzureCredentialOptions { Kind = kind },
    };

    /// <summary>Hands out federation tokens from <paramref name="federation"/> and storage tokens (v1, storage audience).</summary>
    public static FakeTokenCredential Credential(Func<string>? federation = null)
    {
        FakeTokenCredential? self = null;
        self = new FakeTokenCredential(() => self!.LastScope == Skybridge.Setup.Doctor.Checks.StorageTokenCheck.Scope
            ? FakeJwt.Create(aud: "https://storage.azure.com", sub: "mi")
            : (federation ?? (() => FakeJwt.Create(aud: Audience, sub: "mi")))());
        return self;
    }

    public static readonly Skybridge.Providers.S3.S3Endpoint Endpoint = new() { ServiceUrl = new Uri("http://127.0.0.1:17080") };

    public static DoctorContext Context(TokenCredential? credential = null, IWebIdentityExchange? exchange = null, string? src = null, string? dst = null,
        IAmazonS3? s3 = null, FakeContainer? container = null, string? expectedIssuer = null, HttpMessageHandler? http = null, bool writeProbe = true)
        => new()
        {
            Federation = Options(),
            AzureCredential = credential ?? Credential(),
            Exchange = exchange ?? new FakeExchange(),
            Source = src is null ? null : Skybridge.Providers.S3.S3Location.Parse(src),
            Destination = dst is null ? null : Skybridge.Providers.AzureBlob.BlobLocation.Parse(dst),
            S3Endpoint = Endpoint,
            S3ClientFactory = s3 is null ? null : credentials =>
            {
                ((FakeS3)(object)s3).Real ??= Endpoint.CreateClient(credentials);
                return s3;
            },
            ContainerFactory = container is null ? null : (_, _) => container,
            ExpectedIssuer = expectedIssuer,
            Http = new HttpClient(http ?? new FakeHttp([])),
            WriteProbe = writeProbe,
        };

    public static Task<DoctorReport> Run(DoctorContext context) => DoctorRunner.RunAsync(DoctorChecks.All(), context);
}
