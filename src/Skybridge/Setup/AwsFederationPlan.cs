namespace Skybridge.Setup;

/// <summary>Which IAM implementation the documents are for.</summary>
internal enum IamDialect
{
    /// <summary>AWS IAM: trust condition keys <c>&lt;issuer-host-path&gt;:aud</c> and <c>:sub</c>.</summary>
    Aws,
    /// <summary>
    /// Ceph RGW (Pacific): the audience condition key is <c>&lt;host:port/path&gt;:app_id</c>, the
    /// Federated principal has no account id, <c>:sub</c> is not used (not verified against RGW), and
    /// KMS statements are dropped (RGW's policy parser knows no kms: actions).
    /// </summary>
    CephRgw,
}

/// <summary>What the user asked for (raw, unvalidated). <see cref="AwsFederationPlan.Create"/> validates it.</summary>
public sealed record AwsFederationRequest
{
    /// <summary>Entra tenant id (GUID) the issuer URL is built from; required unless <see cref="IssuerUrl"/> is given.</summary>
    public string? TenantId { get; init; }
    /// <summary>The token audience the role trusts: an api:// URI (v1 tokens) or the application's client id GUID (v2).</summary>
    public string? Audience { get; init; }
    /// <summary>Name of the IAM role to create; required.</summary>
    public string? RoleName { get; init; }
    /// <summary>The S3 bucket the permissions are scoped to; required.</summary>
    public string? Bucket { get; init; }
    /// <summary>Key prefix (folder) within <see cref="Bucket"/> the permissions are scoped to; null or empty: the whole bucket.</summary>
    public string? Prefix { get; init; }
    /// <summary>The identity's object (principal) id the trust policy pins with <c>:sub</c>; required unless <see cref="AllowAnySubject"/>.</summary>
    public string? Subject { get; init; }
    /// <summary>Deliberately trust every identity that can get a token for the audience (no <c>:sub</c> pin).</summary>
    public bool AllowAnySubject { get; init; }
    /// <summary>Also grant s3:PutObject and s3:DeleteObject on the objects; false: read only.</summary>
    public bool ReadWrite { get; init; }
    /// <summary>The role's MaxSessionDuration, 3600..43200 seconds; null: 3600.</summary>
    public int? MaxSessionSeconds { get; init; }
    /// <summary>Entra access-token version, 1 or 2 (decides the issuer URL and the audience form); null: 1.</summary>
    public int? TokenVersion { get; init; }
    /// <summary>Key ARN of an SSE-KMS key the bucket uses: adds kms:Decrypt (and GenerateDataKey when read-write) via S3 only.</summary>
    public string? KmsKeyArn { get; init; }
    /// <summary>Overrides the tenant-derived issuer (e.g. the sandbox's http://127.0.0.1:17090/&lt;tid&gt;/).</summary>
    public string? IssuerUrl { get; init; }
    /// <summary>SHA-1 thumbprints for the OIDC provider; empty: none (AWS ignores them for IdPs with certificates from a trusted CA).</summary>
    public IReadOnlyList<string> Thumbprints { get; init; } = [];
    /// <summary>Name of the permissions policy; null: skybridge-s3-read-&lt;bucket&gt; or skybridge-s3-read-write-&lt;bucket&gt;.</summary>
    public string? PolicyName { get; init; }
}

/// <summary>
/// The validated federation plan: the OIDC provider, the role and its two policy documents. One
/// generator; the renderers (<see cref="CloudFormationRenderer"/>, <see cref="TerraformRenderer"/>,
/// <see cref="AwsCliScriptRenderer"/>, <see cref="JsonPlanRenderer"/>, <see cref="RgwRenderer"/>) only
/// change the syntax around <see cref="TrustPolicy"/> and <see cref="PermissionsPolicy"/>.
/// </summary>
internal sealed class AwsFederationPlan
{
    /// <summary>Stands for the provider ARN in a trust policy until a renderer substitutes its own reference.</summary>
    public const string ProviderArnPlaceholder = "__SKYBRIDGE_OIDC_PROVIDER_ARN__";

    public const string SubjectWarning =
        "No --subject: the trust policy does not pin the token's 'sub', so EVERY identity in the tenant that can get a token for the audience can assume this role. " +
        "Pin the managed identity with --subject <object id>, and set appRoleAssignmentRequired=true on the app (skybridge setup azure does) so only assigned identities get tokens.";

    private AwsFederationPlan() { }

    public required string IssuerUrl { get; init; }
    /// <summary>The issuer without its scheme: the IAM provider name and the condition-key prefix (e.g. sts.windows.net/&lt;tid&gt;/).</summary>
    public required string IssuerHostPath { get; init; }
    public required IReadOnlyList<string> ClientIds { get; init; }
    public required IReadOnlyList<string> Thumbprints { get; init; }
    public required int TokenVersion { get; init; }
    public required string Audience { get; init; }
    public string? Subject { get; init; }
    public required string RoleName { get; init; }
    public required string PolicyName { get; init; }
    public required int MaxSessionDuration { get; init; }
    public required string Bucket { get; init; }
    /// <summary>"" = whole bucket, otherwise the folder without trailing slash.</summary>
    public required string Prefix { get; init; }
    public required bool ReadWrite { get; init; }
    public string? KmsKeyArn { get; init; }
    public string? KmsRegion { get; init; }
    /// <summary>Security-relevant warnings; the CLI prints them on stderr and every format embeds them.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    public string AwsProviderArn(string accountId) => $"arn:aws:iam::{accountId}:oidc-provider/{IssuerHostPath}";
    public string RgwProviderArn => $"arn:aws:iam:::oidc-provider/{IssuerHostPath}";

    public static string V1Issuer(string tenantId) => $"https://sts.windows.net/{tenantId}/";
    public static string V2Issuer(string tenantId) => $"https://login.microsoftonline.com/{tenantId}/v2.0";

    /// <summary>Validates the request (throws <see cref="SkybridgeException"/> with exit code 2) and builds the plan.</summary>
    public static AwsFederationPlan Create(AwsFederationRequest r, IamDialect dialect = IamDialect.Aws)
    {
        var version = SetupValidation.TokenVersion(r.TokenVersion);
        string issuer;
        if (!string.IsNullOrWhiteSpace(r.IssuerUrl))
        {
            issuer = SetupValidation.IssuerUrl(r.IssuerUrl.Trim());
            if (!string.IsNullOrWhiteSpace(r.TenantId)) SetupValidation.TenantId(r.TenantId);
        }
        else
        {
            var tid = SetupValidation.TenantId(r.TenantId);
            issuer = version == 1 ? V1Issuer(tid) : V2Issuer(tid);
        }
        var audience = SetupValidation.Audience(r.Audience, version);
        var role = SetupValidation.RoleName(r.RoleName);
        var bucket = SetupValidation.Bucket(r.Bucket);
        var prefix = SetupValidation.Prefix(r.Prefix);
        var maxSession = SetupValidation.MaxSession(r.MaxSessionSeconds);
        var thumbprints = r.Thumbprints.Select(SetupValidation.Thumbprint).Distinct().ToArray();
        (string Arn, string Region)? kms = string.IsNullOrWhiteSpace(r.KmsKeyArn) ? null : SetupValidation.KmsKeyArn(r.KmsKeyArn.Trim());
        var policyName = SetupValidation.PolicyName(string.IsNullOrWhiteSpace(r.PolicyName)
            ? $"skybridge-s3-{(r.ReadWrite ? "read-write" : "read")}-{bucket}" : r.PolicyName.Trim());
        var subject = string.IsNullOrWhiteSpace(r.Subject) ? null : SetupValidation.Subject(r.Subject);

        var warnings = new List<string>();
        if (subject is null && dialect == IamDialect.Aws)
        {
            if (!r.AllowAnySubject)
                throw SkybridgeException.Usage(
                    "--subject is missing: without it the role trusts every identity in the tenant that can get a token for the audience, not just your managed identity.",
                    "Pass --subject <managed identity object (principal) id> (az identity show -n <name> -g <rg> --query principalId -o tsv), or --allow-any-subject to accept the wider trust deliberately.");
            warnings.Add(SubjectWarning);
        }
        if (subject is not null && !Guid.TryParse(subject, out _))
            warnings.Add($"--subject '{subject}' is not a GUID; Entra ID app-only tokens (managed identities) carry sub = the identity's object (principal) id, a GUID.");
        if (dialect == IamDialect.CephRgw)
        {
            warnings.Add("Ceph RGW dialect: the trust policy pins only '<issuer>:app_id' (RGW's name for aud); a ':sub' condition is not emitted because RGW support for it is unverified, so any identity holding a token for the audience can assume the role.");
            if (kms is not null) warnings.Add("Ceph RGW dialect: the kms:Decrypt statement is omitted (RGW has no KMS actions).");
            if (thumbprints.Length == 0) warnings.Add("Ceph RGW's CreateOpenIDConnectProvider expects a ThumbprintList (it does not verify it): pass --thumbprint <sha1 hex> (e.g. issuer.py thumbprint).");
        }
        if (issuer.StartsWith("http://", StringComparison.Ordinal) && dialect == IamDialect.Aws)
            warnings.Add($"--issuer-url {issuer} is plain http: AWS IAM accepts only https OIDC providers; http is for local stand-ins (Ceph RGW) only.");

        return new AwsFederationPlan
        {
            IssuerUrl = issuer,
            IssuerHostPath = issuer[(issuer.IndexOf("://", StringComparison.Ordinal) + 3)..],
            ClientIds = [audience],
            Thumbprints = thumbprints,
            TokenVersion = version,
            Audience = audience,
            Subject = dialect == IamDialect.Aws ? subject : null,
            RoleName = role,
            PolicyName = policyName,
            MaxSessionDuration = maxSession,
            Bucket = bucket,
            Prefix = prefix,
            ReadWrite = r.ReadWrite,
            KmsKeyArn = kms?.Arn,
            KmsRegion = kms?.Region,
            Warnings = warnings,
        };
    }

    /// <summary>The role's trust policy. <paramref name="providerArn"/> is the Federated principal (or <see cref="ProviderArnPlaceholder"/>).</summary>
    public PolicyDocument TrustPolicy(string providerArn, IamDialect dialect = IamDialect.Aws)
    {
        var equals = new Dictionary<string, OneOrMany>();
        if (dialect == IamDialect.CephRgw)
            equals[$"{IssuerHostPath}:app_id"] = Audience;
        else
        {
            equals[$"{IssuerHostPath}:aud"] = Audience;
            if (Subject is not null) equals[$"{IssuerHostPath}:sub"] = Subject;
        }
        return new PolicyDocument
        {
            Statement =
            [
                new PolicyStatement
                {
                    Sid = "EntraIdFederation",
                    Principal = new Dictionary<string, OneOrMany> { ["Federated"] = providerArn },
                    Action = ["sts:AssumeRoleWithWebIdentity"],
                    Condition = new Dictionary<string, IReadOnlyDictionary<string, OneOrMany>> { ["StringEquals"] = equals },
                },
            ],
        };
    }

    public string BucketArn => $"arn:aws:s3:::{Bucket}";
    public string ObjectsArn => Prefix.Length == 0 ? $"arn:aws:s3:::{Bucket}/*" : $"arn:aws:s3:::{Bucket}/{Prefix}/*";

    /// <summary>Least-privilege S3 (and optional KMS) permissions for the bucket/prefix.</summary>
    public PolicyDocument PermissionsPolicy(IamDialect dialect = IamDialect.Aws)
    {
        var statements = new List<PolicyStatement>
        {
            new()
            {
                Sid = "ListPrefix",
                Action = ["s3:ListBucket"],
                Resource = [BucketArn],
                Condition = Prefix.Length == 0 ? null : new Dictionary<string, IReadOnlyDictionary<string, OneOrMany>>
                {
                    ["StringLike"] = new Dictionary<string, OneOrMany> { ["s3:prefix"] = new OneOrMany(Prefix, Prefix + "/*") },
                },
            },
            new() { Sid = "BucketLocation", Action = ["s3:GetBucketLocation"], Resource = [BucketArn] },
            new() { Sid = "ReadObjects", Action = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"], Resource = [ObjectsArn] },
        };
        if (ReadWrite)
            statements.Add(new() { Sid = "WriteObjects", Action = ["s3:PutObject", "s3:DeleteObject"], Resource = [ObjectsArn] });
        if (KmsKeyArn is not null && dialect == IamDialect.Aws)
            statements.Add(new()
            {
                Sid = "KmsViaS3",
                Action = ReadWrite ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
                Resource = [KmsKeyArn],
                Condition = new Dictionary<string, IReadOnlyDictionary<string, OneOrMany>>
                {
                    ["StringEquals"] = new Dictionary<string, OneOrMany> { ["kms:ViaService"] = $"s3.{KmsRegion}.amazonaws.com" },
                },
            });
        return new PolicyDocument { Statement = statements };
    }

    /// <summary>Facts a reader of any format should know (not warnings).</summary>
    public IReadOnlyList<string> Notes
    {
        get
        {
            var notes = new List<string>
            {
                $"Token version {TokenVersion}: the provider URL equals the tokens' iss ({IssuerUrl}) and the client id list holds their aud ({Audience}).",
                TokenVersion == 1
                    ? "v1 tokens: the app registration must have api.requestedAccessTokenVersion null or 1 (skybridge setup azure --token-version 1)."
                    : "v2 tokens: aud is the API application's client id GUID; the app registration must have api.requestedAccessTokenVersion 2.",
                Thumbprints.Count == 0
                    ? "Thumbprints omitted: AWS IAM no longer needs them for OIDC providers whose certificates chain to a trusted CA (Entra ID does) and ignores them for such IdPs; pass --thumbprint to include one for tools that still require the field."
                    : "Thumbprints included as given (AWS ignores them for IdPs with certificates from a trusted CA).",
                "An account can hold only one OIDC provider per issuer URL: if it already exists, add the client id to it instead of creating it (aws iam add-client-id-to-open-id-connect-provider).",
            };
            if (Prefix.Length > 0)
                notes.Add($"Scope: objects under '{Prefix}/' only; listing is allowed for s3:prefix '{Prefix}' and '{Prefix}/*'.");
            return notes;
        }
    }
}
