using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Skybridge.Identity;
using Skybridge.Tests.TestSupport;

namespace Skybridge.Tests.Identity;

public sealed class ContainerCredentialsServerTests : IAsyncLifetime
{
    private const string Token = "0123456789abcdef0123456789abcdef";
    private readonly CancellationTokenSource _stop = new();
    private ContainerCredentialsServer _server = null!;
    private Task _running = Task.CompletedTask;
    private readonly HttpClient _http = new();

    public Task InitializeAsync()
    {
        var credentials = new FederatedAwsCredentials(
            new FederationOptions { Audience = "api://app", RoleArn = "arn:aws:iam::123456789012:role/r" }, new FakeTokenCredential(), new FakeExchange());
        _server = new ContainerCredentialsServer(credentials, Token, IPAddress.Loopback, 0, false, NullLogger.Instance);
        _running = _server.RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    private HttpRequestMessage Request(string? authorization, string? host = null)
    {
        var r = new HttpRequestMessage(HttpMethod.Get, _server.Uri);
        if (authorization is not null) r.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (host is not null) r.Headers.Host = host;
        return r;
    }

    [Fact]
    public async Task Serves_credentials_in_the_container_format_with_the_token()
    {
        var response = await _http.SendAsync(Request(Token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("ASIAFAKE", doc.RootElement.GetProperty("AccessKeyId").GetString());
        Assert.StartsWith("session-token-", doc.RootElement.GetProperty("Token").GetString());
        Assert.EndsWith("Z", doc.RootElement.GetProperty("Expiration").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token-wrong-token-wrong-token")]
    public async Task Refuses_requests_without_the_authorization_token(string? authorization)
    {
        var response = await _http.SendAsync(Request(authorization));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("ASIA", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Refuses_foreign_host_headers()
    {
        var response = await _http.SendAsync(Request(Token, host: "attacker.example:" + _server.Port));
        // HttpListener itself answers 404 for a Host outside its prefix; our own check answers 400.
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.NotFound });
        Assert.DoesNotContain("ASIA", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Refuses_non_loopback_bind_unless_forced()
    {
        var e = Assert.Throws<SkybridgeException>(() => new ContainerCredentialsServer(
            new Amazon.Runtime.AnonymousAWSCredentials(), Token, IPAddress.Parse("10.1.2.3"), 0, false, NullLogger.Instance));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("--allow-non-loopback", e.Fix);
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        await _running;
        _server.Dispose();
        _http.Dispose();
    }
}
