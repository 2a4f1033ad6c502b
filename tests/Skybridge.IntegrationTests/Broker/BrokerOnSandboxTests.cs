using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amazon.S3.Model;
using Skybridge.Broker;
using Skybridge.Identity;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Broker;

/// <summary>
/// Issue 15: the broker end to end on the sandbox. A managed-identity token from the Entra
/// stand-in -> the broker (real Kestrel + JwtBearer) -> RGW's STS -> credentials the REAL AWS CLI
/// lists and reads S3 with; every refusal with its status and reason; a Trace-level log sweep.
/// </summary>
[Collection("sandbox")]
public sealed partial class BrokerOnSandboxTests(SandboxFixture sandbox) : IAsyncLifetime
{
    private readonly string _prefix = $"broker-tests/{Guid.NewGuid():N}/";
    private const string Content = "read with credentials from the broker\n";
    private readonly string _temp = Directory.CreateTempSubdirectory("skybridge-broker-it-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private SandboxFixture Sandbox => sandbox;

    /// <summary>A caller the broker allows (only the audience-trusting role), and one it does not know.</summary>
    private readonly string _allowed = Guid.NewGuid().ToString();
    private readonly string _stranger = Guid.NewGuid().ToString();
    /// <summary>Allowed by the broker to assume the pinned role, whose trust in RGW requires another sub: STS refuses.</summary>
    private readonly string _pinnedCaller = Guid.NewGuid().ToString();

    public async Task InitializeAsync()
    {
        using var admin = sandbox.AdminS3();
        await admin.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = _prefix + "object.txt", ContentBody = Content, UseChunkEncoding = false });
    }

    public async Task DisposeAsync()
    {
        using var admin = sandbox.AdminS3();
        await admin.DeleteObjectAsync(sandbox.Bucket, _prefix + "object.txt");
        _http.Dispose();
        Directory.Delete(_temp, recursive: true);
    }

    [Fact]
    public async Task Managed_identity_token_through_the_broker_gives_credentials_the_real_aws_cli_lists_and_reads_with()
    {
        // A user-assigned identity of its own: other test runs may change the stand-in's global settings.
        var clientId = await sandbox.IsolatedIdentityAsync();
        try
        {
            var token = await ManagedIdentityTokenAsync(clientId);
            var oid = TokenClaims.Decode(token).ObjectId!;
            await using var broker = await BrokerHost.StartAsync(BrokerHost.SandboxOptions(sandbox, BrokerHost.Grant(oid, sandbox.RoleArn)));

            using var response = await PostAsync(broker, token, "{}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
            var json = JsonNode.Parse(body)!.AsObject();
            // The shape the ADF Amazon S3 linked service's TemporarySecurityCredentials take.
            var keyId = json["accessKeyId"]!.GetValue<string>();
            var secret = json["secretAccessKey"]!.GetValue<string>();
            var session = json["sessionToken"]!.GetValue<string>();
            var expiration = json["expiration"]!.GetValue<DateTimeOffset>();
            Assert.Equal(sandbox.RoleArn, json["roleArn"]!.GetValue<string>());
            Assert.Equal(900, json["durationSeconds"]!.GetValue<int>());
            Assert.InRange(expiration, DateTimeOffset.UtcNow.AddSeconds(800), DateTimeOffset.UtcNow.AddSeconds(960));

            var env = new Dictionary<string, string?>
            {
                ["AWS_ACCESS_KEY_ID"] = keyId, ["AWS_SECRET_ACCESS_KEY"] = secret, ["AWS_SESSION_TOKEN"] = session,
                ["AWS_PROFILE"] = null, ["AWS_DEFAULT_REGION"] = "us-east-1",
                ["AWS_CONFIG_FILE"] = Path.Combine(_temp, "no-config"), ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_temp, "no-credentials"),
            };
            string[] endpoint = ["--endpoint-url", sandbox.S3Endpoint];
            var list = await sandbox.RunProcessAsync("/usr/bin/aws", [.. endpoint, "s3", "ls", $"s3://{sandbox.Bucket}/{_prefix}"], env);
            Assert.True(list.ExitCode == 0, list.Stderr);
            Assert.Contains("object.txt", list.Stdout);
            var read = await sandbox.RunProcessAsync("/usr/bin/aws", [.. endpoint, "s3", "cp", $"s3://{sandbox.Bucket}/{_prefix}object.txt", "-"], env);
            Assert.True(read.ExitCode == 0, read.Stderr);
            Assert.Equal(Content, read.Stdout);

            Assert.Contains($"issued a session for caller {oid}", broker.Log);
            AssertNoSecret(broker.Log, token, secret, session);
        }
        finally
        {
            await sandbox.ResetEntraAsync(clientId);
        }
    }

    /// <summary>One refusal: how to make the request, and the status and reason the broker must answer with.</summary>
    public sealed record Refusal(string Name, Func<BrokerOnSandboxTests, BrokerHost, Task<HttpRequestMessage>> Request, HttpStatusCode Status, string Reason);

    private static readonly Refusal[] Refusals =
    [
        new("no token", (t, b) => Task.FromResult(t.Request(b, null, "{}")), HttpStatusCode.Unauthorized, "no bearer token"),
        new("wrong audience", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync("api://some-other-api", t._allowed), "{}"),
            HttpStatusCode.Unauthorized, "audience 'api://some-other-api' is not the broker's audience"),
        new("wrong issuer", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed, iss: $"https://sts.windows.net/{t.Sandbox.TenantId}/"), "{}"),
            HttpStatusCode.Unauthorized, "is not the broker's issuer"),
        new("expired", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed, expOffset: -600), "{}"),
            HttpStatusCode.Unauthorized, "the token expired at"),
        new("not yet valid", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed, nbfOffset: 600), "{}"),
            HttpStatusCode.Unauthorized, "the token is not valid before"),
        new("unsigned (alg none)", async (t, b) => t.Request(b, Unsigned(await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed)), "{}"),
            HttpStatusCode.Unauthorized, "the token is unsigned"),
        new("signed by another key", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed, rogue: true), "{}"),
            HttpStatusCode.Unauthorized, "signature does not verify"),
        new("another tenant's issuer", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed,
                iss: t.Sandbox.Issuer.Replace(t.Sandbox.TenantId, OtherTenant), tid: OtherTenant), "{}"),
            HttpStatusCode.Unauthorized, "is not the broker's issuer"),
        new("another tenant's tid", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed, tid: OtherTenant), "{}"),
            HttpStatusCode.Unauthorized, $"the token is from tenant {OtherTenant}, not the broker's tenant"),
        new("caller not on the allow-list", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._stranger), "{}"),
            HttpStatusCode.Forbidden, "is not on the broker's allow-list"),
        new("role not allowed", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed), $$"""{"roleArn":"{{t.Sandbox.PinnedRoleArn}}"}"""),
            HttpStatusCode.Forbidden, "may not assume role"),
        new("oversized request", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed), "{\"roleArn\":\"" + new string('a', 10_000) + "\"}"),
            HttpStatusCode.RequestEntityTooLarge, "exceeds the broker's limit of 4096 bytes"),
        new("oversized headers", async (t, b) => WithHeader(t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed), "{}"), "X-Padding", new string('p', 20_000)),
            HttpStatusCode.RequestHeaderFieldsTooLarge, ""),
        new("unknown request field", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._allowed), """{"rolearn":"x"}"""),
            HttpStatusCode.BadRequest, "the request body is not"),
        new("STS trust refuses an allowed role", async (t, b) => t.Request(b, await t.Sandbox.MintTokenAsync(t.Sandbox.Audience, t._pinnedCaller), $$"""{"roleArn":"{{t.Sandbox.PinnedRoleArn}}"}"""),
            HttpStatusCode.Forbidden, "AWS STS refused the role"),
    ];

    private const string OtherTenant = "0d9e8f7a-1b2c-4d3e-8f4a-5b6c7d8e9f00";

    public static TheoryData<string> RefusalNames() => [.. Refusals.Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(RefusalNames))]
    public async Task Refuses_with_status_and_reason(string name)
    {
        var refusal = Refusals.Single(r => r.Name == name);
        await using var broker = await BrokerHost.StartAsync(Options());
        var (status, body, header, contentType, token) = await SendAsync(broker, refusal);
        Assert.True(status == refusal.Status, $"{name}: expected {refusal.Status}, got {status}: {body}");
        Assert.True(body.Contains(refusal.Reason, StringComparison.Ordinal), $"{name}: reason \"{refusal.Reason}\" not in {body}");
        if (status == HttpStatusCode.Unauthorized)
        {
            Assert.StartsWith("Bearer error=\"invalid_token\"", header);
            Assert.Contains(refusal.Reason, header);
        }
        if (status is not HttpStatusCode.RequestHeaderFieldsTooLarge) // Kestrel's own 431 has no body
        {
            Assert.Equal("application/problem+json", contentType);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("fix").GetString()), "a refusal without a fix");
        }
        Assert.DoesNotContain("accessKeyId", body);
        AssertNoSecret(body + header + broker.Log, token);
    }

    [Fact]
    public async Task A_flood_is_cut_off_with_429_per_caller_and_per_client_address()
    {
        var options = Options();
        options.PerCallerPerMinute = 3;
        await using (var broker = await BrokerHost.StartAsync(options))
        {
            var token = await sandbox.MintTokenAsync(sandbox.Audience, _allowed);
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 5; i++)
            {
                using var r = await PostAsync(broker, token, "{}");
                statuses.Add(r.StatusCode);
                if (r.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Assert.Contains("rate limit reached", await r.Content.ReadAsStringAsync());
                    Assert.True(r.Headers.RetryAfter?.Delta is { } d && d > TimeSpan.Zero, "429 without Retry-After");
                }
            }
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
            AssertNoSecret(broker.Log, token);
        }

        // Anonymous floods count against the client address before any token is checked.
        options = Options();
        options.PerIpPerMinute = 5;
        await using (var broker = await BrokerHost.StartAsync(options))
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 8; i++)
            {
                using var r = await _http.SendAsync(Request(broker, "not-a-token", "{}"));
                statuses.Add(r.StatusCode);
            }
            Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 5).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)), statuses);
            using var health = await _http.GetAsync(new Uri(broker.BaseAddress, BrokerApp.HealthPath));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode); // the health probe is not rate limited
        }
    }

    [Fact]
    public async Task Trace_level_log_sweep_of_every_path_finds_no_token_key_or_session_token()
    {
        var options = Options();
        options.PerIpPerMinute = 1000;
        await using var broker = await BrokerHost.StartAsync(options);
        var secrets = new List<string>();

        var good = await sandbox.MintTokenAsync(sandbox.Audience, _allowed);
        secrets.Add(good);
        using (var ok = await PostAsync(broker, good, "{}"))
        {
            var json = JsonNode.Parse(await ok.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            secrets.Add(json["secretAccessKey"]!.GetValue<string>());
            secrets.Add(json["sessionToken"]!.GetValue<string>());
        }
        foreach (var refusal in Refusals)
        {
            var (status, _, _, _, token) = await SendAsync(broker, refusal);
            Assert.True(status == refusal.Status, refusal.Name);
            if (token is not null) secrets.Add(token);
        }

        var log = broker.Log;
        Assert.Contains("trce", log); // the sweep really ran at Trace level
        Assert.Contains("issued a session for caller", log);
        Assert.Contains("refused caller", log);
        AssertNoSecret(log, [.. secrets]);
    }

    [Fact]
    public async Task Broker_refuses_to_start_with_an_http_discovery_document_unless_allowed()
    {
        var options = Options();
        options.AllowHttpMetadata = false;
        var e = Assert.Throws<SkybridgeException>(() => BrokerSettings.From(options));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("is not https", e.Message);
        Assert.Contains("AllowHttpMetadata", e.Fix);
        await Task.CompletedTask;
    }

    // --- helpers ---

    /// <summary>The allow-list of these tests: one caller for the audience-only role, one for the pinned role (which RGW's trust then refuses).</summary>
    private BrokerOptions Options() => BrokerHost.SandboxOptions(sandbox, BrokerHost.Grant(_allowed, sandbox.RoleArn), BrokerHost.Grant(_pinnedCaller, sandbox.PinnedRoleArn));

    private async Task<(HttpStatusCode Status, string Body, string Header, string? ContentType, string? Token)> SendAsync(BrokerHost broker, Refusal refusal)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = await refusal.Request(this, broker);
            var token = request.Headers.Authorization?.Parameter;
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request);
            }
            catch (HttpRequestException e) when (refusal.Status == HttpStatusCode.RequestHeaderFieldsTooLarge && attempt < 3 && e.InnerException is IOException)
            {
                // Kestrel answers 431 before it has read the whole header block and closes the socket with
                // bytes unread: the kernel then resets the connection, which can discard the 431 before
                // this client reads it ("the response ended prematurely"). Sent again, with a new token.
                continue;
            }
            using (response)
            {
                var header = response.Headers.WwwAuthenticate.ToString();
                return (response.StatusCode, await response.Content.ReadAsStringAsync(), header, response.Content.Headers.ContentType?.MediaType, token);
            }
        }
    }

    private HttpRequestMessage Request(BrokerHost broker, string? token, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, broker.CredentialsUri) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private Task<HttpResponseMessage> PostAsync(BrokerHost broker, string token, string body) => _http.SendAsync(Request(broker, token, body));

    private static HttpRequestMessage WithHeader(HttpRequestMessage request, string name, string value)
    {
        request.Headers.Add(name, value);
        return request;
    }

    /// <summary>The same claims with header {"alg":"none"} and no signature: what an attacker would try.</summary>
    private static string Unsigned(string jwt)
    {
        var header = Convert.ToBase64String("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8.ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return header + "." + jwt.Split('.')[1] + ".";
    }

    /// <summary>A token from the stand-in's App Service managed-identity endpoint, as a Web activity gets one.</summary>
    private async Task<string> ManagedIdentityTokenAsync(string clientId)
    {
        var url = $"{sandbox.Env["IDENTITY_ENDPOINT"]}?api-version=2019-08-01&resource={Uri.EscapeDataString(sandbox.Audience)}&client_id={clientId}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("X-IDENTITY-HEADER", sandbox.Env["IDENTITY_HEADER"]);
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")]
    private static partial Regex AnyJwt();

    private static void AssertNoSecret(string text, params string?[] secrets)
    {
        Assert.DoesNotMatch(AnyJwt(), text);
        foreach (var s in secrets)
        {
            if (string.IsNullOrEmpty(s)) continue;
            Assert.False(text.Contains(s, StringComparison.Ordinal), "a secret appears in the broker's output");
            // The payload alone identifies the token too (e.g. the unsigned variant reuses it).
            var parts = s.Split('.');
            if (parts.Length == 3) Assert.False(text.Contains(parts[1], StringComparison.Ordinal), "a token payload appears in the broker's output");
        }
    }
}
