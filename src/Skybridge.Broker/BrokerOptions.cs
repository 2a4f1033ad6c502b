namespace Skybridge.Broker;

/// <summary>
/// The broker's configuration (section "Broker": appsettings.json or environment variables such as
/// <c>Broker__Audience</c>). It names only public facts: the tenant, the audience, who may call and
/// which roles they may assume. The broker holds no secret of its own.
/// </summary>
public sealed class BrokerOptions
{
    public const string Section = "Broker";

    /// <summary>The Entra ID tenant (directory) id; tokens whose <c>tid</c> differs are refused.</summary>
    public string? TenantId { get; set; }

    /// <summary>The exact <c>iss</c> the tokens carry, e.g. https://sts.windows.net/&lt;tid&gt;/ (v1, trailing slash). Default: derived from <see cref="TenantId"/>.</summary>
    public string? Issuer { get; set; }

    /// <summary>The federation audience (the token's <c>aud</c>), e.g. api://aws_azure_federate: the Web activity's "resource".</summary>
    public string? Audience { get; set; }

    /// <summary>OIDC discovery document. Default: <see cref="Issuer"/> + ".well-known/openid-configuration" (what AWS fetches too).</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>
    /// Accept an http:// discovery document and JWKS. Off by default (an attacker on the path
    /// could serve their own keys); only for a local test issuer such as the sandbox's.
    /// </summary>
    public bool AllowHttpMetadata { get; set; }

    /// <summary>Tolerance for clock differences on exp/nbf, 0..300 s (default 60).</summary>
    public int ClockSkewSeconds { get; set; } = 60;

    /// <summary>Who may call and which role ARNs each may assume (by object id and/or app role).</summary>
    public List<CallerGrant> Callers { get; set; } = [];

    /// <summary>AWS region of STS (default us-east-1).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>STS endpoint override (e.g. the sandbox's RGW); default: the regional AWS endpoint.</summary>
    public string? StsEndpoint { get; set; }

    /// <summary>Session length when the caller does not ask for one: 900..43200 s (default 3600), capped by the role's MaxSessionDuration.</summary>
    public int DefaultDurationSeconds { get; set; } = 3600;

    /// <summary>The longest session a caller may ask for (default 43200 = STS's maximum).</summary>
    public int MaxDurationSeconds { get; set; } = 43200;

    /// <summary>Largest accepted request body (default 4096 bytes: the body only names a role).</summary>
    public int MaxRequestBodyBytes { get; set; } = 4096;

    /// <summary>Requests per caller (object id) per minute (default 30): a pipeline needs one per copy.</summary>
    public int PerCallerPerMinute { get; set; } = 30;

    /// <summary>Requests per client IP per minute, valid or not (default 120).</summary>
    public int PerIpPerMinute { get; set; } = 120;
}

/// <summary>
/// One allow-list entry: a caller named by its object id (<c>oid</c>, the managed identity's
/// principal id) or by an app role it holds (<c>roles</c> claim), and the role ARNs it may assume.
/// The first ARN is the default when a request names none.
/// </summary>
public sealed class CallerGrant
{
    public string? ObjectId { get; set; }
    public string? AppRole { get; set; }
    public List<string> RoleArns { get; set; } = [];
}
