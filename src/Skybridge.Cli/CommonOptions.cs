using System.CommandLine;

namespace Skybridge.Cli;

/// <summary>
/// Options every command understands. They are plain strings on purpose: each one is resolved
/// through <see cref="Configuration.Settings"/> (flag &gt; SKYBRIDGE_* variable &gt; profile), so the
/// same name works in all three places.
/// </summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Config = Make("--config", "Path to skybridge.json (default: ./skybridge.json if present).");
    public static readonly Option<string?> Profile = Make("--profile", "Profile in skybridge.json (default: 'default').");
    public static readonly Option<string?> LogLevel = Make("--log-level", "none|error|warning|information|debug|trace (stderr; secrets are never logged).");
    public static readonly Option<string?> Output = Make("--output", "text|json: how results are printed on stdout.");

    // Identity: Azure credential -> Entra token -> STS.
    public static readonly Option<string?> AzureCredential = Make("--azure-credential", "default|managed-identity|workload-identity|environment|azure-cli: where the Entra ID token comes from.");
    public static readonly Option<string?> ClientId = Make("--client-id", "Client id of a user-assigned managed identity or app registration.");
    public static readonly Option<string?> TenantId = Make("--tenant-id", "Entra ID tenant id.");
    public static readonly Option<string?> Audience = Make("--audience", "App ID URI the AWS role trusts, e.g. api://aws_azure_federate (a trailing /.default is accepted).");
    public static readonly Option<string?> RoleArn = Make("--role-arn", "AWS role to assume with the Entra token.");
    public static readonly Option<string?> RoleSessionName = Make("--role-session-name", "STS session name (default: derived from the identity).");
    public static readonly Option<string?> Duration = Make("--duration", "STS session length in seconds, 900..43200 (default 3600).");
    public static readonly Option<string?> Region = Make("--region", "AWS region (default us-east-1).");
    public static readonly Option<string?> StsEndpoint = Make("--sts-endpoint", "STS endpoint URL (default: the regional AWS endpoint, or --s3-endpoint for S3-compatible servers).");
    public static readonly Option<string?> S3Endpoint = Make("--s3-endpoint", "S3-compatible endpoint URL (Ceph RGW, MinIO, ...).");
    public static readonly Option<string?> ExpectedIssuer = Make("--expected-issuer", "The issuer URL registered as the AWS OIDC provider (e.g. https://sts.windows.net/<tenant>/); compared exactly with the token's iss to explain refusals (trailing slash, v1 vs v2).");
    public static readonly Option<string?> MaxCredentialAge = Make("--max-credential-age", "Refresh AWS credentials at least every N seconds (default: shortly before the session expires).");

    public static IEnumerable<Option<string?>> All =>
    [
        Config, Profile, LogLevel, Output, AzureCredential, ClientId, TenantId, Audience, RoleArn,
        RoleSessionName, Duration, Region, StsEndpoint, S3Endpoint, ExpectedIssuer, MaxCredentialAge,
    ];

    private static Option<string?> Make(string name, string description)
        => new(name) { Description = description, Recursive = true };
}
