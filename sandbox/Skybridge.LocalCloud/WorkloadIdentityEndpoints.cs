// TEST STAND-IN — part of the local sandbox only, never shipped with Skybridge.
using System.Text.Json.Nodes;

namespace Skybridge.LocalCloud;

/// <summary>
/// Workload identity federation, as WorkloadIdentityCredential (MSAL confidential client) calls it
/// with AZURE_AUTHORITY_HOST=https://127.0.0.1:17091 (https only, like Entra):
///   POST /{tid}/oauth2/v2.0/token  grant_type=client_credentials, client_id, scope,
///        client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer, client_assertion
/// The assertion must be a federated token minted by GET /admin/federated-assertion (signed by this
/// stand-in, not expired, aud api://AzureADTokenExchange).
/// </summary>
public static class WorkloadIdentityEndpoints
{
    private const string JwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    public static void Map(WebApplication app, TokenFactory tokens, StandInState state)
    {
        app.MapPost("/{tenant}/oauth2/v2.0/token", async (string tenant, HttpRequest req) =>
        {
            if (!req.IsHttps) return Error(400, "invalid_request", "AADSTS90100: the token endpoint is served over https only");
            if (!string.Equals(tenant, StandInOptions.TenantId, StringComparison.OrdinalIgnoreCase))
                return Error(400, "invalid_tenant", $"AADSTS90002: Tenant '{tenant}' not found.");
            if (!req.HasFormContentType) return Error(400, "invalid_request", "AADSTS900144: form body required");
            var form = await req.ReadFormAsync(); // before FailWith: it reads client_id from the form
            if (FailWith(state, req) is > 0 and var f) return Error(f, "stand_in_failure", $"configured to fail with {f}");
            if (form["grant_type"] != "client_credentials")
                return Error(400, "unsupported_grant_type", "AADSTS70003: only client_credentials is supported by the stand-in");
            var clientId = form["client_id"].ToString();
            var scope = form["scope"].ToString();
            if (clientId.Length == 0 || scope.Length == 0)
                return Error(400, "invalid_request", "AADSTS900144: client_id and scope are required");
            if (form["client_assertion_type"] != JwtBearer || form["client_assertion"].ToString() is not { Length: > 0 } assertion)
                return Error(401, "invalid_client", "AADSTS7000218: client_assertion (jwt-bearer) required");
            if (!tokens.TryValidateOwnToken(assertion, out var claims, out var why))
                return Error(401, "invalid_client", $"AADSTS700024: client assertion rejected ({why})");
            if (!AudienceContains(claims!["aud"], "api://AzureADTokenExchange"))
                return Error(401, "invalid_client", "AADSTS700212: client assertion audience must be api://AzureADTokenExchange");

            var t = tokens.Issue(new TokenRequest(scope, clientId, TokenFactory.PrincipalIdFor(clientId)));
            return Results.Text(new JsonObject
            {
                ["token_type"] = "Bearer",
                ["expires_in"] = t.ExpiresIn,
                ["ext_expires_in"] = t.ExpiresIn,
                ["access_token"] = t.AccessToken,
            }.ToJsonString(), "application/json");
        });
    }

    private static bool AudienceContains(JsonNode? aud, string expected) => aud switch
    {
        JsonArray a => a.Any(x => x?.GetValue<string>() == expected),
        JsonValue v => v.GetValue<string>() == expected,
        _ => false,
    };

    private static IResult Error(int status, string error, string description) =>
        Results.Text(new JsonObject
        {
            ["error"] = error,
            ["error_description"] = description,
            ["error_codes"] = new JsonArray(),
            ["timestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ssZ"),
        }.ToJsonString(), "application/json", statusCode: status);

    // failWith of the caller's scope (user-assigned client id), else the global one
    private static int FailWith(StandInState state, HttpRequest req)
    {
        var clientId = req.Query["client_id"].ToString();
        if (clientId.Length == 0 && req.HasFormContentType && req.Form.TryGetValue("client_id", out var f)) clientId = f.ToString();
        return state.SettingsFor(clientId.Length == 0 ? null : clientId).FailWith;
    }
}
