using System.Text;
using System.Text.Json;

namespace Skybridge.Identity;

/// <summary>
/// The non-secret claims of a JWT that matter for federation, decoded without validation
/// (validation is STS's job; we only read claims to explain failures). Never holds the token.
/// </summary>
public sealed record TokenClaims
{
    /// <c>iss</c>: must equal the IAM OIDC provider's URL exactly (v1 https://sts.windows.net/&lt;tid&gt;/, v2 https://login.microsoftonline.com/&lt;tid&gt;/v2.0).
    public string? Issuer { get; init; }
    /// <c>aud</c> (several joined with commas): must be one of the OIDC provider's client ids.
    public string? Audience { get; init; }
    /// <c>sub</c>: for a managed identity its object (principal) id; what a trust policy's <c>:sub</c> condition pins.
    public string? Subject { get; init; }
    /// <c>oid</c>: the identity's object id in the tenant.
    public string? ObjectId { get; init; }
    /// <c>appid</c> (v1) or <c>azp</c> (v2): the client id of the identity that asked for the token.
    public string? AppId { get; init; }
    /// <c>tid</c>: the tenant that issued the token.
    public string? TenantId { get; init; }
    /// <c>ver</c>: "1.0" or "2.0", the token format the app registration asks for.
    public string? Version { get; init; }
    /// <c>iat</c>, null when absent.
    public DateTimeOffset? IssuedAt { get; init; }
    /// <c>nbf</c>: STS refuses the token before this instant (clock skew shows here).
    public DateTimeOffset? NotBefore { get; init; }
    /// <c>exp</c>: STS refuses the token after this instant.
    public DateTimeOffset? ExpiresOn { get; init; }

    /// <summary>True for Entra v2 issuers (https://login.microsoftonline.com/&lt;tid&gt;/v2.0) or ver 2.0.</summary>
    public bool IsV2 => Version == "2.0" || (Issuer?.TrimEnd('/').EndsWith("/v2.0", StringComparison.Ordinal) ?? false);

    /// <summary>Decodes the payload; throws a usage error for anything that is not a JWT.</summary>
    public static TokenClaims Decode(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
            throw new SkybridgeException(ErrorKind.Auth, "The token is not a JWT (expected three dot-separated parts).",
                "Make sure the credential returns an Entra ID access token for the federation audience.");
        try
        {
            using var doc = JsonDocument.Parse(Base64UrlDecode(parts[1]));
            var root = doc.RootElement;
            return new TokenClaims
            {
                Issuer = Str(root, "iss"),
                Audience = root.TryGetProperty("aud", out var aud) && aud.ValueKind == JsonValueKind.Array
                    ? string.Join(",", aud.EnumerateArray().Select(a => a.GetString())) : Str(root, "aud"),
                Subject = Str(root, "sub"),
                ObjectId = Str(root, "oid"),
                AppId = Str(root, "appid") ?? Str(root, "azp"),
                TenantId = Str(root, "tid"),
                Version = Str(root, "ver"),
                IssuedAt = Time(root, "iat"),
                NotBefore = Time(root, "nbf"),
                ExpiresOn = Time(root, "exp"),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new SkybridgeException(ErrorKind.Auth, "The token's payload is not valid JSON: it is not an Entra ID access token.",
                "Check the credential source (--azure-credential) and the audience.");
        }
    }

    /// <summary>One line for logs and error messages: claims only, never the token.</summary>
    public override string ToString()
        => $"iss={Issuer} aud={Audience} sub={Subject} oid={ObjectId} appid={AppId} ver={Version} exp={ExpiresOn:u}";

    private static string? Str(JsonElement root, string name)
        => root.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString() : null;

    private static DateTimeOffset? Time(JsonElement root, string name)
        => root.TryGetProperty(name, out var v) && v.TryGetInt64(out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    private static byte[] Base64UrlDecode(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        s += (s.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        return Convert.FromBase64String(s);
    }
}
