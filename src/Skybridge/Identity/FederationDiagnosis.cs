using System.Text.RegularExpressions;
using Amazon.Runtime;

namespace Skybridge.Identity;

/// <summary>
/// Turns an STS refusal into an actionable message. STS says little (often just AccessDenied),
/// so the diagnosis combines its error code and text with the token's non-secret claims and what
/// the user configured. The raw token never appears; only iss, aud, sub, oid, appid, ver, exp.
/// </summary>
public static partial class FederationDiagnosis
{
    /// <summary>Allowed difference between our clock and STS's before we call it clock skew.</summary>
    public static readonly TimeSpan ClockSkewTolerance = TimeSpan.FromMinutes(5);

    public static SkybridgeException Explain(AmazonServiceException error, TokenClaims claims, FederationOptions options, DateTimeOffset now)
    {
        var code = error.ErrorCode ?? "";
        var text = error.Message ?? "";
        var facts = $"Token claims: {claims}. Role: {options.RoleArn}.";

        SkybridgeException Fail(string what, string fix) => SkybridgeException.Auth($"STS refused AssumeRoleWithWebIdentity ({code}): {what} {facts}", fix);

        if (code is "ExpiredTokenException" || text.Contains("expired", StringComparison.OrdinalIgnoreCase))
        {
            if (claims.ExpiresOn is { } exp && exp <= now)
                return Fail($"the Entra token expired at {exp:u} (local time is {now:u}).", "Fetch a fresh token; if this repeats, the credential is handing out cached tokens past expiry.");
            return Fail($"STS considers the token expired but it is valid until {claims.ExpiresOn:u} by this host's clock ({now:u}): the clocks disagree.",
                "Synchronise this host's clock (NTP/chrony); STS tolerates only a few minutes of skew.");
        }

        if (text.Contains("DurationSeconds", StringComparison.OrdinalIgnoreCase) || text.Contains("MaxSessionDuration", StringComparison.OrdinalIgnoreCase))
            return Fail($"the requested duration of {options.Duration.TotalSeconds:0} s exceeds the role's maximum session duration.",
                "Lower --duration (minimum 900) or raise the role's MaxSessionDuration (up to 43200).");

        var audienceMismatch = claims.Audience is not null && !string.Equals(claims.Audience, options.ExpectedTokenAudience, StringComparison.Ordinal);
        if (text.Contains("audience", StringComparison.OrdinalIgnoreCase) || audienceMismatch)
            return Fail($"the token's audience '{claims.Audience}' is not one the OIDC provider lists as a client id (expected '{options.ExpectedTokenAudience}').",
                claims.IsV2
                    ? "This is a v2 token: its aud is the app's client id (GUID). Add that GUID to the provider's client ids, or set the app's accessTokenAcceptedVersion to 1 (null) to get aud = App ID URI."
                    : $"Request the token for the audience the provider trusts (--audience), or add '{claims.Audience}' to the OIDC provider's client id list.");

        if (NoProvider().Match(text) is { Success: true } m)
            return Fail(DescribeIssuerMismatch(claims.Issuer, m.Groups["url"].Value.Trim()),
                $"Register an IAM OIDC provider whose URL is exactly '{claims.Issuer}' (skybridge setup aws generates it).");

        if (code is "InvalidIdentityToken" || text.Contains("signature", StringComparison.OrdinalIgnoreCase) || text.Contains("issuer", StringComparison.OrdinalIgnoreCase))
            return Fail(DescribeIssuerMismatch(claims.Issuer, registered: null),
                $"Check that an IAM OIDC provider with URL exactly '{claims.Issuer}' exists and that STS can fetch its keys ('{claims.Issuer?.TrimEnd('/')}/.well-known/openid-configuration').");

        if (code is "NoSuchEntity" || text.Contains("role", StringComparison.OrdinalIgnoreCase) && text.Contains("not found", StringComparison.OrdinalIgnoreCase))
            return Fail($"the role {options.RoleArn} does not exist.", "Check --role-arn (account id, role name and path).");

        if (code is "AccessDenied" || error.StatusCode == System.Net.HttpStatusCode.Forbidden)
            return Fail($"the role's trust policy does not admit this identity (sub={claims.Subject}, aud={claims.Audience}), or the role does not exist.",
                $"Check --role-arn, and that the trust policy's Federated principal is the provider for '{claims.Issuer}' with conditions matching aud='{claims.Audience}' and sub='{claims.Subject}'.");

        return Fail(text, "Run 'skybridge doctor' to test each link of the chain.");
    }

    /// <summary>Explains how a token's issuer differs from the form AWS expects (trailing slash, v1 vs v2).</summary>
    public static string DescribeIssuerMismatch(string? tokenIssuer, string? registered)
    {
        var issuer = tokenIssuer ?? "(none)";
        var lead = registered is null
            ? $"no IAM OIDC provider accepted the token's issuer '{issuer}'"
            : $"STS found no OIDC provider for the token's issuer '{issuer}'";
        if (tokenIssuer is null) return lead + ".";
        if (tokenIssuer.StartsWith("https://sts.windows.net/", StringComparison.Ordinal) && !tokenIssuer.EndsWith('/'))
            return lead + ": the v1 issuer must end with a slash (https://sts.windows.net/<tenant>/).";
        if (tokenIssuer.StartsWith("https://sts.windows.net/", StringComparison.Ordinal))
            return lead + ": this is a v1 token (iss https://sts.windows.net/<tenant>/, with the trailing slash); a provider registered for the v2 issuer (https://login.microsoftonline.com/<tenant>/v2.0) or without the trailing slash does not match it.";
        if (tokenIssuer.Contains("login.microsoftonline.com", StringComparison.Ordinal) && tokenIssuer.TrimEnd('/').EndsWith("/v2.0", StringComparison.Ordinal))
            return lead + ": this is a v2 token (iss https://login.microsoftonline.com/<tenant>/v2.0); a provider registered for the v1 issuer (https://sts.windows.net/<tenant>/) does not match it. Set the app's accessTokenAcceptedVersion to get the version the provider expects.";
        return lead + ".";
    }

    [GeneratedRegex(@"No OpenIDConnect provider found in your account for (?<url>\S+)", RegexOptions.IgnoreCase)]
    private static partial Regex NoProvider();
}
