// TEST STAND-IN — part of the local sandbox only, never shipped with Skybridge.
using System.Text.Json.Nodes;

namespace Skybridge.LocalCloud;

/// <summary>
/// Test control surface (loopback callers only):
///   POST /admin/settings[?clientId=C]  JSON {lifetimeSeconds, signWithUnknownKey, audienceOverride,
///        issuerOverride, tokenVersion, failWith, subjectOverride}  (partial update; with clientId only
///        tokens for that client id are affected, and they no longer see the global settings)
///   GET  /admin/settings[?clientId=C], POST /admin/reset[?clientId=C], GET /admin/stats[?clientId=C] {tokensIssued}
///   GET  /admin/mint?aud=&amp;sub=&amp;ttl=&amp;exp_offset=&amp;rogue=1&amp;iss=&amp;ver=2&amp;nbf_offset=&amp;tid=&amp;roles=a,b   raw JWT (text/plain)
///   GET  /admin/federated-assertion?sub=&amp;ttl=     content for AZURE_FEDERATED_TOKEN_FILE
///   GET  /admin/info      tenant, issuers, signing-cert thumbprint, identities
/// </summary>
public static class AdminEndpoints
{
    public static void Map(WebApplication app, StandInOptions o, SigningKeys keys, TokenFactory tokens, StandInState state)
    {
        var admin = app.MapGroup("/admin").AddEndpointFilter(async (ctx, next) =>
        {
            var ip = ctx.HttpContext.Connection.RemoteIpAddress;
            return ip is not null && System.Net.IPAddress.IsLoopback(ip) ? await next(ctx) : Results.StatusCode(403);
        });

        // ?clientId=C scopes settings/reset/stats to tokens for that (user-assigned) client id
        admin.MapPost("/settings", (SettingsPatch patch, string? clientId) =>
        {
            if (patch.TokenVersion is not (null or 1 or 2)) return Results.BadRequest("tokenVersion must be 1 or 2");
            if (patch.LifetimeSeconds is <= 0) return Results.BadRequest("lifetimeSeconds must be positive");
            return Results.Json(state.Apply(patch, clientId));
        });
        admin.MapGet("/settings", (string? clientId) => Results.Json(state.SettingsFor(clientId)));
        admin.MapPost("/reset", (string? clientId) => { state.Reset(clientId); return Results.Json(state.SettingsFor(clientId)); });
        admin.MapGet("/stats", (string? clientId) => Results.Json(new { tokensIssued = state.TokensIssued(clientId) }));

        // nbf_offset (seconds from now: a token not valid yet), tid (another tenant's token) and roles
        // (app roles, comma-separated) exist for token-validation tests such as the broker's.
        admin.MapGet("/mint", (string aud, string? sub, int? ttl, int? exp_offset, string? rogue, string? iss, int? ver, int? nbf_offset, string? tid, string? roles) =>
            Results.Text(tokens.Mint(aud, sub, ttl, exp_offset, rogue is "1" or "true", iss, ver ?? 1,
                new MintExtras(nbf_offset, tid, roles?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))), "text/plain"));

        admin.MapGet("/federated-assertion", (string? sub, int? ttl) =>
            Results.Text(tokens.FederatedAssertion(sub ?? "system:serviceaccount:skybridge:skybridge", ttl ?? 3600), "text/plain"));

        admin.MapGet("/info", () => Results.Text(new JsonObject
        {
            ["tenantId"] = StandInOptions.TenantId,
            ["federationIssuer"] = o.FederationIssuerV1,
            ["federationIssuerV2"] = o.FederationIssuerV2,
            ["storageIssuer"] = StandInOptions.StorageIssuer,
            ["signingKid"] = keys.Primary.Kid,
            ["signingThumbprint"] = keys.Primary.ThumbprintHex,
            ["systemAssignedPrincipalId"] = TokenFactory.SystemAssignedPrincipalId,
            ["systemAssignedClientId"] = TokenFactory.SystemAssignedClientId,
        }.ToJsonString(), "application/json"));
    }
}
