using Skybridge.Setup;

namespace Skybridge.Broker;

/// <summary>
/// <see cref="BrokerOptions"/> checked once at start-up: a broker with a wrong issuer, an http
/// discovery document or an empty allow-list would refuse (or, worse, accept) every caller, so it
/// does not start (exit 2, with what to fix).
/// </summary>
public sealed record BrokerSettings
{
    public required string TenantId { get; init; }
    public required string Issuer { get; init; }
    public required string Audience { get; init; }
    public required Uri MetadataAddress { get; init; }
    public required bool AllowHttpMetadata { get; init; }
    public required TimeSpan ClockSkew { get; init; }
    public required CallerPolicy Callers { get; init; }
    public required string Region { get; init; }
    public Uri? StsEndpoint { get; init; }
    public required TimeSpan DefaultDuration { get; init; }
    public required TimeSpan MaxDuration { get; init; }
    public required int MaxRequestBodyBytes { get; init; }
    public required int PerCallerPerMinute { get; init; }
    public required int PerIpPerMinute { get; init; }

    public static BrokerSettings From(BrokerOptions o)
    {
        // Missing values are named as the broker's settings (the shared checks below speak of CLI flags).
        if (string.IsNullOrWhiteSpace(o.TenantId))
            throw SkybridgeException.Usage("Broker:TenantId is required: the broker accepts tokens of one Entra ID tenant only.", "Set Broker__TenantId=<tenant GUID> (az account show --query tenantId -o tsv).");
        if (string.IsNullOrWhiteSpace(o.Audience))
            throw SkybridgeException.Usage("Broker:Audience is required: the broker accepts only tokens for the federation audience (the Web activity's resource).", "Set Broker__Audience=api://aws_azure_federate (the audience the AWS role trusts).");
        var tenant = SetupValidation.TenantId(o.TenantId);
        var issuer = string.IsNullOrWhiteSpace(o.Issuer) ? $"https://sts.windows.net/{tenant}/" : SetupValidation.IssuerUrl(o.Issuer.Trim());
        if (!issuer.Contains(tenant, StringComparison.OrdinalIgnoreCase))
            throw SkybridgeException.Usage($"Broker:Issuer '{issuer}' does not name Broker:TenantId {tenant}: Entra ID issuers carry the tenant id, so this broker would accept no token of its tenant.",
                "Set Broker:Issuer to https://sts.windows.net/<tenant-id>/ (v1 tokens) or https://login.microsoftonline.com/<tenant-id>/v2.0 (v2), or fix Broker:TenantId.");
        var audience = SetupValidation.Audience(o.Audience, issuer.TrimEnd('/').EndsWith("/v2.0", StringComparison.Ordinal) ? 2 : 1);
        var metadataText = string.IsNullOrWhiteSpace(o.MetadataAddress) ? issuer.TrimEnd('/') + "/.well-known/openid-configuration" : o.MetadataAddress.Trim();
        if (!Uri.TryCreate(metadataText, UriKind.Absolute, out var metadata) || (metadata.Scheme != Uri.UriSchemeHttps && metadata.Scheme != Uri.UriSchemeHttp))
            throw SkybridgeException.Usage($"Broker:MetadataAddress '{metadataText}' is not an absolute URL.", "Leave it unset (issuer + /.well-known/openid-configuration) or give the tenant's OIDC discovery URL.");
        if (metadata.Scheme != Uri.UriSchemeHttps && !o.AllowHttpMetadata)
            throw SkybridgeException.Usage($"Broker:MetadataAddress '{metadataText}' is not https: signing keys fetched over plain http could be replaced on the way, and the broker would accept forged tokens.",
                "Use the tenant's https discovery document; Broker:AllowHttpMetadata=true exists only for a local test issuer.");
        if (o.ClockSkewSeconds is < 0 or > 300)
            throw SkybridgeException.Usage($"Broker:ClockSkewSeconds {o.ClockSkewSeconds} is out of range: the tolerance on exp/nbf is 0..300 s.", "Use 60 (the default) or less.");
        if (o.DefaultDurationSeconds is < 900 or > 43200 || o.MaxDurationSeconds is < 900 or > 43200 || o.DefaultDurationSeconds > o.MaxDurationSeconds)
            throw SkybridgeException.Usage($"Broker:DefaultDurationSeconds {o.DefaultDurationSeconds} / MaxDurationSeconds {o.MaxDurationSeconds} are not valid: STS sessions last 900..43200 s and the default may not exceed the maximum.",
                "Use e.g. DefaultDurationSeconds 3600 and MaxDurationSeconds 43200 (and a role MaxSessionDuration at least as long).");
        if (o.MaxRequestBodyBytes is < 256 or > 65536)
            throw SkybridgeException.Usage($"Broker:MaxRequestBodyBytes {o.MaxRequestBodyBytes} is out of range 256..65536.", "Keep the default 4096: the body only names a role.");
        if (o.PerCallerPerMinute < 1 || o.PerIpPerMinute < 1)
            throw SkybridgeException.Usage("Broker:PerCallerPerMinute and Broker:PerIpPerMinute must be at least 1.", "Use the defaults (30 and 120).");
        Uri? sts = null;
        if (!string.IsNullOrWhiteSpace(o.StsEndpoint) && (!Uri.TryCreate(o.StsEndpoint.Trim(), UriKind.Absolute, out sts) || (sts.Scheme != Uri.UriSchemeHttps && sts.Scheme != Uri.UriSchemeHttp)))
            throw SkybridgeException.Usage($"Broker:StsEndpoint '{o.StsEndpoint}' is not an absolute http(s) URL.", "Leave it unset for AWS's regional endpoint.");

        return new BrokerSettings
        {
            TenantId = tenant,
            Issuer = issuer,
            Audience = audience,
            MetadataAddress = metadata,
            AllowHttpMetadata = o.AllowHttpMetadata,
            ClockSkew = TimeSpan.FromSeconds(o.ClockSkewSeconds),
            Callers = CallerPolicy.From(o.Callers),
            Region = string.IsNullOrWhiteSpace(o.Region) ? "us-east-1" : o.Region.Trim(),
            StsEndpoint = sts,
            DefaultDuration = TimeSpan.FromSeconds(o.DefaultDurationSeconds),
            MaxDuration = TimeSpan.FromSeconds(o.MaxDurationSeconds),
            MaxRequestBodyBytes = o.MaxRequestBodyBytes,
            PerCallerPerMinute = o.PerCallerPerMinute,
            PerIpPerMinute = o.PerIpPerMinute,
        };
    }
}
