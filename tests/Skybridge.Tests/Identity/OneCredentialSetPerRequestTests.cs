using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Skybridge.Identity;

namespace Skybridge.Tests.Identity;

/// <summary>
/// The SDK's Signer reads credentials twice per request (token header, then access key); a refresh
/// landing in between used to send one session's token with another's access key. These credentials
/// land a refresh on every read, so without <see cref="OneCredentialSetPerRequest"/> every request
/// would be mixed.
/// </summary>
public partial class OneCredentialSetPerRequestTests
{
    [Fact]
    public async Task Each_request_carries_the_token_of_the_session_its_access_key_belongs_to()
    {
        OneCredentialSetPerRequest.Register();
        var credentials = new RotatingOnEveryRead();
        var wire = new CapturingHandler();
        using var s3 = new AmazonS3Client(credentials, new AmazonS3Config
        {
            ServiceURL = "http://127.0.0.1:1", ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            HttpClientFactory = new OneHandler(wire), MaxErrorRetry = 0,
        });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            for (var i = 0; i < 25; i++) await s3.GetObjectMetadataAsync("bucket", "key");
        }));

        Assert.Equal(200, wire.Requests.Count);
        Assert.True(credentials.Refreshes >= 200, $"only {credentials.Refreshes} refreshes: the credentials did not rotate as the test needs");
        Assert.All(wire.Requests, r => Assert.Equal(r.AccessKey.Replace("KEY", "TOKEN"), r.Token));
    }

    [Fact]
    public async Task A_retried_request_is_signed_again_with_the_current_set()
    {
        OneCredentialSetPerRequest.Register();
        var credentials = new RotatingOnEveryRead();
        var wire = new CapturingHandler { FailFirst = 2 };
        using var s3 = new AmazonS3Client(credentials, new AmazonS3Config
        {
            ServiceURL = "http://127.0.0.1:1", ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            HttpClientFactory = new OneHandler(wire), MaxErrorRetry = 3,
        });

        await s3.GetObjectMetadataAsync("bucket", "key");

        Assert.Equal(3, wire.Requests.Count);
        Assert.All(wire.Requests, r => Assert.Equal(r.AccessKey.Replace("KEY", "TOKEN"), r.Token));
        Assert.Equal(3, wire.Requests.Select(r => r.AccessKey).Distinct().Count()); // each attempt read the credentials afresh
    }

    /// <summary>Each read finds the credentials due and refreshes them synchronously, after it has taken the current set: the next read sees the next session.</summary>
    private sealed class RotatingOnEveryRead : RefreshingAWSCredentials
    {
        private int _n;
        public int Refreshes => Volatile.Read(ref _n);

        public RotatingOnEveryRead() => PreemptExpiryTime = TimeSpan.FromHours(1);

        protected override CredentialsRefreshState GenerateNewCredentials()
        {
            var n = Interlocked.Increment(ref _n);
            // Valid for a minute, but within the hour-long preempt window: every read starts a refresh.
            return new CredentialsRefreshState(new ImmutableCredentials($"KEY{n:D6}", "secret", $"TOKEN{n:D6}"), DateTime.UtcNow.AddMinutes(1));
        }

        protected override Task<CredentialsRefreshState> GenerateNewCredentialsAsync() => Task.FromResult(GenerateNewCredentials());
    }

    private sealed record SignedRequest(string AccessKey, string Token);

    private sealed partial class CapturingHandler : HttpMessageHandler
    {
        public readonly ConcurrentQueue<SignedRequest> Requests = new();
        public int FailFirst;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var authorization = request.Headers.TryGetValues("Authorization", out var a) ? a.Single() : "";
            var token = request.Headers.TryGetValues("x-amz-security-token", out var t) ? t.Single() : "";
            Requests.Enqueue(new SignedRequest(CredentialKey().Match(authorization).Groups[1].Value, token));
            var status = Interlocked.Decrement(ref FailFirst) >= 0 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK;
            var response = new HttpResponseMessage(status) { Content = new ByteArrayContent([]) };
            response.Headers.Add("x-amz-request-id", "test");
            response.Content.Headers.ContentLength = 0;
            return Task.FromResult(response);
        }

        [GeneratedRegex("Credential=([^/]+)/")]
        private static partial Regex CredentialKey();
    }

    private sealed class OneHandler(HttpMessageHandler handler) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);
    }
}
