using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skybridge.Setup;

/// <summary>Output formats of <c>skybridge setup aws</c>.</summary>
internal static class AwsSetupFormats
{
    public static readonly string[] All = ["cloudformation", "terraform", "cli", "json", "rgw"];

    public static string Render(AwsFederationPlan plan, string format) => format switch
    {
        "cloudformation" => CloudFormationRenderer.Render(plan),
        "terraform" => TerraformRenderer.Render(plan),
        "cli" => AwsCliScriptRenderer.Render(plan),
        "json" => JsonPlanRenderer.Render(plan),
        "rgw" => RgwRenderer.Render(plan),
        _ => throw SkybridgeException.Usage($"--format '{format}' is not valid for setup aws.", $"Use one of: {string.Join(", ", All)}."),
    };

    public static IamDialect DialectOf(string format) => format == "rgw" ? IamDialect.CephRgw : IamDialect.Aws;
}

/// <summary>A parameter-free CloudFormation JSON template (deploy with --capabilities CAPABILITY_NAMED_IAM).</summary>
internal static class CloudFormationRenderer
{
    public const string ProviderLogicalId = "EntraIdOidcProvider";
    public const string RoleLogicalId = "SkybridgeRole";

    public static string Render(AwsFederationPlan plan)
    {
        var trust = plan.TrustPolicy(AwsFederationPlan.ProviderArnPlaceholder).ToJsonNode();
        ReplacePlaceholder(trust, () => new JsonObject { ["Ref"] = ProviderLogicalId });

        var provider = new JsonObject
        {
            ["Url"] = plan.IssuerUrl,
            ["ClientIdList"] = ToArray(plan.ClientIds),
        };
        if (plan.Thumbprints.Count > 0) provider["ThumbprintList"] = ToArray(plan.Thumbprints);

        var template = new JsonObject
        {
            ["AWSTemplateFormatVersion"] = "2010-09-09",
            ["Description"] = $"Skybridge: Entra ID (v{plan.TokenVersion} tokens) -> AWS STS federation for role {plan.RoleName} on s3://{plan.Bucket}/{plan.Prefix}",
            ["Metadata"] = new JsonObject
            {
                ["Skybridge"] = new JsonObject
                {
                    ["Warnings"] = ToArray(plan.Warnings),
                    ["Notes"] = ToArray(plan.Notes.Append("Deploy with: aws cloudformation deploy --template-file <file> --stack-name <name> --capabilities CAPABILITY_NAMED_IAM")),
                },
            },
            ["Resources"] = new JsonObject
            {
                [ProviderLogicalId] = new JsonObject { ["Type"] = "AWS::IAM::OIDCProvider", ["Properties"] = provider },
                [RoleLogicalId] = new JsonObject
                {
                    ["Type"] = "AWS::IAM::Role",
                    ["Properties"] = new JsonObject
                    {
                        ["RoleName"] = plan.RoleName,
                        ["Description"] = "Assumed with Entra ID tokens by Skybridge (AssumeRoleWithWebIdentity).",
                        ["MaxSessionDuration"] = plan.MaxSessionDuration,
                        ["AssumeRolePolicyDocument"] = trust,
                        ["Policies"] = new JsonArray(new JsonObject
                        {
                            ["PolicyName"] = plan.PolicyName,
                            ["PolicyDocument"] = plan.PermissionsPolicy().ToJsonNode(),
                        }),
                    },
                },
            },
            ["Outputs"] = new JsonObject
            {
                ["RoleArn"] = new JsonObject { ["Value"] = new JsonObject { ["Fn::GetAtt"] = new JsonArray(RoleLogicalId, "Arn") } },
                ["OidcProviderArn"] = new JsonObject { ["Value"] = new JsonObject { ["Ref"] = ProviderLogicalId } },
            },
        };
        return template.ToJsonString(PolicyDocument.Indented) + "\n";
    }

    internal static JsonArray ToArray(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>Replaces every string equal to the provider placeholder with a fresh node.</summary>
    internal static void ReplacePlaceholder(JsonNode node, Func<JsonNode> replacement)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (IsPlaceholder(o[key])) o[key] = replacement();
                    else if (o[key] is { } child) ReplacePlaceholder(child, replacement);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (IsPlaceholder(a[i])) a[i] = replacement();
                    else if (a[i] is { } child) ReplacePlaceholder(child, replacement);
                }
                break;
        }
    }

    private static bool IsPlaceholder(JsonNode? n)
        => n is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == AwsFederationPlan.ProviderArnPlaceholder;
}

/// <summary>Terraform (HCL) with the AWS provider; policies as jsonencode() of HCL objects.</summary>
internal static class TerraformRenderer
{
    public static string Render(AwsFederationPlan plan)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Generated by skybridge setup aws --format terraform");
        foreach (var w in plan.Warnings) sb.AppendLine("# WARNING: " + OneLine(w));
        foreach (var n in plan.Notes) sb.AppendLine("# note: " + OneLine(n));
        sb.AppendLine();
        sb.AppendLine("resource \"aws_iam_openid_connect_provider\" \"entra_id\" {");
        sb.AppendLine($"  url            = {Str(plan.IssuerUrl)}");
        sb.AppendLine($"  client_id_list = [{string.Join(", ", plan.ClientIds.Select(Str))}]");
        if (plan.Thumbprints.Count > 0)
            sb.AppendLine($"  thumbprint_list = [{string.Join(", ", plan.Thumbprints.Select(Str))}]");
        sb.AppendLine("}");
        sb.AppendLine();
        sb.AppendLine("resource \"aws_iam_role\" \"skybridge\" {");
        sb.AppendLine($"  name                 = {Str(plan.RoleName)}");
        sb.AppendLine($"  max_session_duration = {plan.MaxSessionDuration}");
        sb.Append("  assume_role_policy = jsonencode(");
        WriteHcl(sb, plan.TrustPolicy(AwsFederationPlan.ProviderArnPlaceholder).ToJsonNode(), 2);
        sb.AppendLine(")");
        sb.AppendLine("}");
        sb.AppendLine();
        sb.AppendLine("resource \"aws_iam_role_policy\" \"skybridge_s3\" {");
        sb.AppendLine($"  name = {Str(plan.PolicyName)}");
        sb.AppendLine("  role = aws_iam_role.skybridge.id");
        sb.Append("  policy = jsonencode(");
        WriteHcl(sb, plan.PermissionsPolicy().ToJsonNode(), 2);
        sb.AppendLine(")");
        sb.AppendLine("}");
        sb.AppendLine();
        sb.AppendLine("output \"role_arn\" {");
        sb.AppendLine("  value = aws_iam_role.skybridge.arn");
        sb.AppendLine("}");
        sb.AppendLine();
        sb.AppendLine("output \"oidc_provider_arn\" {");
        sb.AppendLine("  value = aws_iam_openid_connect_provider.entra_id.arn");
        sb.AppendLine("}");
        return sb.ToString();
    }

    private const string ProviderArnExpression = "aws_iam_openid_connect_provider.entra_id.arn";

    private static void WriteHcl(StringBuilder sb, JsonNode? node, int indent)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case JsonObject o:
                sb.AppendLine("{");
                foreach (var (key, value) in o)
                {
                    sb.Append(pad).Append("  ").Append(Str(key)).Append(" = ");
                    WriteHcl(sb, value, indent + 2);
                    sb.AppendLine();
                }
                sb.Append(pad).Append('}');
                break;
            case JsonArray a when a.All(e => e is JsonValue):
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    WriteHcl(sb, a[i], indent);
                }
                sb.Append(']');
                break;
            case JsonArray a:
                sb.AppendLine("[");
                for (var i = 0; i < a.Count; i++)
                {
                    sb.Append(pad).Append("  ");
                    WriteHcl(sb, a[i], indent + 2);
                    sb.AppendLine(i < a.Count - 1 ? "," : "");
                }
                sb.Append(pad).Append(']');
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var s = v.GetValue<string>();
                sb.Append(s == AwsFederationPlan.ProviderArnPlaceholder ? ProviderArnExpression : Str(s));
                break;
            case null:
                sb.Append("null");
                break;
            default:
                sb.Append(node.ToJsonString());
                break;
        }
    }

    /// <summary>An HCL quoted string: JSON-style escapes plus $${ / %%{ so nothing is read as a template.</summary>
    internal static string Str(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString().Replace("${", "$${").Replace("%{", "%%{");
    }

    internal static string OneLine(string s) => s.Replace("\r", " ").Replace("\n", " ");
}

/// <summary>A bash script (set -euo pipefail) using the AWS CLI; policy JSON in quoted heredocs.</summary>
internal static class AwsCliScriptRenderer
{
    public const string HeredocDelimiter = "SKYBRIDGE_POLICY_EOF";

    public static string Render(AwsFederationPlan plan)
    {
        var sb = new StringBuilder();
        sb.AppendLine("#!/usr/bin/env bash");
        sb.AppendLine("# Generated by skybridge setup aws --format cli: creates the IAM OIDC provider for Entra ID,");
        sb.AppendLine("# the role Skybridge assumes with AssumeRoleWithWebIdentity, and its least-privilege S3 policy.");
        foreach (var w in plan.Warnings) sb.AppendLine("# WARNING: " + TerraformRenderer.OneLine(w));
        foreach (var n in plan.Notes) sb.AppendLine("# note: " + TerraformRenderer.OneLine(n));
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine();
        foreach (var w in plan.Warnings) sb.AppendLine($"echo {ShellQuote.Quote("WARNING: " + TerraformRenderer.OneLine(w))} >&2");
        sb.AppendLine($"ISSUER_URL={ShellQuote.Quote(plan.IssuerUrl)}");
        sb.AppendLine($"ISSUER_HOST_PATH={ShellQuote.Quote(plan.IssuerHostPath)}");
        sb.AppendLine($"ROLE_NAME={ShellQuote.Quote(plan.RoleName)}");
        sb.AppendLine($"POLICY_NAME={ShellQuote.Quote(plan.PolicyName)}");
        sb.AppendLine("ACCOUNT_ID=\"$(aws sts get-caller-identity --query Account --output text)\"");
        sb.AppendLine("PROVIDER_ARN=\"arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${ISSUER_HOST_PATH}\"");
        sb.AppendLine();
        sb.AppendLine("# 1. OIDC provider: URL = the tokens' iss, client id list = their aud.");
        sb.AppendLine("if aws iam get-open-id-connect-provider --open-id-connect-provider-arn \"$PROVIDER_ARN\" >/dev/null 2>&1; then");
        sb.AppendLine("  echo \"OIDC provider already exists: $PROVIDER_ARN (adding the client id)\" >&2");
        foreach (var c in plan.ClientIds)
            sb.AppendLine($"  aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn \"$PROVIDER_ARN\" --client-id {ShellQuote.Quote(c)}");
        sb.AppendLine("else");
        sb.Append("  aws iam create-open-id-connect-provider --url \"$ISSUER_URL\" --client-id-list");
        foreach (var c in plan.ClientIds) sb.Append(' ').Append(ShellQuote.Quote(c));
        if (plan.Thumbprints.Count > 0)
        {
            sb.Append(" --thumbprint-list");
            foreach (var t in plan.Thumbprints) sb.Append(' ').Append(ShellQuote.Quote(t));
        }
        sb.AppendLine(" >/dev/null");
        sb.AppendLine("fi");
        sb.AppendLine();
        sb.AppendLine($"# 2. Role with its trust policy ({AwsFederationPlan.ProviderArnPlaceholder} is replaced by the provider ARN).");
        AppendHeredoc(sb, "TRUST_POLICY", plan.TrustPolicy(AwsFederationPlan.ProviderArnPlaceholder).ToIndentedJson());
        sb.AppendLine($"TRUST_POLICY=\"${{TRUST_POLICY//{AwsFederationPlan.ProviderArnPlaceholder}/$PROVIDER_ARN}}\"");
        sb.AppendLine($"aws iam create-role --role-name \"$ROLE_NAME\" --max-session-duration {plan.MaxSessionDuration} \\");
        sb.AppendLine("  --description 'Assumed with Entra ID tokens by Skybridge (AssumeRoleWithWebIdentity).' \\");
        sb.AppendLine("  --assume-role-policy-document \"$TRUST_POLICY\" >/dev/null");
        sb.AppendLine();
        sb.AppendLine("# 3. Least-privilege permissions for the bucket/prefix (inline policy).");
        AppendHeredoc(sb, "PERMISSIONS_POLICY", plan.PermissionsPolicy().ToIndentedJson());
        sb.AppendLine("aws iam put-role-policy --role-name \"$ROLE_NAME\" --policy-name \"$POLICY_NAME\" --policy-document \"$PERMISSIONS_POLICY\"");
        sb.AppendLine();
        sb.AppendLine("echo \"role: arn:aws:iam::${ACCOUNT_ID}:role/${ROLE_NAME}\"");
        sb.AppendLine("echo \"provider: ${PROVIDER_ARN}\"");
        return sb.ToString();
    }

    private static void AppendHeredoc(StringBuilder sb, string variable, string json)
    {
        if (json.Split('\n').Any(l => l.Trim() == HeredocDelimiter))
            throw new InvalidOperationException("Policy text contains the heredoc delimiter.");
        sb.AppendLine($"{variable}=\"$(cat <<'{HeredocDelimiter}'");
        sb.AppendLine(json);
        sb.AppendLine(HeredocDelimiter);
        sb.AppendLine(")\"");
    }
}

/// <summary>One JSON document for machines: issuer, client ids, placeholder provider ARN, both policies.</summary>
internal static class JsonPlanRenderer
{
    public const string AccountIdPlaceholder = "<ACCOUNT_ID>";

    public static string Render(AwsFederationPlan plan)
    {
        var providerArn = plan.AwsProviderArn(AccountIdPlaceholder);
        var doc = new JsonObject
        {
            ["issuerUrl"] = plan.IssuerUrl,
            ["issuerHostPath"] = plan.IssuerHostPath,
            ["tokenVersion"] = plan.TokenVersion,
            ["clientIds"] = CloudFormationRenderer.ToArray(plan.ClientIds),
            ["thumbprints"] = CloudFormationRenderer.ToArray(plan.Thumbprints),
            ["providerArn"] = providerArn,
            ["roleName"] = plan.RoleName,
            ["roleArn"] = $"arn:aws:iam::{AccountIdPlaceholder}:role/{plan.RoleName}",
            ["maxSessionDuration"] = plan.MaxSessionDuration,
            ["policyName"] = plan.PolicyName,
            ["trustPolicy"] = plan.TrustPolicy(providerArn).ToJsonNode(),
            ["permissionsPolicy"] = plan.PermissionsPolicy().ToJsonNode(),
            ["warnings"] = CloudFormationRenderer.ToArray(plan.Warnings),
            ["notes"] = CloudFormationRenderer.ToArray(plan.Notes),
        };
        return doc.ToJsonString(PolicyDocument.Indented) + "\n";
    }
}

/// <summary>
/// Ceph RGW (Pacific) dialect for the local sandbox: one compact JSON object whose policy fields are
/// compact JSON strings, ready for CreateOpenIDConnectProvider / CreateRole / PutRolePolicy.
/// Build the plan with <see cref="IamDialect.CephRgw"/> (so the subject rules fit RGW).
/// </summary>
internal static class RgwRenderer
{
    public static string Render(AwsFederationPlan plan) => ToJson(plan).ToJsonString(PolicyDocument.Compact) + "\n";

    public static JsonObject ToJson(AwsFederationPlan plan) => new()
    {
        ["providerUrl"] = plan.IssuerUrl,
        ["clientIds"] = CloudFormationRenderer.ToArray(plan.ClientIds),
        ["thumbprints"] = CloudFormationRenderer.ToArray(plan.Thumbprints),
        ["providerArn"] = plan.RgwProviderArn,
        ["roleName"] = plan.RoleName,
        ["roleArn"] = $"arn:aws:iam:::role/{plan.RoleName}",
        ["maxSessionDuration"] = plan.MaxSessionDuration,
        ["trustPolicy"] = TrustPolicyJson(plan),
        ["policyName"] = plan.PolicyName,
        ["permissionsPolicy"] = PermissionsPolicyJson(plan),
        ["notes"] = CloudFormationRenderer.ToArray(plan.Warnings),
    };

    public static string TrustPolicyJson(AwsFederationPlan plan) => plan.TrustPolicy(plan.RgwProviderArn, IamDialect.CephRgw).ToCompactJson();
    public static string PermissionsPolicyJson(AwsFederationPlan plan) => plan.PermissionsPolicy(IamDialect.CephRgw).ToCompactJson();
}

/// <summary>POSIX shell single-quoting.</summary>
internal static class ShellQuote
{
    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
