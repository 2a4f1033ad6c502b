using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Skybridge.Setup;
using static Skybridge.Tests.Setup.IamPolicyChecker;

namespace Skybridge.Tests.Setup;

public class AzureSetupTests
{
    private const string Mi = "11111111-2222-3333-4444-555555555555";

    private static AzureAppSetupRequest Full => new()
    {
        AppName = "skybridge-aws-federation", IdentifierUri = "api://aws_azure_federate",
        AssignTo = Mi, StorageAccount = "mydata01", Container = "landing",
    };

    private static JsonNode PatchBody(string script)
    {
        var m = Regex.Match(script, "<<'SKYBRIDGE_JSON_EOF'\\n(?<b>.*?)\\nSKYBRIDGE_JSON_EOF\\n", RegexOptions.Singleline);
        Assert.True(m.Success);
        return JsonNode.Parse(m.Groups["b"].Value)!;
    }

    [Fact]
    public void Full_cli_script_passes_bash_n_and_has_every_step()
    {
        var script = AzCliScriptRenderer.Render(AzureAppSetupPlan.Create(Full));
        var (code, err) = BashSyntaxCheck(script);
        Assert.True(code == 0, err);
        Assert.Contains("set -euo pipefail", script);
        Assert.Contains("az ad app create --display-name \"$APP_NAME\" --identifier-uris \"$IDENTIFIER_URI\"", script);
        Assert.Contains("IDENTIFIER_URI='api://aws_azure_federate'", script);
        Assert.Contains("{\"appRoleAssignmentRequired\":true}", script);
        Assert.Contains("az rest --method POST --uri \"$GRAPH/servicePrincipals/$SP_ID/appRoleAssignedTo\"", script);
        Assert.Contains($"ASSIGN_TO='{Mi}'", script);
        Assert.Contains("az role assignment create --assignee-object-id \"$ASSIGN_TO\"", script);
        Assert.Contains("--role 'Storage Blob Data Contributor' --scope \"$SCOPE\"", script);
        Assert.Contains("/blobServices/default/containers/$CONTAINER", script);
        Assert.Contains("iss = https://sts.windows.net/<tenant-id>/", script);   // explained for v1
    }

    [Fact]
    public void V1_sets_requested_token_version_null_with_an_application_app_role()
    {
        var plan = AzureAppSetupPlan.Create(Full);
        var body = PatchBody(AzCliScriptRenderer.Render(plan)).AsObject();
        var api = body["api"]!.AsObject();
        Assert.True(api.ContainsKey("requestedAccessTokenVersion"));
        Assert.Null(api["requestedAccessTokenVersion"]);
        var role = body["appRoles"]![0]!;
        Assert.Equal(["Application"], Values(role["allowedMemberTypes"]));
        Assert.Equal(plan.AppRoleId.ToString("D"), (string?)role["id"]);
        Assert.True((bool)role["isEnabled"]!);
    }

    [Fact]
    public void V2_sets_version_2_and_points_setup_aws_at_the_client_id()
    {
        var script = AzCliScriptRenderer.Render(AzureAppSetupPlan.Create(Full with { TokenVersion = 2 }));
        Assert.Equal(2, (int)PatchBody(script)["api"]!["requestedAccessTokenVersion"]!);
        Assert.Contains("--audience $APP_ID --token-version 2", script);
        Assert.Equal(0, BashSyntaxCheck(script).Code);
    }

    [Fact]
    public void Minimal_cli_script_without_assignment_passes_bash_n_and_skips_grants()
    {
        var plan = AzureAppSetupPlan.Create(new AzureAppSetupRequest { AppName = "it's mine", IdentifierUri = "api://x" });
        var script = AzCliScriptRenderer.Render(plan);
        var (code, err) = BashSyntaxCheck(script);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("az role assignment create", script);
        Assert.DoesNotContain("ASSIGN_TO=", script);
        Assert.Contains(plan.Warnings, w => w.Contains("--assign-to"));
    }

    [Fact]
    public void App_role_id_is_stable_across_runs_and_differs_per_app()
    {
        var a = AzureAppSetupPlan.Create(Full).AppRoleId;
        Assert.Equal(a, AzureAppSetupPlan.Create(Full).AppRoleId);
        Assert.NotEqual(a, AzureAppSetupPlan.Create(Full with { IdentifierUri = "api://other" }).AppRoleId);
        Assert.Equal('8', a.ToString("D")[14]); // RFC 9562 version 8 (custom)
    }

    [Fact]
    public void Graph_json_has_the_three_request_bodies()
    {
        var plan = AzureAppSetupPlan.Create(Full);
        var doc = JsonNode.Parse(GraphJsonRenderer.Render(plan))!;
        var app = doc["application"]!["body"]!;
        Assert.Equal(["api://aws_azure_federate"], Values(app["identifierUris"]));
        Assert.Equal("skybridge-aws-federation", (string?)app["displayName"]);
        Assert.True(app["api"]!.AsObject().ContainsKey("requestedAccessTokenVersion"));
        Assert.True((bool)doc["servicePrincipalPatch"]!["body"]!["appRoleAssignmentRequired"]!);
        var assignment = doc["appRoleAssignment"]!["body"]!;
        Assert.Equal(Mi, (string?)assignment["principalId"]);
        Assert.Equal((string?)app["appRoles"]![0]!["id"], (string?)assignment["appRoleId"]);
        Assert.EndsWith("/appRoleAssignedTo", (string?)doc["appRoleAssignment"]!["url"]);
        Assert.EndsWith("/containers/landing", (string?)doc["storageRoleAssignment"]!["scope"]);
        Assert.EndsWith(AzureAppSetupPlan.StorageBlobDataContributorId, (string?)doc["storageRoleAssignment"]!["body"]!["properties"]!["roleDefinitionId"]);
    }

    public static TheoryData<string, AzureAppSetupRequest> BadRequests => new()
    {
        { "--app-name", Full with { AppName = null } },
        { "--identifier-uri", Full with { IdentifierUri = "aws_azure_federate" } },
        { "--identifier-uri", Full with { IdentifierUri = "api://x/.default" } },
        { "--assign-to", Full with { AssignTo = "my-identity" } },
        { "--storage-account", Full with { StorageAccount = "My_Account" } },
        { "--container", Full with { Container = "a--b" } },
        { "--container", Full with { Container = null } },
        { "--assign-to", Full with { AssignTo = null } },
        { "--token-version", Full with { TokenVersion = 0 } },
    };

    [Theory, MemberData(nameof(BadRequests))]
    public void Invalid_input_is_a_usage_error_with_what_why_and_fix(string option, AzureAppSetupRequest request)
    {
        var e = Assert.Throws<SkybridgeException>(() => AzureAppSetupPlan.Create(request));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains(option, e.Message);
        Assert.Contains(":", e.Message);
        Assert.False(string.IsNullOrWhiteSpace(e.Fix));
    }

    [Fact]
    public void Unknown_format_is_a_usage_error()
        => Assert.Equal(ErrorKind.Usage, Assert.Throws<SkybridgeException>(() => AzureSetupFormats.Render(AzureAppSetupPlan.Create(Full), "terraform")).Kind);
}
