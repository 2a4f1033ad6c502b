using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skybridge.Broker;
using Skybridge.Diagnostics;
using Skybridge.Identity;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Broker;

/// <summary>
/// The Functions host's path (<see cref="BrokerRequestPipeline"/>: JsonWebTokenHandler with the
/// shared parameters, no JwtBearer middleware) against the same sandbox: it issues the same
/// credentials and refuses with the same statuses and reasons as the container host. The Functions
/// runtime itself does not run here; the function only hands its HttpContext to this pipeline.
/// </summary>
[Collection("sandbox")]
public sealed class FunctionsPathOnSandboxTests(SandboxFixture sandbox)
{
    private readonly string _allowed = Guid.NewGuid().ToString();
    private readonly StringWriter _log = new();

    private BrokerRequestPipeline Pipeline(int perCaller = 30)
    {
        var options = BrokerHost.SandboxOptions(sandbox, BrokerHost.Grant(_allowed, sandbox.RoleArn));
        options.PerCallerPerMinute = perCaller;
        var settings = BrokerSettings.From(options);
        var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new RedactingLoggerProvider(_log)));
        var broker = new CredentialBroker(settings, StsWebIdentityExchange.Create(settings.Region, settings.StsEndpoint), loggers.CreateLogger<CredentialBroker>());
        return new BrokerRequestPipeline(settings, new BrokerTokenValidation(settings), broker);
    }

    private static async Task<(int Status, string Body, string Challenge)> RunAsync(BrokerRequestPipeline pipeline, string? token, string body = "{}")
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().AddOptions().BuildServiceProvider() };
        http.Connection.RemoteIpAddress = IPAddress.Loopback;
        http.Request.Method = "POST";
        var bytes = Encoding.UTF8.GetBytes(body);
        http.Request.Body = new MemoryStream(bytes);
        http.Request.ContentLength = bytes.Length;
        http.Request.ContentType = "application/json";
        if (token is not null) http.Request.Headers.Authorization = "Bearer " + token;
        var response = new MemoryStream();
        http.Response.Body = response;
        var result = await pipeline.RunAsync(http, CancellationToken.None);
        await result.ExecuteAsync(http);
        return (http.Response.StatusCode, Encoding.UTF8.GetString(response.ToArray()), http.Response.Headers.WWWAuthenticate.ToString());
    }

    [Fact]
    public async Task Issues_credentials_that_read_s3_and_refuses_like_the_container_host()
    {
        var pipeline = Pipeline();
        var token = await sandbox.MintTokenAsync(sandbox.Audience, _allowed);
        var (status, body, _) = await RunAsync(pipeline, token);
        Assert.True(status == 200, body);
        var json = JsonNode.Parse(body)!;
        var credentials = new Amazon.Runtime.SessionAWSCredentials(
            json["accessKeyId"]!.GetValue<string>(), json["secretAccessKey"]!.GetValue<string>(), json["sessionToken"]!.GetValue<string>());
        using (var s3 = sandbox.S3Client(credentials))
            Assert.NotNull(await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = sandbox.Bucket, MaxKeys = 1 }));

        var wrongAudience = await RunAsync(pipeline, await sandbox.MintTokenAsync("api://some-other-api", _allowed));
        Assert.Equal(401, wrongAudience.Status);
        Assert.Contains("audience 'api://some-other-api' is not the broker's audience", wrongAudience.Body);
        Assert.StartsWith("Bearer error=\"invalid_token\"", wrongAudience.Challenge);

        var rogue = await RunAsync(pipeline, await sandbox.MintTokenAsync(sandbox.Audience, _allowed, rogue: true));
        Assert.Equal(401, rogue.Status);
        Assert.Contains("signature does not verify", rogue.Body);

        var stranger = await RunAsync(pipeline, await sandbox.MintTokenAsync(sandbox.Audience, Guid.NewGuid().ToString()));
        Assert.Equal(403, stranger.Status);
        Assert.Contains("is not on the broker's allow-list", stranger.Body);

        var missing = await RunAsync(pipeline, null);
        Assert.Equal(401, missing.Status);
        Assert.Contains("no bearer token", missing.Body);

        var large = await RunAsync(pipeline, token, "{\"roleArn\":\"" + new string('a', 5000) + "\"}");
        Assert.Equal(413, large.Status);

        Assert.DoesNotContain(token, _log.ToString());
        Assert.DoesNotContain(json["secretAccessKey"]!.GetValue<string>(), _log.ToString());
        Assert.DoesNotContain(json["sessionToken"]!.GetValue<string>(), _log.ToString());
        Assert.Contains("issued a session for caller " + _allowed, _log.ToString());
    }

    [Fact]
    public async Task A_flood_from_one_caller_gets_429()
    {
        var pipeline = Pipeline(perCaller: 2);
        var token = await sandbox.MintTokenAsync(sandbox.Audience, _allowed);
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++) statuses.Add((await RunAsync(pipeline, token)).Status);
        Assert.Equal([200, 200, 429, 429], statuses);
        var (_, body, _) = await RunAsync(pipeline, token);
        Assert.Contains("rate limit reached", body);
    }
}
