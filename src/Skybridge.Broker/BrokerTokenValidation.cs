using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Identity;

namespace Skybridge.Broker;

/// <summary>
/// The one place the token rules are built, for both hosts: the container host hands them to
/// JwtBearer, the Functions host (which cannot run the JwtBearer middleware) to the same
/// <see cref="JsonWebTokenHandler"/> JwtBearer uses. Signing keys come from the tenant's OIDC
/// discovery and JWKS (cached and refreshed by <see cref="ConfigurationManager{T}"/>); the issuer
/// must match exactly, the audience too, lifetime within a bounded skew, RS256 only, signed only.
/// </summary>
public sealed class BrokerTokenValidation
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public BrokerTokenValidation(BrokerSettings settings, HttpClient? metadataClient = null)
    {
        Settings = settings;
        var retriever = metadataClient is null ? new HttpDocumentRetriever() : new HttpDocumentRetriever(metadataClient);
        retriever.RequireHttps = !settings.AllowHttpMetadata;
        Configuration = new ConfigurationManager<OpenIdConnectConfiguration>(settings.MetadataAddress.ToString(), new OpenIdConnectConfigurationRetriever(), retriever);
        Parameters = new TokenValidationParameters
        {
            ConfigurationManager = Configuration,
            ValidateIssuer = true,
            ValidIssuer = settings.Issuer,
            ValidateAudience = true,
            ValidAudience = settings.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = settings.ClockSkew,
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidateIssuerSigningKey = true,
            NameClaimType = BrokerClaims.ObjectId,
            RoleClaimType = BrokerClaims.Roles,
            // Never put the token into the principal or into exception text.
            SaveSigninToken = false,
            LogValidationExceptions = false,
        };
    }

    public BrokerSettings Settings { get; }
    public ConfigurationManager<OpenIdConnectConfiguration> Configuration { get; }
    public TokenValidationParameters Parameters { get; }

    /// <summary>Validates a bearer token (the Functions host; the container host runs JwtBearer with <see cref="Parameters"/>).</summary>
    public async Task<TokenCheck> ValidateAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token)) return TokenCheck.Missing;
        var result = await _handler.ValidateTokenAsync(token, Parameters).ConfigureAwait(false);
        if (!result.IsValid) return TokenCheck.Failed(TokenFailure.Describe(result.Exception, token));
        var principal = new ClaimsPrincipal(result.ClaimsIdentity);
        return ClaimsProblem(principal) is { } problem ? TokenCheck.Failed(problem) : TokenCheck.Valid(principal);
    }

    /// <summary>Checks beyond signature/iss/aud/lifetime: the tenant (<c>tid</c>) and a caller id. Null when fine.</summary>
    public string? ClaimsProblem(ClaimsPrincipal principal)
    {
        var tid = principal.FindFirst(BrokerClaims.TenantId)?.Value;
        if (!string.Equals(tid, Settings.TenantId, StringComparison.OrdinalIgnoreCase))
            return $"the token is from tenant {tid ?? "(no tid claim)"}, not the broker's tenant {Settings.TenantId}";
        return Caller.From(principal) is null ? "the token names no caller (no oid or sub claim)" : null;
    }
}

/// <summary>Outcome of validating a bearer token: a principal, or the reason it was refused.</summary>
public sealed record TokenCheck(ClaimsPrincipal? Principal, string? Reason)
{
    public static readonly TokenCheck Missing = new(null, "no bearer token: call with the Authorization header (Data Factory: Web activity authentication = managed identity, resource = the audience)");
    public static TokenCheck Valid(ClaimsPrincipal p) => new(p, null);
    public static TokenCheck Failed(string reason) => new(null, reason);
}

/// <summary>Turns IdentityModel's validation exceptions into a reason a caller can act on, without the token.</summary>
public static class TokenFailure
{
    /// <summary>
    /// The refused token's own aud/iss are named (IdentityModel keeps them out of its exceptions):
    /// read with <see cref="TokenClaims"/>, unvalidated, only to explain, shortened and escaped.
    /// </summary>
    public static string Describe(Exception? e, string? token)
    {
        TokenClaims? claims = null;
        if (token is not null && e is SecurityTokenInvalidAudienceException or SecurityTokenInvalidIssuerException)
        {
            try { claims = TokenClaims.Decode(token); }
            catch (SkybridgeException) { /* not a JWT: nothing to name */ }
        }
        return Describe(e, claims);
    }

    private static string Describe(Exception? e, TokenClaims? claims) => e switch
    {
        BrokerClaimsException c => c.Message,
        SecurityTokenInvalidAudienceException => $"the token's audience {Quote(claims?.Audience)} is not the broker's audience",
        SecurityTokenInvalidIssuerException => $"the token's issuer {Quote(claims?.Issuer)} is not the broker's issuer",
        SecurityTokenExpiredException x => $"the token expired at {x.Expires:yyyy-MM-ddTHH:mm:ssZ}",
        SecurityTokenNotYetValidException n => $"the token is not valid before {n.NotBefore:yyyy-MM-ddTHH:mm:ssZ}",
        SecurityTokenInvalidAlgorithmException => "the token is not signed with RS256",
        SecurityTokenSignatureKeyNotFoundException => "the token is signed with a key the tenant does not publish",
        SecurityTokenInvalidSignatureException s when s.Message.Contains("IDX10504", StringComparison.Ordinal) => "the token is unsigned",
        SecurityTokenInvalidSignatureException => "the token's signature does not verify against the tenant's signing keys",
        SecurityTokenNoExpirationException => "the token has no expiry",
        SecurityTokenMalformedException => "the token is not a well-formed JWT",
        // Discovery/JWKS unreachable: say so, it is not the caller's fault.
        InvalidOperationException o when o.Message.Contains("IDX20803", StringComparison.Ordinal) => "the broker could not fetch the tenant's signing keys",
        null => "the token was refused",
        _ => "the token was refused (" + e.GetType().Name + ")",
    };

    private static string Quote(string? value) => Escaped.Quote(value);
}
