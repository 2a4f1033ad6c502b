using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Azure.Core;
using Azure.Identity;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.StandIns;

/// <summary>
/// Ceph RGW's STS really validates Entra-shaped tokens from the stand-in: issuer discovery, JWKS
/// signature, expiry, audience and the role's trust policy (issue 2 acceptance).
/// </summary>
[Collection("sandbox")]
public sealed class RgwStsTests(SandboxFixture f)
{
    private async Task AssertRefusedAsync(string token, string? roleArn = null)
    {
        var e = await Assert.ThrowsAsync<AmazonSecurityTokenServiceException>(() => f.AssumeRoleAsync(token, roleArn));
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }

    [Fact]
    public async Task Minted_good_token_is_accepted_control_for_the_refusals()
    {
        var token = await f.MintTokenAsync(f.Audience);
        var r = await f.AssumeRoleAsync(token);
        Assert.False(string.IsNullOrEmpty(r.Credentials.SessionToken));
        Assert.Equal(f.ManagedIdentityPrincipalId, r.SubjectFromWebIdentityToken);
    }

    [Fact]
    public async Task Token_with_wrong_audience_is_refused()
    {
        var token = await f.MintTokenAsync("api://some-other-app");
        Assert.Equal("api://some-other-app", StandInTestSupport.Claims(token).GetProperty("aud").GetString());
        await AssertRefusedAsync(token);
    }

    [Fact]
    public async Task Expired_token_is_refused()
    {
        var token = await f.MintTokenAsync(f.Audience, expOffset: -120);
        var exp = StandInTestSupport.Claims(token).GetProperty("exp").GetInt64();
        Assert.True(exp < DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await AssertRefusedAsync(token);
    }

    [Fact]
    public async Task Token_signed_by_an_unknown_key_is_refused()
    {
        await AssertRefusedAsync(await f.MintTokenAsync(f.Audience, rogue: true));
    }

    [Fact]
    public async Task Token_from_an_unregistered_issuer_is_refused()
    {
        // the v2 issuer is served by the stand-in (discovery works) but not registered as a provider
        await AssertRefusedAsync(await f.MintTokenAsync(f.Audience, iss: f.Issuer + "v2.0"));
    }

    [Theory]
    [InlineData("signWithUnknownKey")]
    [InlineData("tokenVersion2")]
    [InlineData("audienceOverride")]
    public async Task Managed_identity_tokens_made_bad_by_stand_in_settings_are_refused(string mode)
    {
        object settings = mode switch
        {
            "signWithUnknownKey" => new { signWithUnknownKey = true },
            "tokenVersion2" => new { tokenVersion = 2 },
            _ => new { audienceOverride = "api://not-registered" },
        };
        var id = await f.IsolatedIdentityAsync();
        try
        {
            await f.ConfigureEntraAsync(settings, id);
            string token;
            using (EnvScope.ForAzureIdentity(AppServiceEnv()))
                token = (await new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(id))
                    .GetTokenAsync(new TokenRequestContext([f.Audience + "/.default"]))).Token;
            var claims = StandInTestSupport.Claims(token);
            if (mode == "tokenVersion2")
            {
                Assert.Equal("2.0", claims.GetProperty("ver").GetString());
                Assert.Equal($"{f.EntraUrl}/{f.TenantId}/v2.0", claims.GetProperty("iss").GetString());
            }
            await AssertRefusedAsync(token);
        }
        finally
        {
            await f.ResetEntraAsync(id);
        }
    }

    // a prefix of our own: the listing must not depend on what other tests put in the shared bucket
    private ListObjectsV2Request ListRequest() => new() { BucketName = f.Bucket, Prefix = "standin-tests/", MaxKeys = 10 };

    private Dictionary<string, string?> AppServiceEnv() => new()
    {
        ["IDENTITY_ENDPOINT"] = f.Env["IDENTITY_ENDPOINT"],
        ["IDENTITY_HEADER"] = f.Env["IDENTITY_HEADER"],
    };

    [Fact]
    public async Task ManagedIdentityCredential_app_service_token_is_accepted_and_its_credentials_read_the_bucket()
    {
        // a user-assigned identity of its own: immune to MSAL's process-wide token cache and to
        // settings other test runs may have made on the shared stand-in
        var id = await f.IsolatedIdentityAsync();
        AccessToken token;
        using (EnvScope.ForAzureIdentity(AppServiceEnv()))
            token = await new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(id))
                .GetTokenAsync(new TokenRequestContext([f.Audience + "/.default"]));
        await f.ResetEntraAsync(id);

        var claims = StandInTestSupport.Claims(token.Token);
        Assert.Equal(f.Audience, claims.GetProperty("aud").GetString());
        Assert.Equal(f.Issuer, claims.GetProperty("iss").GetString());
        Assert.Equal("1.0", claims.GetProperty("ver").GetString());
        Assert.Equal(id, claims.GetProperty("appid").GetString());

        var r = await f.AssumeRoleAsync(token.Token);
        var c = r.Credentials;
        using var s3 = f.S3Client(new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken));
        var list = await s3.ListObjectsV2Async(ListRequest());
        Assert.Equal(HttpStatusCode.OK, list.HttpStatusCode);
        // least privilege: the role can read the source bucket, not write to it. (Empty body on purpose:
        // RGW answers 403 without reading a request body and keeps the connection open, so the unread
        // body bytes would prefix the next request on that pooled connection: "xGET ..." -> 405.)
        var put = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = f.Bucket, Key = "standin-tests/must-not-exist.txt", ContentBody = "", UseChunkEncoding = false,
        }));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
    }

    [Fact]
    public async Task DefaultAzureCredential_over_imds_token_is_accepted()
    {
        var clientId = await f.IsolatedIdentityAsync(); // not in MSAL's process-wide cache: must go over IMDS
        string token;
        using (EnvScope.ForAzureIdentity(new Dictionary<string, string?> { ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = f.EntraUrl }))
            token = await IsolatedAzureIdentity.DefaultAzureCredentialTokenAsync(f.Audience + "/.default", clientId);
        var issued = await f.EntraTokensIssuedAsync(clientId);
        await f.ResetEntraAsync(clientId);

        var claims = StandInTestSupport.Claims(token);
        Assert.Equal(f.Audience, claims.GetProperty("aud").GetString());
        Assert.Equal(clientId, claims.GetProperty("appid").GetString());
        Assert.Equal(1, issued); // from the stand-in's IMDS endpoint
        var r = await f.AssumeRoleAsync(token);
        Assert.False(string.IsNullOrEmpty(r.Credentials.AccessKeyId));
    }

    [Fact]
    public async Task WorkloadIdentityCredential_over_https_token_is_accepted()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, await f.FederatedAssertionAsync());
            var clientId = await f.IsolatedIdentityAsync(); // isolated from global stand-in settings
            var cred = new WorkloadIdentityCredential(new WorkloadIdentityCredentialOptions
            {
                TenantId = f.TenantId,
                ClientId = clientId,
                TokenFilePath = file,
                AuthorityHost = new Uri(f.EntraHttpsUrl),
                DisableInstanceDiscovery = true,
            });
            var token = await cred.GetTokenAsync(new TokenRequestContext([f.Audience + "/.default"]));
            var claims = StandInTestSupport.Claims(token.Token);
            Assert.Equal(clientId, claims.GetProperty("appid").GetString());
            var r = await f.AssumeRoleAsync(token.Token);
            Assert.False(string.IsNullOrEmpty(r.Credentials.SessionToken));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Pinned_role_accepts_only_the_system_assigned_identity()
    {
        // minted (settings-independent) tokens: the system-assigned identity and another principal
        var system = await f.MintTokenAsync(f.Audience, sub: f.ManagedIdentityPrincipalId);
        var other = await f.MintTokenAsync(f.Audience, sub: Guid.NewGuid().ToString());

        Assert.NotNull((await f.AssumeRoleAsync(system, f.PinnedRoleArn)).Credentials);
        await AssertRefusedAsync(other, f.PinnedRoleArn);
        // the unpinned role trusts every identity with a token for the audience
        Assert.NotNull((await f.AssumeRoleAsync(other)).Credentials);
    }

    [Fact]
    public async Task S3_refuses_temporary_credentials_without_their_session_token()
    {
        var c = (await f.AssumeRoleAsync(await f.MintTokenAsync(f.Audience))).Credentials;
        using (var withToken = f.S3Client(new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken)))
        {
            try
            {
                Assert.Equal(HttpStatusCode.OK, (await withToken.ListObjectsV2Async(ListRequest())).HttpStatusCode);
            }
            catch (AmazonS3Exception ex)
            {
                Assert.Fail($"listing with the session token failed: {(int)ex.StatusCode} {ex.ErrorCode} {ex.Message}");
            }
        }

        using var withoutToken = f.S3Client(new BasicAWSCredentials(c.AccessKeyId, c.SecretAccessKey));
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => withoutToken.ListObjectsV2Async(ListRequest()));
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }
}
