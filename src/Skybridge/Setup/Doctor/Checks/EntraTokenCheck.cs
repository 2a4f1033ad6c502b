using Skybridge.Identity;

namespace Skybridge.Setup.Doctor.Checks;

/// <summary>
/// 2. The token for the federation audience: its decoded claims (iss, aud, ver, sub, oid, exp) and
/// whether this host's clock agrees with the token's iat/nbf/exp (STS tolerates about 5 minutes).
/// </summary>
internal sealed class EntraTokenCheck() : DoctorCheck(Name, "Entra ID token for the audience", AzureCredentialCheck.Name)
{
    public new const string Name = "entra-token";

    public override Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        if (context.FederationTokenError is { } error)
            return Task.FromResult(CheckOutcome.Fail(error.Message, error.Fix));
        var claims = context.FederationClaims ?? throw new InvalidOperationException("No token claims: the credential check did not run.");
        var detail = $"scope {context.Federation.Scope}: iss={claims.Issuer} aud={claims.Audience} ver={claims.Version ?? "?"} " +
                     $"sub={claims.Subject} oid={claims.ObjectId} exp={claims.ExpiresOn:u}";
        var (skew, warning) = ClockSkew(claims, context.Clock.GetUtcNow());
        return Task.FromResult(warning is null
            ? CheckOutcome.Pass($"{detail}; {skew}")
            : CheckOutcome.Warn($"{detail}; {skew}: {warning}", "Synchronise this host's clock (NTP/chrony): STS refuses tokens outside a few minutes of skew."));
    }

    /// <summary>Describes iat against the local clock; a warning when they disagree by more than the tolerance.</summary>
    public static (string Description, string? Warning) ClockSkew(TokenClaims claims, DateTimeOffset now)
    {
        var tolerance = FederationDiagnosis.ClockSkewTolerance;
        var issued = claims.IssuedAt ?? claims.NotBefore;
        var description = issued is { } iat
            ? iat > now ? $"issued {Seconds(iat - now)} in the future by this host's clock" : $"issued {Seconds(now - iat)} ago"
            : "no iat/nbf claim";
        string? warning = null;
        if (issued is { } i && i - now > tolerance)
            warning = $"this host's clock is at least {Seconds(i - now)} behind the token issuer's (more than {tolerance.TotalMinutes:0} min)";
        else if (claims.NotBefore is { } nbf && nbf - now > tolerance)
            warning = $"the token is not valid until {nbf:u}, {Seconds(nbf - now)} from now: this host's clock is behind";
        else if (claims.ExpiresOn is { } exp && exp <= now)
            warning = $"the token expired at {exp:u} by this host's clock ({now:u}): the clock is ahead, or the credential hands out stale tokens";
        return (description, warning);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:0} s" : $"{t.TotalMinutes:0} min";
}
