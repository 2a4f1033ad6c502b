// TEST STAND-IN — part of the local sandbox only, never shipped with Skybridge.
using System.Text.Json.Nodes;

namespace Skybridge.LocalCloud;

/// <summary>
/// Managed identity token endpoints, as Azure.Identity's ManagedIdentityCredential calls them:
///  * App Service protocol (IDENTITY_ENDPOINT + IDENTITY_HEADER):
///      GET /msi/token?api-version=2019-08-01&amp;resource=R[&amp;client_id=C]  header X-IDENTITY-HEADER: secret
///  * IMDS protocol (AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:17090):
///      GET /metadata/identity/oauth2/token?api-version=2018-02-01&amp;resource=R  header Metadata: true
/// Without client_id the token is for the system-assigned identity; with client_id (or object_id /
/// mi_res_id) for a user-assigned identity whose object id is derived from that id.
/// </summary>
public static class ManagedIdentityEndpoints
{
    public static void Map(WebApplication app, StandInOptions o, TokenFactory tokens, StandInState state)
    {
        app.MapGet("/msi/token", (HttpRequest req) =>
        {
            if (!string.Equals(req.Headers["X-IDENTITY-HEADER"], o.IdentityHeader, StringComparison.Ordinal))
                return Error(401, "unauthorized", "missing or wrong X-IDENTITY-HEADER");
            if (FailWith(state, req) is > 0 and var f) return Error(f, "stand_in_failure", $"configured to fail with {f}");
            if (req.Query["resource"].ToString() is not { Length: > 0 } resource)
                return Error(400, "invalid_request", "resource is required");
            var (clientId, principal) = Identity(req);
            var t = tokens.Issue(new TokenRequest(resource, clientId, principal));
            return Results.Text(new JsonObject
            {
                ["access_token"] = t.AccessToken,
                ["expires_on"] = t.ExpiresOn.ToString(),
                ["resource"] = resource,
                ["token_type"] = "Bearer",
                ["client_id"] = clientId,
            }.ToJsonString(), "application/json");
        });

        // DefaultAzureCredential first probes IMDS without the Metadata header and treats only a
        // token (200) from a non-default host as "IMDS is here": so answer with or without it.
        app.MapGet("/metadata/identity/oauth2/token", (HttpRequest req) =>
        {
            if (FailWith(state, req) is > 0 and var f) return Error(f, "stand_in_failure", $"configured to fail with {f}");
            if (req.Query["resource"].ToString() is not { Length: > 0 } resource)
                return Error(400, "invalid_request", "Required query variable 'resource' is missing");
            var (clientId, principal) = Identity(req);
            var t = tokens.Issue(new TokenRequest(resource, clientId, principal));
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            return Results.Text(new JsonObject
            {
                ["access_token"] = t.AccessToken,
                ["refresh_token"] = "",
                ["expires_in"] = t.ExpiresIn.ToString(),
                ["expires_on"] = t.ExpiresOn.ToString(),
                ["ext_expires_in"] = t.ExpiresIn.ToString(),
                ["not_before"] = now.ToString(),
                ["resource"] = resource,
                ["token_type"] = "Bearer",
                ["client_id"] = clientId,
            }.ToJsonString(), "application/json");
        });
    }

    /// <summary>
    /// IMDS instance metadata (MSAL 4.8x probes it while choosing between IMDS v1 and v2 and retries a
    /// 404 with back-off for ~25 s). Like IMDS: 400 without "Metadata: true", else a small compute document.
    /// </summary>
    public static void MapInstanceMetadata(WebApplication app)
    {
        // IMDS v2 (certificate-bound tokens) is not offered: MSAL probes it first and falls back to v1.
        app.MapGet("/metadata/identity/getplatformmetadata", () =>
            Error(400, "invalid_request", "IMDS v2 is not supported by the stand-in"));
        app.MapGet("/metadata/instance/compute", (HttpRequest req) =>
            !string.Equals(req.Headers["Metadata"], "true", StringComparison.OrdinalIgnoreCase)
                ? Error(400, "bad_request", "Bad request. Required metadata header not specified")
                : Results.Text(new JsonObject
                {
                    ["azEnvironment"] = "AzurePublicCloud",
                    ["location"] = "localsandbox",
                    ["name"] = "skybridge-sandbox-vm",
                    ["osType"] = "Linux",
                    ["resourceGroupName"] = "skybridge-sandbox",
                    ["subscriptionId"] = "00000000-0000-0000-0000-000000000000",
                    ["vmId"] = "2f1d6c3b-7a5e-4b9d-8c0e-1a2b3c4d5e6f",
                    ["vmSize"] = "Standard_D2s_v5",
                }.ToJsonString(), "application/json"));
    }

    private static (string ClientId, string PrincipalId) Identity(HttpRequest req)
    {
        var userAssigned = FirstNonEmpty(req.Query["client_id"], req.Query["object_id"], req.Query["principal_id"],
            req.Query["mi_res_id"], req.Query["msi_res_id"]);
        return userAssigned is null
            ? (TokenFactory.SystemAssignedClientId, TokenFactory.SystemAssignedPrincipalId)
            : (userAssigned, TokenFactory.PrincipalIdFor(userAssigned));
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrEmpty(v));

    internal static IResult Error(int status, string error, string description) =>
        Results.Text(new JsonObject { ["error"] = error, ["error_description"] = description }.ToJsonString(),
            "application/json", statusCode: status);

    // failWith of the caller's scope (user-assigned client id), else the global one
    private static int FailWith(StandInState state, HttpRequest req)
    {
        var clientId = req.Query["client_id"].ToString();
        if (clientId.Length == 0 && req.HasFormContentType && req.Form.TryGetValue("client_id", out var f)) clientId = f.ToString();
        return state.SettingsFor(clientId.Length == 0 ? null : clientId).FailWith;
    }
}
