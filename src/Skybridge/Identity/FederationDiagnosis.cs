using System.Text.RegularExpressions;
using Amazon.Runtime;

namespace Skybridge.Identity;

/// <summary>
/// Turns an STS refusal into an actionable message. STS says little (often just AccessDenied),
/// so the diagnosis combines its error code and text with the token's non-secret claims and what
/// the user configured. The raw token never appears; only iss, aud, sub, oid, appid, ver, exp.
/// </summary>
internal static partial class FederationDiagnosis
{
    /// <summary>Allowed difference between our clock and STS's before we call it clock skew.</summary>
    public static readonly TimeSpan ClockSkewTolerance = TimeSpan.FromMinutes(5);

    public static SkybridgeException Explain(AmazonServiceException error, TokenClaims claims, FederationOptions options, DateTimeOffset now)
    {
        var code = error.ErrorCode ?? "";
        var text = error.Message ?? "";
        var facts = $"Token claims: {claims}. Role: {options.RoleArn}.";

        SkybridgeException Fail(string what, string fix) => SkybridgeException.Auth($"STS refused AssumeRoleWithWebIdentity ({code}): {what} {facts}", fix);

        // 0. Not a refusal at all: STS is down or throttling (after the SDK's own retries). Saying
        //    "refused" and listing token claims would send the user after a configuration problem.
        if ((int)error.StatusCode >= 500 || code is "ServiceUnavailable" or "InternalFailure" or "Throttling" or "ThrottlingException" or "RequestLimitExceeded")
            return SkybridgeException.Auth(
                $"STS did not issue an AWS session: it answered {(int)error.StatusCode} {code} ({text}) after the SDK's retries; the session in use could not be renewed.",
                "STS is unavailable or throttling, not refusing this identity: run the command again (or 'skybridge jobs resume <id>') once it answers.");

        // 1. What STS said, where it says something specific (AWS does; S3-compatible servers often
        //    answer a bare AccessDenied for every cause).
        if (code is "ExpiredTokenException" || text.Contains("expired", StringComparison.OrdinalIgnoreCase))
            return claims.ExpiresOn is { } exp && exp <= now ? Expired(exp) : Fail(
                $"STS considers the token expired but it is valid until {claims.ExpiresOn:u} by this host's clock ({now:u}): the clocks disagree.",
                "Synchronise this host's clock (NTP/chrony); STS tolerates only a few minutes of skew.");
        if (text.Contains("DurationSeconds", StringComparison.OrdinalIgnoreCase) || text.Contains("MaxSessionDuration", StringComparison.OrdinalIgnoreCase))
            return Fail($"the requested duration of {options.Duration.TotalSeconds:0} s exceeds the role's maximum session duration.",
                "Lower --duration (minimum 900) or raise the role's MaxSessionDuration (up to 43200).");
        if (NoProvider().Match(text) is { Success: true } m)
            return Fail(DescribeIssuerMismatch(claims.Issuer, m.Groups["url"].Value.Trim()),
                $"Register an IAM OIDC provider whose URL is exactly '{claims.Issuer}' (skybridge setup aws generates it).");
        if (code is "NoSuchEntity")
            return Fail($"the role {options.RoleArn} does not exist.", "Check --role-arn (account id, role name and path).");

        // 2. What the token's own claims show, measured against this host's clock and the settings.
        if (claims.ExpiresOn is { } expired && expired <= now)
            return Expired(expired);
        if (claims.NotBefore is { } nbf && nbf - now > ClockSkewTolerance)
            return Fail($"the token is not valid before {nbf:u} but this host's clock says {now:u}: the clocks disagree by {(nbf - now).TotalMinutes:0} min.",
                "Synchronise this host's clock (NTP/chrony); STS tolerates only a few minutes of skew.");
        if (text.Contains("audience", StringComparison.OrdinalIgnoreCase)
            || claims.Audience is not null && !string.Equals(claims.Audience, options.ExpectedTokenAudience, StringComparison.Ordinal))
            return Fail($"the token's audience '{claims.Audience}' is not one the OIDC provider lists as a client id (expected '{options.ExpectedTokenAudience}').",
                claims.IsV2
                    ? "This is a v2 token: its aud is the app's client id (GUID). Add that GUID to the provider's client ids, or set the app's accessTokenAcceptedVersion to 1 (null) to get aud = App ID URI."
                    : $"Request the token for the audience the provider trusts (--audience), or add '{claims.Audience}' to the OIDC provider's client id list.");
        if (IssuerProblem(claims.Issuer, options.ExpectedIssuer) is { } issuerProblem)
            return Fail(issuerProblem,
                $"Register an IAM OIDC provider whose URL is exactly the token's issuer '{claims.Issuer}', or make Entra issue the token version the provider expects (skybridge setup aws/azure --token-version).");

        // 3. Nothing more specific: STS does not say whether the role is missing or its trust
        //    policy refused us (on purpose: it does not reveal which roles exist).
        if (code is "AccessDenied" || error.StatusCode == System.Net.HttpStatusCode.Forbidden)
            return Fail($"the role does not exist, or its trust policy does not admit this identity (sub={claims.Subject}, aud={claims.Audience}), or no OIDC provider is registered for the issuer '{claims.Issuer}'.",
                $"Check --role-arn; check that the trust policy's Federated principal is the OIDC provider for '{claims.Issuer}' with conditions matching aud='{claims.Audience}' and sub='{claims.Subject}' (skybridge setup aws --subject {claims.Subject}); 'skybridge doctor --expected-issuer <provider URL>' narrows it down.");
        if (text.Contains("signature", StringComparison.OrdinalIgnoreCase) || code is "InvalidIdentityToken")
            return Fail($"the token was not accepted ({text}).",
                $"Check that STS can fetch the signing keys of '{claims.Issuer}' ({claims.Issuer?.TrimEnd('/')}/.well-known/openid-configuration) and that the provider is registered for exactly that issuer.");
        return Fail(text, "Run 'skybridge doctor' to test each link of the chain.");

        SkybridgeException Expired(DateTimeOffset exp) => Fail($"the Entra token expired at {exp:u} (this host's clock says {now:u}).",
            "Fetch a fresh token; if this repeats, check this host's clock and that the credential does not hand out stale tokens.");
    }

    /// <summary>
    /// The issuer problem the claims alone reveal: differs from the registered issuer when that is
    /// known, a v2 issuer (providers are usually registered for v1), or a v1 issuer missing its slash.
    /// </summary>
    public static string? IssuerProblem(string? tokenIssuer, string? registeredIssuer)
    {
        if (tokenIssuer is null) return "the token has no issuer (iss) claim.";
        if (registeredIssuer is not null)
            return string.Equals(tokenIssuer, registeredIssuer, StringComparison.Ordinal) ? null
                : $"the token's issuer '{tokenIssuer}' differs from the registered provider URL '{registeredIssuer}'"
                  + (tokenIssuer.TrimEnd('/') == registeredIssuer.TrimEnd('/') ? " only in the trailing slash, and STS matches exactly" : "")
                  + "; " + DescribeIssuerMismatch(tokenIssuer, registeredIssuer);
        if (tokenIssuer.TrimEnd('/').EndsWith("/v2.0", StringComparison.Ordinal) ||
            tokenIssuer.StartsWith("https://sts.windows.net/", StringComparison.Ordinal) && !tokenIssuer.EndsWith('/'))
            return DescribeIssuerMismatch(tokenIssuer, registered: null);
        return null;
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
        if (tokenIssuer.TrimEnd('/').EndsWith("/v2.0", StringComparison.Ordinal))
            return lead + ": this is a v2 token (iss ends in /v2.0, as https://login.microsoftonline.com/<tenant>/v2.0 does); a provider registered for the v1 issuer (https://sts.windows.net/<tenant>/) does not match it. Set the app's accessTokenAcceptedVersion to get the version the provider expects, or register the v2 issuer.";
        return lead + ".";
    }

    [GeneratedRegex(@"No OpenIDConnect provider found in your account for (?<url>\S+)", RegexOptions.IgnoreCase)]
    private static partial Regex NoProvider();
}
