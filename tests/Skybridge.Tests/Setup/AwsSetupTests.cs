using System.Text.Json.Nodes;
using Skybridge.Setup;
using static Skybridge.Tests.Setup.IamPolicyChecker;

namespace Skybridge.Tests.Setup;

public class AwsSetupTests
{
    private const string Tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string Mi = "11111111-2222-3333-4444-555555555555";
    private const string Kms = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    private static AwsFederationRequest Base => new()
    {
        TenantId = Tid, Audience = "api://aws_azure_federate", RoleName = "skybridge-reader",
        Bucket = "my-data", Prefix = "exports/2024/", Subject = Mi,
    };

    private static AwsFederationPlan Plan(AwsFederationRequest? r = null, IamDialect d = IamDialect.Aws) => AwsFederationPlan.Create(r ?? Base, d);

    // ---- issuers -------------------------------------------------------------------------

    [Fact]
    public void V1_issuer_has_trailing_slash_and_keys_use_host_path()
    {
        var p = Plan();
        Assert.Equal($"https://sts.windows.net/{Tid}/", p.IssuerUrl);
        Assert.Equal($"sts.windows.net/{Tid}/", p.IssuerHostPath);
        Assert.Equal(["api://aws_azure_federate"], p.ClientIds);
        var cond = p.TrustPolicy("arn").ToJsonNode()["Statement"]![0]!["Condition"]!["StringEquals"]!.AsObject();
        Assert.Equal("api://aws_azure_federate", (string?)cond[$"sts.windows.net/{Tid}/:aud"]);
        Assert.Equal($"arn:aws:iam::123456789012:oidc-provider/sts.windows.net/{Tid}/", p.AwsProviderArn("123456789012"));
    }

    [Fact]
    public void V2_issuer_is_login_microsoftonline_v2_without_trailing_slash_and_requires_guid_audience()
    {
        var app = "0a1b2c3d-0000-4000-8000-000000000001";
        var p = Plan(Base with { TokenVersion = 2, Audience = app });
        Assert.Equal($"https://login.microsoftonline.com/{Tid}/v2.0", p.IssuerUrl);
        Assert.Equal([app], p.ClientIds);
        var cond = p.TrustPolicy("arn").ToJsonNode()["Statement"]![0]!["Condition"]!["StringEquals"]!.AsObject();
        Assert.Equal(app, (string?)cond[$"login.microsoftonline.com/{Tid}/v2.0:aud"]);

        var e = Assert.Throws<SkybridgeException>(() => Plan(Base with { TokenVersion = 2 }));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("client id", e.Message);
        Assert.Contains("--token-version 1", e.Fix);
    }

    [Fact]
    public void Default_audience_suffix_dot_default_is_stripped()
        => Assert.Equal("api://aws_azure_federate", Plan(Base with { Audience = "api://aws_azure_federate/.default" }).Audience);

    [Fact]
    public void Issuer_url_override_is_used_verbatim_in_every_place()
    {
        var p = Plan(Base with { IssuerUrl = $"http://127.0.0.1:17090/{Tid}/", TenantId = null }, IamDialect.CephRgw);
        Assert.Equal($"http://127.0.0.1:17090/{Tid}/", p.IssuerUrl);
        Assert.Equal($"127.0.0.1:17090/{Tid}/", p.IssuerHostPath);
        Assert.Equal($"arn:aws:iam:::oidc-provider/127.0.0.1:17090/{Tid}/", p.RgwProviderArn);
    }

    // ---- trust policy --------------------------------------------------------------------

    [Fact]
    public void Trust_policy_pins_sub_by_default()
    {
        var trust = Plan().TrustPolicy("arn:aws:iam::1:oidc-provider/x").ToJsonNode();
        AssertValid(trust, $"sts.windows.net/{Tid}/", "aud", "sub");
        var s = Statements(trust).Single();
        Assert.Equal(["sts:AssumeRoleWithWebIdentity"], Values(s["Action"]));
        Assert.Equal("arn:aws:iam::1:oidc-provider/x", (string?)s["Principal"]!["Federated"]);
        Assert.Equal(Mi, (string?)s["Condition"]!["StringEquals"]![$"sts.windows.net/{Tid}/:sub"]);
    }

    [Fact]
    public void Missing_subject_is_refused_unless_allow_any_subject_and_then_warned()
    {
        var e = Assert.Throws<SkybridgeException>(() => Plan(Base with { Subject = null }));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("every identity", e.Message);
        Assert.Contains("--subject", e.Fix);
        Assert.Contains("--allow-any-subject", e.Fix);

        var p = Plan(Base with { Subject = null, AllowAnySubject = true });
        Assert.Contains(AwsFederationPlan.SubjectWarning, p.Warnings);
        var cond = p.TrustPolicy("arn").ToJsonNode()["Statement"]![0]!["Condition"]!["StringEquals"]!.AsObject();
        Assert.DoesNotContain(cond, kv => kv.Key.EndsWith(":sub"));
        // The warning travels inside each format too.
        Assert.Contains("EVERY identity", TerraformRenderer.Render(p));
        var cli = AwsCliScriptRenderer.Render(p);
        Assert.Contains("# WARNING: No --subject", cli);
        Assert.Contains("echo 'WARNING: No --subject", cli);
        var cfn = JsonNode.Parse(CloudFormationRenderer.Render(p))!;
        Assert.Contains(AwsFederationPlan.SubjectWarning, Values(cfn["Metadata"]!["Skybridge"]!["Warnings"]));
        Assert.Contains(AwsFederationPlan.SubjectWarning, Values(JsonNode.Parse(JsonPlanRenderer.Render(p))!["warnings"]));
    }

    // ---- permissions ---------------------------------------------------------------------

    [Fact]
    public void Prefix_scopes_list_and_objects()
    {
        var perm = Plan().PermissionsPolicy().ToJsonNode();
        AssertValid(perm, "-");
        var list = StatementWith(perm, "s3:ListBucket");
        Assert.Equal(["arn:aws:s3:::my-data"], Values(list["Resource"]));
        Assert.Equal(["exports/2024", "exports/2024/*"], Values(list["Condition"]!["StringLike"]!["s3:prefix"]));
        var read = StatementWith(perm, "s3:GetObject");
        Assert.Equal(["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"], Values(read["Action"]));
        Assert.Equal(["arn:aws:s3:::my-data/exports/2024/*"], Values(read["Resource"]));
        Assert.Equal(["arn:aws:s3:::my-data"], Values(StatementWith(perm, "s3:GetBucketLocation")["Resource"]));
        Assert.DoesNotContain(Statements(perm), s => Values(s["Action"]).Contains("s3:PutObject"));
    }

    [Fact]
    public void No_prefix_means_whole_bucket_without_list_condition()
    {
        var perm = Plan(Base with { Prefix = null }).PermissionsPolicy().ToJsonNode();
        Assert.Null(StatementWith(perm, "s3:ListBucket")["Condition"]);
        Assert.Equal(["arn:aws:s3:::my-data/*"], Values(StatementWith(perm, "s3:GetObject")["Resource"]));
    }

    [Fact]
    public void Read_write_adds_put_and_delete_and_kms_is_via_s3_only()
    {
        var perm = Plan(Base with { ReadWrite = true, KmsKeyArn = Kms }).PermissionsPolicy().ToJsonNode();
        AssertValid(perm, "-");
        var write = StatementWith(perm, "s3:PutObject");
        Assert.Equal(["s3:PutObject", "s3:DeleteObject"], Values(write["Action"]));
        Assert.Equal(["arn:aws:s3:::my-data/exports/2024/*"], Values(write["Resource"]));
        var kms = StatementWith(perm, "kms:Decrypt");
        Assert.Equal([Kms], Values(kms["Resource"]));
        Assert.Equal("s3.eu-west-1.amazonaws.com", (string?)kms["Condition"]!["StringEquals"]!["kms:ViaService"]);
        Assert.Contains("kms:GenerateDataKey", Values(kms["Action"]));
    }

    [Fact]
    public void Checker_rejects_unknown_actions_and_condition_keys()
    {
        var badAction = JsonNode.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjects","Resource":"arn:aws:s3:::b/*"}]}""");
        Assert.ThrowsAny<Exception>(() => AssertValid(badAction, "-"));
        var badKey = JsonNode.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefixes":"a"}}}]}""");
        Assert.ThrowsAny<Exception>(() => AssertValid(badKey, "-"));
    }

    // ---- formats: all render the same documents ------------------------------------------

    public static TheoryData<bool, string?> Variants => new()
    {
        { false, null }, { true, null }, { true, Kms }, { false, Kms },
    };

    [Theory, MemberData(nameof(Variants))]
    public void CloudFormation_parses_and_embeds_the_plan_documents(bool readWrite, string? kms)
    {
        var p = Plan(Base with { ReadWrite = readWrite, KmsKeyArn = kms });
        var cfn = JsonNode.Parse(CloudFormationRenderer.Render(p))!;
        Assert.Equal("2010-09-09", (string?)cfn["AWSTemplateFormatVersion"]);
        Assert.Null(cfn["Parameters"]);
        var provider = cfn["Resources"]![CloudFormationRenderer.ProviderLogicalId]!;
        Assert.Equal("AWS::IAM::OIDCProvider", (string?)provider["Type"]);
        Assert.Equal($"https://sts.windows.net/{Tid}/", (string?)provider["Properties"]!["Url"]);
        Assert.Equal(["api://aws_azure_federate"], Values(provider["Properties"]!["ClientIdList"]));
        var role = cfn["Resources"]![CloudFormationRenderer.RoleLogicalId]!;
        Assert.Equal("AWS::IAM::Role", (string?)role["Type"]);
        Assert.Equal(3600, (int)role["Properties"]!["MaxSessionDuration"]!);

        var trust = role["Properties"]!["AssumeRolePolicyDocument"]!.DeepClone();
        Assert.Equal(CloudFormationRenderer.ProviderLogicalId, (string?)trust["Statement"]![0]!["Principal"]!["Federated"]!["Ref"]);
        trust["Statement"]![0]!["Principal"]!["Federated"] = AwsFederationPlan.ProviderArnPlaceholder;
        Assert.True(JsonNode.DeepEquals(p.TrustPolicy(AwsFederationPlan.ProviderArnPlaceholder).ToJsonNode(), trust));
        AssertValid(trust, p.IssuerHostPath, "aud", "sub");

        var perm = role["Properties"]!["Policies"]![0]!["PolicyDocument"];
        Assert.Equal(p.PolicyName, (string?)role["Properties"]!["Policies"]![0]!["PolicyName"]);
        Assert.True(JsonNode.DeepEquals(p.PermissionsPolicy().ToJsonNode(), perm));
        AssertValid(perm, "-");
    }

    [Fact]
    public void CloudFormation_thumbprints_only_when_given()
    {
        var without = JsonNode.Parse(CloudFormationRenderer.Render(Plan()))!;
        Assert.Null(without["Resources"]![CloudFormationRenderer.ProviderLogicalId]!["Properties"]!["ThumbprintList"]);
        var with = JsonNode.Parse(CloudFormationRenderer.Render(Plan(Base with { Thumbprints = ["AA:BB" + new string('c', 36)] })))!;
        Assert.Equal(["aabb" + new string('c', 36)], Values(with["Resources"]![CloudFormationRenderer.ProviderLogicalId]!["Properties"]!["ThumbprintList"]));
    }

    [Theory, MemberData(nameof(Variants))]
    public void Cli_script_passes_bash_n_and_heredocs_are_the_plan_documents(bool readWrite, string? kms)
    {
        var p = Plan(Base with { ReadWrite = readWrite, KmsKeyArn = kms, Prefix = "it's/odd" });
        var script = AwsCliScriptRenderer.Render(p);
        var (code, err) = BashSyntaxCheck(script);
        Assert.True(code == 0, err);
        Assert.Contains("set -euo pipefail", script);
        Assert.Contains("aws iam create-open-id-connect-provider --url \"$ISSUER_URL\" --client-id-list 'api://aws_azure_federate'", script);
        Assert.Contains($"ISSUER_URL='https://sts.windows.net/{Tid}/'", script);
        Assert.Contains("aws iam create-role --role-name \"$ROLE_NAME\" --max-session-duration 3600", script);
        Assert.Contains("aws iam put-role-policy", script);

        var trust = JsonNode.Parse(Heredoc(script, "TRUST_POLICY", AwsCliScriptRenderer.HeredocDelimiter));
        Assert.True(JsonNode.DeepEquals(p.TrustPolicy(AwsFederationPlan.ProviderArnPlaceholder).ToJsonNode(), trust));
        AssertValid(trust, p.IssuerHostPath, "aud", "sub");
        var perm = JsonNode.Parse(Heredoc(script, "PERMISSIONS_POLICY", AwsCliScriptRenderer.HeredocDelimiter));
        Assert.True(JsonNode.DeepEquals(p.PermissionsPolicy().ToJsonNode(), perm));
        AssertValid(perm, "-");
    }

    [Fact]
    public void Bash_check_can_fail()
    {
        var (code, _) = BashSyntaxCheck("if true; then\necho unterminated\n");
        Assert.NotEqual(0, code);
    }

    [Fact]
    public void Cli_script_substitutes_the_provider_arn_when_run()
    {
        // Run the script's substitution step in bash with stubbed variables: no literal placeholder survives.
        var p = Plan();
        var script = AwsCliScriptRenderer.Render(p);
        var start = script.IndexOf("TRUST_POLICY=\"$(cat", StringComparison.Ordinal);
        var end = script.IndexOf("aws iam create-role", StringComparison.Ordinal);
        var snippet = "set -euo pipefail\nPROVIDER_ARN='arn:aws:iam::123456789012:oidc-provider/x/'\n" + script[start..end] + "printf '%s' \"$TRUST_POLICY\"\n";
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/bash", ["-c", snippet]) { RedirectStandardOutput = true };
        using var proc = System.Diagnostics.Process.Start(psi)!;
        var output = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        Assert.Equal(0, proc.ExitCode);
        var trust = JsonNode.Parse(output)!;
        Assert.Equal("arn:aws:iam::123456789012:oidc-provider/x/", (string?)trust["Statement"]![0]!["Principal"]!["Federated"]);
    }

    [Fact]
    public void Json_plan_is_one_document_with_both_policies()
    {
        var p = Plan(Base with { KmsKeyArn = Kms });
        var doc = JsonNode.Parse(JsonPlanRenderer.Render(p))!;
        Assert.Equal($"https://sts.windows.net/{Tid}/", (string?)doc["issuerUrl"]);
        Assert.Equal(["api://aws_azure_federate"], Values(doc["clientIds"]));
        var arn = $"arn:aws:iam::<ACCOUNT_ID>:oidc-provider/sts.windows.net/{Tid}/";
        Assert.Equal(arn, (string?)doc["providerArn"]);
        Assert.True(JsonNode.DeepEquals(p.TrustPolicy(arn).ToJsonNode(), doc["trustPolicy"]));
        Assert.True(JsonNode.DeepEquals(p.PermissionsPolicy().ToJsonNode(), doc["permissionsPolicy"]));
        AssertValid(doc["trustPolicy"], p.IssuerHostPath, "aud", "sub");
        AssertValid(doc["permissionsPolicy"], "-");
    }

    [Fact]
    public void Terraform_has_the_resources_balanced_braces_and_every_action()
    {
        var p = Plan(Base with { ReadWrite = true, KmsKeyArn = Kms, Thumbprints = [new string('a', 40)] });
        var tf = TerraformRenderer.Render(p);
        Assert.Contains("resource \"aws_iam_openid_connect_provider\" \"entra_id\" {", tf);
        Assert.Contains("resource \"aws_iam_role\" \"skybridge\" {", tf);
        Assert.Contains("resource \"aws_iam_role_policy\" \"skybridge_s3\" {", tf);
        Assert.Contains($"url            = \"https://sts.windows.net/{Tid}/\"", tf);
        Assert.Contains("client_id_list = [\"api://aws_azure_federate\"]", tf);
        Assert.Contains($"thumbprint_list = [\"{new string('a', 40)}\"]", tf);
        Assert.Contains("\"Federated\" = aws_iam_openid_connect_provider.entra_id.arn", tf);
        Assert.Contains($"\"sts.windows.net/{Tid}/:sub\" = \"{Mi}\"", tf);
        Assert.Contains("role = aws_iam_role.skybridge.id", tf);
        Assert.Equal(2, CountOf(tf, "jsonencode("));
        Assert.DoesNotContain(AwsFederationPlan.ProviderArnPlaceholder, tf);
        foreach (var s in Statements(p.PermissionsPolicy().ToJsonNode()).Concat(Statements(p.TrustPolicy("x").ToJsonNode())))
            foreach (var a in Values(s["Action"])) Assert.Contains($"\"{a}\"", tf);
        AssertBalanced(tf);
    }

    [Fact]
    public void Terraform_escapes_template_sequences()
        => Assert.Equal("\"a$${b}%%{c}\\\"\"", TerraformRenderer.Str("a${b}%{c}\""));

    [Fact]
    public void Balance_check_can_fail() => Assert.ThrowsAny<Exception>(() => AssertBalanced("resource \"x\" \"y\" { a = [\"}\" }"));

    // ---- rgw ------------------------------------------------------------------------------

    [Fact]
    public void Rgw_output_is_one_compact_object_with_compact_policy_strings()
    {
        var issuer = $"http://127.0.0.1:17090/{Tid}/";
        var p = Plan(Base with { IssuerUrl = issuer, Subject = null, KmsKeyArn = Kms, Thumbprints = [new string('b', 40)] }, IamDialect.CephRgw);
        var text = RgwRenderer.Render(p);
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        var doc = JsonNode.Parse(text)!.AsObject();
        foreach (var key in new[] { "providerUrl", "clientIds", "thumbprints", "roleName", "trustPolicy", "permissionsPolicy", "policyName" })
            Assert.True(doc.ContainsKey(key), key);
        Assert.Equal(issuer, (string?)doc["providerUrl"]);
        Assert.Equal([new string('b', 40)], Values(doc["thumbprints"]));

        var trustText = (string)doc["trustPolicy"]!;
        var permText = (string)doc["permissionsPolicy"]!;
        Assert.DoesNotContain(' ', trustText);
        Assert.DoesNotContain(' ', permText);
        var trust = JsonNode.Parse(trustText);
        AssertValid(trust, $"127.0.0.1:17090/{Tid}/", "app_id");
        var s = Statements(trust).Single();
        Assert.Equal($"arn:aws:iam:::oidc-provider/127.0.0.1:17090/{Tid}/", (string?)s["Principal"]!["Federated"]);
        Assert.Equal("api://aws_azure_federate", (string?)s["Condition"]!["StringEquals"]![$"127.0.0.1:17090/{Tid}/:app_id"]);

        var perm = JsonNode.Parse(permText);
        AssertValid(perm, "-");
        Assert.DoesNotContain(Statements(perm), st => Values(st["Action"]).Any(a => a.StartsWith("kms:")));
        // Same S3 statements as the AWS rendering.
        var aws = Plan(Base with { IssuerUrl = issuer, KmsKeyArn = null });
        Assert.True(JsonNode.DeepEquals(aws.PermissionsPolicy().ToJsonNode(), perm));
        Assert.Contains(p.Warnings, w => w.Contains("app_id"));
    }

    // ---- validation -----------------------------------------------------------------------

    public static TheoryData<string, AwsFederationRequest> BadRequests => new()
    {
        { "--tenant-id", Base with { TenantId = "contoso.onmicrosoft.com" } },
        { "--tenant-id", Base with { TenantId = null } },
        { "--audience", Base with { Audience = "aws_azure_federate" } },
        { "--audience", Base with { Audience = "" } },
        { "--role-name", Base with { RoleName = "bad role" } },
        { "--role-name", Base with { RoleName = new string('r', 65) } },
        { "--bucket", Base with { Bucket = "My_Bucket" } },
        { "--bucket", Base with { Bucket = "ab" } },
        { "--bucket", Base with { Bucket = "a..b" } },
        { "--bucket", Base with { Bucket = "192.168.1.1" } },
        { "--bucket", Base with { Bucket = "xn--abc" } },
        { "--bucket", Base with { Bucket = "data-s3alias" } },
        { "--prefix", Base with { Prefix = "/exports" } },
        { "--prefix", Base with { Prefix = "exp*" } },
        { "--max-session", Base with { MaxSessionSeconds = 3599 } },
        { "--max-session", Base with { MaxSessionSeconds = 43201 } },
        { "--token-version", Base with { TokenVersion = 3 } },
        { "--kms-key-arn", Base with { KmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:alias/mine" } },
        { "--issuer-url", Base with { IssuerUrl = "sts.windows.net/x/" } },
        { "--thumbprint", Base with { Thumbprints = ["abc"] } },
        { "--subject", Base with { Subject = "a b" } },
        { "--subject", Base with { Subject = null } },
    };

    [Theory, MemberData(nameof(BadRequests))]
    public void Invalid_input_is_a_usage_error_with_what_why_and_fix(string option, AwsFederationRequest request)
    {
        var e = Assert.Throws<SkybridgeException>(() => AwsFederationPlan.Create(request));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains(option, e.Message);                    // what
        Assert.Contains(":", e.Message);                       // ...: why
        Assert.True(e.Message.Length > option.Length + 30, e.Message);
        Assert.False(string.IsNullOrWhiteSpace(e.Fix));        // fix
    }

    [Theory]
    [InlineData(3600)]
    [InlineData(43200)]
    public void Max_session_bounds_are_inclusive(int seconds)
        => Assert.Equal(seconds, Plan(Base with { MaxSessionSeconds = seconds }).MaxSessionDuration);

    [Fact]
    public void Unknown_format_is_a_usage_error()
    {
        var e = Assert.Throws<SkybridgeException>(() => AwsSetupFormats.Render(Plan(), "yaml"));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("cloudformation", e.Fix);
    }

    private static int CountOf(string s, string sub)
    {
        int n = 0, i = 0;
        while ((i = s.IndexOf(sub, i, StringComparison.Ordinal)) >= 0) { n++; i += sub.Length; }
        return n;
    }

    /// <summary>Braces, brackets and parentheses balance outside quoted strings and # comments.</summary>
    private static void AssertBalanced(string hcl)
    {
        var stack = new Stack<char>();
        foreach (var line in hcl.Split('\n'))
        {
            var inString = false;
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (inString)
                {
                    if (c == '\\') i++;
                    else if (c == '"') inString = false;
                    continue;
                }
                if (c == '#') break;
                if (c == '"') inString = true;
                else if (c is '{' or '[' or '(') stack.Push(c);
                else if (c is '}' or ']' or ')')
                {
                    Assert.NotEmpty(stack);
                    var open = stack.Pop();
                    Assert.Equal(c switch { '}' => '{', ']' => '[', _ => '(' }, open);
                }
            }
            Assert.False(inString, $"unterminated string: {line}");
        }
        Assert.Empty(stack);
    }
}
