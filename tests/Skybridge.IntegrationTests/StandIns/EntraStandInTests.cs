using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.StandIns;

/// <summary>The stand-in's own contract: OIDC documents, protocol checks, admin switches.</summary>
[Collection("sandbox")]
public sealed class EntraStandInTests(SandboxFixture f)
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Discovery_tolerates_the_double_slash_and_the_jwks_has_exactly_one_key_with_x5c()
    {
        // RGW appends "/.well-known/openid-configuration" to an issuer that ends in '/'
        var doc = await Http.GetFromJsonAsync<JsonElement>(f.Issuer + "/.well-known/openid-configuration");
        Assert.Equal(f.Issuer, doc.GetProperty("issuer").GetString());
        var jwks = await Http.GetFromJsonAsync<JsonElement>(doc.GetProperty("jwks_uri").GetString());
        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray());
        foreach (var p in new[] { "kid", "x5t", "n", "e" }) Assert.False(string.IsNullOrEmpty(key.GetProperty(p).GetString()));
        Assert.Single(key.GetProperty("x5c").EnumerateArray());

        var v2 = await Http.GetFromJsonAsync<JsonElement>($"{f.EntraUrl}/{f.TenantId}/v2.0/.well-known/openid-configuration");
        Assert.Equal($"{f.EntraUrl}/{f.TenantId}/v2.0", v2.GetProperty("issuer").GetString());
    }

    [Fact]
    public async Task Msi_endpoint_requires_the_identity_header()
    {
        var url = $"{f.Env["IDENTITY_ENDPOINT"]}?api-version=2019-08-01&resource={Uri.EscapeDataString(f.Audience)}";
        using var none = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { { "X-IDENTITY-HEADER", "wrong" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.SendAsync(wrong)).StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { { "X-IDENTITY-HEADER", f.Env["IDENTITY_HEADER"] } } };
        using var ok = await Http.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = await ok.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.True(long.Parse(body.GetProperty("expires_on").GetString()!) > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(f.ManagedIdentityClientId, body.GetProperty("client_id").GetString());
    }

    [Fact]
    public async Task Token_claims_look_like_entra_v1_and_storage_tokens_use_the_sts_issuer()
    {
        var fed = StandInTestSupport.Claims(await f.MintTokenAsync(f.Audience));
        Assert.Equal(f.Issuer, fed.GetProperty("iss").GetString());
        Assert.Equal(f.TenantId, fed.GetProperty("tid").GetString());
        Assert.Equal(fed.GetProperty("sub").GetString(), fed.GetProperty("oid").GetString());
        Assert.Equal("1.0", fed.GetProperty("ver").GetString());
        foreach (var c in new[] { "appid", "iat", "nbf", "exp" }) Assert.True(fed.TryGetProperty(c, out _), c);

        foreach (var aud in new[] { "https://storage.azure.com", "https://storage.azure.com/", "https://devstoreaccount1.blob.core.windows.net", "e406a681-f3d4-42a8-90b6-c2b029497af1" })
            Assert.Equal($"https://sts.windows.net/{f.TenantId}/", StandInTestSupport.Claims(await f.MintTokenAsync(aud)).GetProperty("iss").GetString());
    }

    [Fact]
    public async Task FailWith_makes_token_endpoints_fail_and_stats_count_issued_tokens_per_scope()
    {
        using var env = EnvScope.ForAzureIdentity(new Dictionary<string, string?>
        {
            ["IDENTITY_ENDPOINT"] = f.Env["IDENTITY_ENDPOINT"],
            ["IDENTITY_HEADER"] = f.Env["IDENTITY_HEADER"],
        });
        var ctx = new TokenRequestContext([f.Audience + "/.default"]);
        var id = await f.IsolatedIdentityAsync();
        try
        {
            // 500 as seen on the wire (Azure.Identity/MSAL would retry a 500 with back-off for ~20 s)
            await f.ConfigureEntraAsync(new { failWith = 500, lifetimeSeconds = 600 }, id);
            using (var raw = new HttpRequestMessage(HttpMethod.Get,
                       $"{f.Env["IDENTITY_ENDPOINT"]}?api-version=2019-08-01&resource={Uri.EscapeDataString(f.Audience)}&client_id={id}"))
            {
                raw.Headers.Add("X-IDENTITY-HEADER", f.Env["IDENTITY_HEADER"]);
                using var r = await Http.SendAsync(raw);
                Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
            }
            // a non-retried failure through Azure.Identity
            await f.ConfigureEntraAsync(new { failWith = 403 }, id);
            var options = new ManagedIdentityCredentialOptions(ManagedIdentityId.FromUserAssignedClientId(id));
            options.Retry.MaxRetries = 0;
            await Assert.ThrowsAsync<AuthenticationFailedException>(() => new ManagedIdentityCredential(options).GetTokenAsync(ctx).AsTask());
            Assert.Equal(0, await f.EntraTokensIssuedAsync(id));

            await f.ConfigureEntraAsync(new { failWith = 0 }, id);
            var token = await new ManagedIdentityCredential(options).GetTokenAsync(ctx);
            Assert.Equal(1, await f.EntraTokensIssuedAsync(id));
            var lifetime = token.ExpiresOn - DateTimeOffset.UtcNow;
            Assert.InRange(lifetime.TotalSeconds, 500, 600);
        }
        finally
        {
            await f.ResetEntraAsync(id);
        }
    }

    [Fact]
    public async Task Workload_identity_token_endpoint_refuses_a_forged_assertion()
    {
        var forged = await f.MintTokenAsync("api://AzureADTokenExchange", rogue: true);
        using var r = await Http.PostAsync($"{f.EntraHttpsUrl}/{f.TenantId}/oauth2/v2.0/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "5e7a3c1d-9b2f-4e6a-8c4d-1f2e3d4c5b6a",
            ["scope"] = f.Audience + "/.default",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = forged,
        }));
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("invalid_client", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }
}
