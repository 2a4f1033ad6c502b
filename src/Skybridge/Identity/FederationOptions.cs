using System.Text.RegularExpressions;

namespace Skybridge.Identity;

/// <summary>
/// Everything needed to turn an Azure identity into AWS credentials. Validated up front so that a
/// typo is a usage error (exit 2) with a fix, not an opaque STS refusal.
/// </summary>
public sealed partial record FederationOptions
{
    /// <summary>Shortest session STS grants, in seconds (15 minutes).</summary>
    public const int MinDurationSeconds = 900;
    /// <summary>Longest session STS grants, in seconds (12 hours); the role's MaxSessionDuration may cap it lower.</summary>
    public const int MaxDurationSeconds = 43200;

    /// <summary>App ID URI the role trusts, e.g. api://aws_azure_federate (with or without /.default).</summary>
    public required string Audience { get; init; }

    /// <summary>ARN of the IAM role to assume, e.g. arn:aws:iam::123456789012:role/skybridge-reader (S3-compatible servers may omit the account).</summary>
    public required string RoleArn { get; init; }

    /// <summary>STS session name; null derives one from the identity (skybridge-&lt;oid&gt;).</summary>
    public string? RoleSessionName { get; init; }

    /// <summary>Requested STS session length (15 minutes to 12 hours; default 1 hour). Credentials refresh before it ends, so this bounds one session, not the job.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>AWS region of the STS endpoint (and its SigV4 region when <see cref="StsEndpoint"/> is set).</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>STS endpoint; null means the regional AWS endpoint.</summary>
    public Uri? StsEndpoint { get; init; }

    /// <summary>Where the Entra ID token comes from.</summary>
    public AzureCredentialOptions Azure { get; init; } = new();

    /// <summary>
    /// The issuer URL registered as the IAM OIDC provider, when known: lets a refusal be
    /// explained exactly (trailing slash, v1 vs v2, other tenant). Optional.
    /// </summary>
    public string? ExpectedIssuer { get; init; }

    /// <summary>
    /// Upper bound on how long one set of AWS credentials is used before a refresh, whatever STS
    /// granted. Null: refresh shortly before the session expires. Useful to prove refresh works.
    /// </summary>
    public TimeSpan? MaxCredentialAge { get; init; }

    /// <summary>The scope to request from Entra ID for the audience ("api://x" -> "api://x/.default").</summary>
    public string Scope => ScopeFor(Audience);

    /// <summary>"api://x" or "api://x/.default" -> "api://x/.default", the form Entra ID token requests take.</summary>
    public static string ScopeFor(string audience)
        => audience.EndsWith("/.default", StringComparison.Ordinal) ? audience : audience.TrimEnd('/') + "/.default";

    /// <summary>The audience as it appears in the token's aud claim (v1 tokens: the App ID URI).</summary>
    public string ExpectedTokenAudience => Audience.EndsWith("/.default", StringComparison.Ordinal) ? Audience[..^"/.default".Length] : Audience.TrimEnd('/');

    /// <summary>Throws a usage error describing the first invalid setting.</summary>
    public FederationOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(Audience))
            throw SkybridgeException.Usage("--audience is empty.", "Pass the App ID URI the AWS role trusts, e.g. --audience api://aws_azure_federate.");
        if (!Uri.TryCreate(ExpectedTokenAudience, UriKind.Absolute, out _) && !Guid.TryParse(ExpectedTokenAudience, out _))
            throw SkybridgeException.Usage($"--audience '{Audience}' is neither an App ID URI (api://...) nor an application id (GUID).",
                "Use the Application ID URI of the app registration the AWS OIDC provider lists as client id, e.g. api://aws_azure_federate.");
        if (!RoleArnPattern().IsMatch(RoleArn))
            throw SkybridgeException.Usage($"--role-arn '{RoleArn}' is not an IAM role ARN.",
                "Expected arn:aws:iam::<12-digit account>:role/<name> (S3-compatible servers may omit the account).");
        if (RoleSessionName is not null && !SessionNamePattern().IsMatch(RoleSessionName))
            throw SkybridgeException.Usage($"--role-session-name '{RoleSessionName}' is not valid for STS.",
                "Use 2-64 characters from letters, digits and +=,.@_- (no spaces).");
        if (Duration.TotalSeconds is < MinDurationSeconds or > MaxDurationSeconds)
            throw SkybridgeException.Usage($"--duration {Duration.TotalSeconds:0} is out of range.",
                $"STS accepts {MinDurationSeconds}..{MaxDurationSeconds} seconds, and at most the role's MaxSessionDuration.");
        if (StsEndpoint is { Scheme: not ("http" or "https") })
            throw SkybridgeException.Usage($"--sts-endpoint '{StsEndpoint}' must be an http(s) URL.", "Example: https://sts.eu-west-1.amazonaws.com");
        return this;
    }

    /// <summary>A valid STS session name derived from the identity, e.g. skybridge-3f2a...; stable per identity.</summary>
    public static string DeriveSessionName(TokenClaims claims)
    {
        var id = claims.ObjectId ?? claims.Subject ?? "identity";
        var cleaned = new string(id.Where(c => char.IsAsciiLetterOrDigit(c) || "+=,.@_-".Contains(c)).ToArray());
        var name = "skybridge-" + (cleaned.Length == 0 ? "identity" : cleaned);
        return name.Length <= 64 ? name : name[..64];
    }

    [GeneratedRegex(@"^arn:aws[a-z-]*:iam::(\d{12})?:role/[\w+=,.@/-]{1,512}$")]
    private static partial Regex RoleArnPattern();

    [GeneratedRegex(@"^[\w+=,.@-]{2,64}$")]
    private static partial Regex SessionNamePattern();
}
