// TEST STAND-IN — part of the local sandbox only, never shipped with Skybridge.
using System.Text.Json.Nodes;

namespace Skybridge.LocalCloud;

/// <summary>
/// OpenID Connect discovery + JWKS, as a relying party (Ceph RGW's STS) reads them.
/// v1 issuer: http://127.0.0.1:17090/{tid}/   (trailing slash, like https://sts.windows.net/{tid}/)
/// v2 issuer: http://127.0.0.1:17090/{tid}/v2.0
/// RGW appends "/.well-known/openid-configuration" to the issuer, so for the v1 issuer it asks for
/// "/{tid}//.well-known/..." — the double slash is collapsed by <see cref="PathNormalization"/>.
/// </summary>
public static class OidcEndpoints
{
    public static void Map(WebApplication app, StandInOptions o, SigningKeys keys)
    {
        var t = StandInOptions.TenantId;
        app.MapGet($"/{t}/.well-known/openid-configuration", () =>
            Results.Text(Discovery(o, o.FederationIssuerV1, $"{o.HttpBase}/{t}/discovery/keys", $"/{t}/oauth2/token").ToJsonString(), "application/json"));
        app.MapGet($"/{t}/v2.0/.well-known/openid-configuration", () =>
            Results.Text(Discovery(o, o.FederationIssuerV2, $"{o.HttpBase}/{t}/discovery/v2.0/keys", $"/{t}/oauth2/v2.0/token").ToJsonString(), "application/json"));

        IResult Jwks() => Results.Text(JwksDocument(keys.Primary).ToJsonString(), "application/json");
        app.MapGet($"/{t}/discovery/keys", Jwks);
        app.MapGet($"/{t}/discovery/v2.0/keys", Jwks);
        app.MapGet("/common/discovery/keys", Jwks);
    }

    private static JsonObject Discovery(StandInOptions o, string issuer, string jwksUri, string tokenPath)
    {
        // Token endpoints are served over https (as Entra does) when a certificate is configured.
        var tokenBase = o.HttpsCertPem is null ? o.HttpBase : o.HttpsBase;
        return new JsonObject
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = jwksUri,
            ["token_endpoint"] = tokenBase + tokenPath,
            ["authorization_endpoint"] = tokenBase + tokenPath.Replace("/token", "/authorize"),
            ["response_types_supported"] = new JsonArray("code", "id_token", "code id_token", "token id_token", "token"),
            ["subject_types_supported"] = new JsonArray("pairwise"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "private_key_jwt", "client_secret_basic"),
            ["claims_supported"] = new JsonArray("sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "appid", "azp", "ver"),
            ["tenant_region_scope"] = "EU",
        };
    }

    /// <summary>Exactly ONE key: RGW Pacific reads only the first key and verifies with its x5c.</summary>
    private static JsonObject JwksDocument(SigningKey k)
    {
        var p = k.Rsa.ExportParameters(false);
        return new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["kid"] = k.Kid,
                ["x5t"] = k.Kid,
                ["n"] = Base64Url.Encode(p.Modulus),
                ["e"] = Base64Url.Encode(p.Exponent),
                ["x5c"] = new JsonArray(Convert.ToBase64String(k.Certificate.RawData)),
                ["issuer"] = "http://127.0.0.1/" + StandInOptions.TenantId, // informational only
            }),
        };
    }
}

/// <summary>Collapses repeated slashes in request paths ("/{tid}//.well-known" → "/{tid}/.well-known").</summary>
public static class PathNormalization
{
    public static void UseCollapsedSlashes(this WebApplication app) => app.Use((ctx, next) =>
    {
        var path = ctx.Request.Path.Value;
        if (path is not null && path.Contains("//", StringComparison.Ordinal))
        {
            while (path.Contains("//", StringComparison.Ordinal)) path = path.Replace("//", "/");
            ctx.Request.Path = path;
        }
        return next(ctx);
    });
}
