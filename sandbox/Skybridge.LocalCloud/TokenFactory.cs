// TEST STAND-IN — part of the local sandbox only, never shipped with Skybridge.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skybridge.LocalCloud;

/// <summary>What a token request asks for, before the admin settings are applied.</summary>
public sealed record TokenRequest(string Resource, string ClientId, string Subject);

/// <summary>
/// Builds Entra-ID-shaped access tokens (RS256 JWTs signed with <see cref="SigningKeys"/>).
/// v1 shape: header {alg, typ, kid, x5t}; claims aud, iss, iat, nbf, exp, appid, oid, sub, tid, ver.
/// </summary>
public sealed class TokenFactory(StandInOptions options, SigningKeys keys, StandInState state)
{
    /// <summary>Azure Storage's first-party application id.</summary>
    public const string StorageAppId = "e406a681-f3d4-42a8-90b6-c2b029497af1";

    /// <summary>Object id of the (one) system-assigned managed identity of the stand-in.</summary>
    public const string SystemAssignedPrincipalId = "3b6c9f0e-8a41-4d2b-b7e5-0c9d1e2f3a4b";
    /// <summary>Client (application) id of the system-assigned managed identity.</summary>
    public const string SystemAssignedClientId = "a1d0c6e5-2f4b-4c3a-9e8d-7b6a5c4d3e2f";

    /// <summary>Audience for an Entra resource or scope: "X/.default" becomes "X".</summary>
    public static string AudienceOf(string resourceOrScope)
    {
        var first = resourceOrScope.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        return first.EndsWith("/.default", StringComparison.Ordinal) ? first[..^"/.default".Length] : first;
    }

    /// <summary>Azure Storage audiences: tokens for them carry the sts.windows.net issuer (Azurite requires it).</summary>
    public static bool IsStorageAudience(string aud)
    {
        var a = aud.TrimEnd('/');
        if (a.Equals("https://storage.azure.com", StringComparison.OrdinalIgnoreCase) || a.Equals(StorageAppId, StringComparison.OrdinalIgnoreCase))
            return true;
        return Uri.TryCreate(a, UriKind.Absolute, out var u) && u.Scheme == "https" && u.AbsolutePath == "/"
            && u.Host.EndsWith(".blob.core.windows.net", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A stable GUID for a user-assigned identity / application, derived from its client id.</summary>
    public static string PrincipalIdFor(string clientId)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes("skybridge-localcloud-principal:" + clientId.ToLowerInvariant()));
        h[6] = (byte)((h[6] & 0x0F) | 0x50); // version 5-ish
        h[8] = (byte)((h[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(h.AsSpan(0, 16), bigEndian: true).ToString();
    }

    /// <summary>Issue a token for a token endpoint request, applying the admin settings.</summary>
    public IssuedToken Issue(TokenRequest req)
    {
        var s = state.SettingsFor(req.ClientId);
        var aud = AudienceOf(req.Resource);
        var storage = IsStorageAudience(aud);
        var version = storage ? 1 : s.TokenVersion; // Storage only accepts v1 tokens, whatever is asked.
        var iss = s.IssuerOverride ?? (storage ? StandInOptions.StorageIssuer
            : version == 2 ? options.FederationIssuerV2 : options.FederationIssuerV1);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var exp = now + s.LifetimeSeconds;
        var sub = s.SubjectOverride ?? req.Subject;
        var jwt = Sign(BuildClaims(s.AudienceOverride ?? aud, iss, sub, req.ClientId, now, exp, version), s.SignWithUnknownKey);
        state.CountIssued(req.ClientId);
        return new IssuedToken(jwt, exp, s.LifetimeSeconds, aud);
    }

    /// <summary>Mint an arbitrary token for tests (GET /admin/mint). Ignores the admin settings.</summary>
    public string Mint(string aud, string? sub, int? ttl, int? expOffset, bool rogue, string? iss, int version = 1, MintExtras? extras = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var exp = expOffset is { } off ? now + off : now + (ttl ?? 3600);
        var issuer = iss ?? (IsStorageAudience(aud) ? StandInOptions.StorageIssuer
            : version == 2 ? options.FederationIssuerV2 : options.FederationIssuerV1);
        var iat = Math.Min(now, exp - 1); // an already-expired token still has iat < exp
        var claims = BuildClaims(aud, issuer, sub ?? SystemAssignedPrincipalId, SystemAssignedClientId, iat, exp, version);
        if (extras?.NotBeforeOffset is { } nbf) claims["nbf"] = now + nbf;
        if (extras?.TenantId is { } tid) claims["tid"] = tid;
        if (extras?.Roles is { Length: > 0 } roles) claims["roles"] = new JsonArray([.. roles.Select(r => (JsonNode)r)]);
        return Sign(claims, rogue);
    }

    /// <summary>A federated credential (e.g. a Kubernetes service account token) for workload identity.</summary>
    public string FederatedAssertion(string subject, int ttl)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["aud"] = new JsonArray("api://AzureADTokenExchange"),
            ["iss"] = options.HttpBase + "/federation/",
            ["sub"] = subject,
            ["iat"] = now, ["nbf"] = now, ["exp"] = now + ttl,
        };
        return Sign(claims, rogue: false);
    }

    /// <summary>Checks signature (primary key) and expiry of a token this stand-in signed.</summary>
    public bool TryValidateOwnToken(string jwt, out JsonObject? claims, out string? error)
    {
        claims = null; error = null;
        var parts = jwt.Split('.');
        if (parts.Length != 3) { error = "not a JWT"; return false; }
        try
        {
            var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            if (!keys.Primary.Rsa.VerifyData(signed, Base64Url.Decode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            { error = "bad signature"; return false; }
            claims = JsonNode.Parse(Base64Url.Decode(parts[1]))!.AsObject();
            var exp = claims["exp"]?.GetValue<long>() ?? 0;
            if (exp <= DateTimeOffset.UtcNow.ToUnixTimeSeconds()) { error = "expired"; return false; }
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            error = "malformed: " + e.Message; return false;
        }
    }

    private static JsonObject BuildClaims(string aud, string iss, string sub, string clientId, long iat, long exp, int version)
    {
        var c = new JsonObject
        {
            ["aud"] = aud,
            ["iss"] = iss,
            ["iat"] = iat,
            ["nbf"] = iat,
            ["exp"] = exp,
        };
        if (version == 2) { c["azp"] = clientId; c["azpacr"] = "2"; }
        else { c["appid"] = clientId; c["appidacr"] = "2"; c["idp"] = iss; }
        c["oid"] = sub;
        c["sub"] = sub;
        c["tid"] = StandInOptions.TenantId;
        c["uti"] = Base64Url.Encode(RandomNumberGenerator.GetBytes(16));
        c["ver"] = version == 2 ? "2.0" : "1.0";
        return c;
    }

    private string Sign(JsonObject claims, bool rogue)
    {
        // kid/x5t always name the published key, so a rogue token is rejected for its signature,
        // not merely for an unknown kid.
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = keys.Primary.Kid, ["x5t"] = keys.Primary.Kid };
        var signingInput = Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToJsonString())) + "."
            + Base64Url.Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var key = rogue ? keys.Rogue : keys.Primary;
        var sig = key.Rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.Encode(sig);
    }
}

/// <summary>Optional claims of a minted test token: nbf seconds from now, another tid, app roles.</summary>
public sealed record MintExtras(int? NotBeforeOffset, string? TenantId, string[]? Roles);

public sealed record IssuedToken(string AccessToken, long ExpiresOn, int ExpiresIn, string Audience);
