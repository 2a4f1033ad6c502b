using System.Text.Json;
using Skybridge.Identity;

namespace Skybridge.Setup.Doctor.Checks;

/// <summary>
/// 3. Is the token's iss in the form AWS expects, and its aud the one the role trusts?
/// Entra v1: https://sts.windows.net/&lt;tid&gt;/ (with the trailing slash); v2:
/// https://login.microsoftonline.com/&lt;tid&gt;/v2.0. The IAM OIDC provider URL must equal iss
/// exactly; with --expected-issuer (the URL registered in AWS) the two are compared. For any other
/// issuer, the discovery document STS fetches must be reachable and name the same issuer.
/// </summary>
internal sealed class IssuerCheck() : DoctorCheck(Name, "Issuer and audience in the form AWS expects", EntraTokenCheck.Name)
{
    public new const string Name = "issuer";

    private const string V1Prefix = "https://sts.windows.net/";
    private const string V2Prefix = "https://login.microsoftonline.com/";

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        var outcome = await CheckAsync(context, cancellationToken).ConfigureAwait(false);
        if (outcome.Status == DoctorStatus.Failed) context.IssuerProblem = outcome.Detail;
        return outcome;
    }

    private static async Task<CheckOutcome> CheckAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        var claims = context.FederationClaims ?? throw new InvalidOperationException("No token claims.");
        var expectedAud = context.Federation.ExpectedTokenAudience;
        if (!string.Equals(claims.Audience, expectedAud, StringComparison.Ordinal))
            return CheckOutcome.Fail($"the token's aud '{claims.Audience}' is not the audience the role trusts ('{expectedAud}', from --audience).", AudienceFix(claims, expectedAud));

        var iss = claims.Issuer;
        if (string.IsNullOrEmpty(iss))
            return CheckOutcome.Fail("the token has no iss claim.", "Use an Entra ID access token: check --azure-credential and --audience.");

        if ((context.ExpectedIssuer ?? context.Federation.ExpectedIssuer) is { } registered && !string.Equals(iss, registered, StringComparison.Ordinal))
            return CheckOutcome.Fail(FederationDiagnosis.DescribeIssuerMismatch(iss, registered) + " " + ExplainMismatch(iss, registered),
                $"Make the IAM OIDC provider URL exactly '{iss}' (skybridge setup aws{(IsV2(iss) ? " --token-version 2" : "")} generates it), " +
                "or change the token version the app issues (accessTokenAcceptedVersion, skybridge setup azure) to match the provider.");

        var aud = $"aud={claims.Audience} matches --audience";
        var registeredNote = (context.ExpectedIssuer ?? context.Federation.ExpectedIssuer) is null ? "" : "; equals --expected-issuer";
        if (iss.StartsWith(V1Prefix, StringComparison.Ordinal))
        {
            if (!iss.EndsWith('/'))
                return CheckOutcome.Fail($"the v1 issuer '{iss}' has no trailing slash; Entra ID v1 tokens carry https://sts.windows.net/<tenant>/.",
                    "The IAM OIDC provider URL must equal iss exactly: use the issuer with its trailing slash.");
            return CheckOutcome.Pass($"Entra v1 issuer {iss} (trailing slash kept){registeredNote}; the IAM OIDC provider URL must be exactly this; {aud}.");
        }
        if (iss.StartsWith(V2Prefix, StringComparison.Ordinal))
        {
            if (!iss.EndsWith("/v2.0", StringComparison.Ordinal))
                return CheckOutcome.Fail($"the issuer '{iss}' is neither Entra v1 (https://sts.windows.net/<tenant>/) nor v2 (https://login.microsoftonline.com/<tenant>/v2.0).",
                    "Check the identity provider; the IAM OIDC provider URL must equal iss exactly.");
            return CheckOutcome.Pass($"Entra v2 issuer {iss} (no trailing slash){registeredNote}; the IAM OIDC provider URL must be exactly this and list the app's client id GUID; {aud}.");
        }
        return await CheckDiscoveryAsync(context, iss, $"{registeredNote}; {aud}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Non-Entra issuer: STS fetches &lt;iss&gt;/.well-known/openid-configuration; it must answer with the same issuer.</summary>
    private static async Task<CheckOutcome> CheckDiscoveryAsync(DoctorContext context, string iss, string suffix, CancellationToken ct)
    {
        var url = DiscoveryUrl(iss);
        string body;
        try
        {
            using var response = await context.Http.GetAsync(url, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return CheckOutcome.Fail($"the issuer '{iss}' is not Entra ID, and its discovery document {url} answered HTTP {(int)response.StatusCode}: STS cannot verify tokens from it.",
                    $"Serve the OpenID configuration at {url} (reachable from STS), or fix the issuer the identity provider puts in iss.");
            body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || e is TaskCanceledException && !ct.IsCancellationRequested)
        {
            return CheckOutcome.Fail($"the issuer '{iss}' is not Entra ID, and its discovery document {url} is unreachable: {DoctorRunner.FirstLine(e.Message)}",
                $"STS fetches {url} on every exchange: make it reachable (from STS and from here).");
        }
        string? advertised;
        try
        {
            using var doc = JsonDocument.Parse(body);
            advertised = doc.RootElement.TryGetProperty("issuer", out var v) ? v.GetString() : null;
        }
        catch (JsonException)
        {
            return CheckOutcome.Fail($"{url} did not return JSON.", "Serve a valid OpenID configuration document at that URL.");
        }
        if (!string.Equals(advertised, iss, StringComparison.Ordinal))
            return CheckOutcome.Fail($"{url} names issuer '{advertised}', but the token's iss is '{iss}'.{TrailingSlashNote(iss, advertised)}",
                "The discovery document's issuer must equal the token's iss exactly; fix the identity provider's configuration.");
        return CheckOutcome.Pass($"issuer {iss} (not Entra ID): {url} is reachable and names the same issuer{suffix}.");
    }

    /// <summary>What STS fetches: the issuer without trailing slash + /.well-known/openid-configuration.</summary>
    public static string DiscoveryUrl(string issuer) => issuer.TrimEnd('/') + "/.well-known/openid-configuration";

    /// <summary>Explains why a token issuer differs from the registered one: trailing slash, v1 vs v2, or another tenant/host.</summary>
    public static string ExplainMismatch(string tokenIssuer, string registered)
    {
        if (string.Equals(tokenIssuer.TrimEnd('/'), registered.TrimEnd('/'), StringComparison.Ordinal))
            return tokenIssuer.EndsWith('/')
                ? $"Only the trailing slash differs: the token's iss ends with '/', the registered '{registered}' does not. AWS compares the URL exactly."
                : $"Only the trailing slash differs: the registered '{registered}' ends with '/', the token's iss does not. AWS compares the URL exactly.";
        var tokenV2 = IsV2(tokenIssuer);
        var registeredV2 = IsV2(registered);
        if (tokenV2 != registeredV2)
            return tokenV2
                ? $"The token is a v2 token (iss ends with /v2.0) but the registered issuer '{registered}' is the v1 form: the app issues v2 tokens (accessTokenAcceptedVersion = 2)."
                : $"The token is a v1 token but the registered issuer '{registered}' is the v2 form (…/v2.0): the app issues v1 tokens (accessTokenAcceptedVersion null or 1).";
        return $"The token's iss '{tokenIssuer}' and the registered '{registered}' name different issuers (tenant or host).";
    }

    private static bool IsV2(string issuer) => issuer.TrimEnd('/').EndsWith("/v2.0", StringComparison.Ordinal);

    private static string TrailingSlashNote(string iss, string? advertised)
        => advertised is not null && iss.TrimEnd('/') == advertised.TrimEnd('/') ? " Only the trailing slash differs; they must be identical." : "";

    private static string AudienceFix(TokenClaims claims, string expected)
    {
        if (claims.IsV2 && Guid.TryParse(claims.Audience, out _))
            return $"This is a v2 token: its aud is the app's client id (GUID), not the App ID URI. Either pass --audience {claims.Audience} and add it to the OIDC provider's client ids, " +
                   "or set the app's accessTokenAcceptedVersion to 1 (null) so aud is the App ID URI (skybridge setup azure).";
        return $"Entra ID issued the token for '{claims.Audience}' when asked for '{expected}': check the app registration's Application ID URI (skybridge setup azure) " +
               "and that --audience is the URI the AWS OIDC provider lists as client id (skybridge setup aws).";
    }
}
