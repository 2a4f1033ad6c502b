using System.Text.Json.Nodes;
using Skybridge.Setup.Azure;

namespace Skybridge.Tests.Setup.Arm;

/// <summary>The validator itself must fail: each case breaks a valid generated template in one way.</summary>
public sealed class ArmTemplateValidatorTests
{
    private static JsonObject Valid() => AdfTemplate.Build(AdfSetupPlan.Create(GeneratedTemplateTests.AdfRequest())).ToJson();

    private static JsonObject CopyPipeline(JsonObject t) => GeneratedTemplateTests.Resource(t, "Microsoft.DataFactory/factories/pipelines", AdfSetupPlan.CopyPipeline);
    private static JsonObject JobPipeline(JsonObject t) => GeneratedTemplateTests.Resource(t, "Microsoft.DataFactory/factories/pipelines", AdfSetupPlan.JobPipeline);
    private static JsonObject GetCredentials(JsonObject t) => GeneratedTemplateTests.Activity(CopyPipeline(t), AdfSetupPlan.GetCredentials);
    private static JsonObject Copy(JsonObject t) => GeneratedTemplateTests.Activity(CopyPipeline(t), AdfSetupPlan.CopyActivity);

    public static TheoryData<string> Breakages() => [.. Cases.Keys];

    private static readonly Dictionary<string, (Action<JsonObject> Break, string Expected)> Cases = new()
    {
        ["schema: unknown linked service type"] = (t => GeneratedTemplateTests.Resource(t, "Microsoft.DataFactory/factories/linkedservices", AdfSetupPlan.S3LinkedService)["type"] = "AmazonS4", "schema: NotOneOf"),
        ["schema: retry interval below 30 s"] = (t => GetCredentials(t)["policy"]!["retryIntervalInSeconds"] = 5, "schema:"),
        ["schema: wrong apiVersion for the type"] = (t => t["resources"]![0]!["apiVersion"] = "2017-09-01-preview", "no schema for Microsoft.DataFactory/factories/linkedservices"),
        ["schema: envelope without contentVersion"] = (t => t.Remove("contentVersion"), "template: schema: PropertyRequired"),
        ["arm: unbalanced expression"] = (t => t["resources"]![0]!["name"] = "[concat(parameters('factoryName'), '/x'", "ARM expression"),
        ["arm: undeclared parameter"] = (t => t["resources"]![0]!["name"] = "[concat(parameters('factory'), '/x')]", "parameters('factory') is not declared"),
        ["arm: unused parameter"] = (t => t["parameters"]!["spare"] = new JsonObject { ["type"] = "string" }, "parameter 'spare' is declared but never used"),
        ["adf: activity that does not exist"] = (t => Copy(t)["inputs"]![0]!["parameters"]!["prefix"] = "@activity('Nope').output.prefix", "activity('Nope') is not an activity of this pipeline"),
        ["adf: activity not depended on"] = (t => Copy(t)["dependsOn"] = new JsonArray(), "does not depend on it"),
        ["adf: dependency on a missing activity"] = (t => Copy(t)["dependsOn"]![0]!["activity"] = "Get AWS creds", "which is not an activity of its scope"),
        ["adf: undeclared pipeline parameter"] = (t => GetCredentials(t)["typeProperties"]!["url"] = "@pipeline().parameters.brokerURL", "pipeline().parameters.brokerURL is not declared"),
        ["adf: undeclared variable"] = (t => JobPipeline(t).Remove("variables"), "variables('jobStatus') is not declared"),
        ["adf: expression that does not parse"] = (t => GetCredentials(t)["typeProperties"]!["url"] = "@concat('https://x', pipeline(", "ADF expression does not parse"),
        ["adf: undeclared linked service parameter"] = (t => GeneratedTemplateTests.Resource(t, "Microsoft.DataFactory/factories/linkedservices", AdfSetupPlan.S3LinkedService)["typeProperties"]!["accessKeyId"] = "@{linkedService().accessKey}", "linkedService().accessKey is not declared"),
        ["security: MSI token to a URL a run chooses"] = (t => { CopyPipeline(t)["parameters"]!["target"] = new JsonObject { ["type"] = "String" }; GetCredentials(t)["typeProperties"]!["url"] = "@pipeline().parameters.target"; }, "sends the factory's managed identity token to a URL a pipeline parameter chooses"),
        ["security: token in a URL"] = (t => GetCredentials(t)["typeProperties"]!["url"] = "https://sts.amazonaws.com/?Action=AssumeRoleWithWebIdentity&WebIdentityToken=@{activity('x').output}", "WebIdentityToken= in a value"),
        ["security: XML cutting"] = (t => Copy(t)["inputs"]![0]!["parameters"]!["accessKeyId"] = "@substring(activity('Get AWS credentials').output.accessKeyId, 0, 20)", "substring() cuts a reply apart"),
        ["security: credentials in an insecure output"] = (t => GetCredentials(t)["policy"]!["secureOutput"] = false, "outputs credentials without policy.secureOutput"),
        ["security: credentials in an insecure input"] = (t => Copy(t)["policy"]!["secureInput"] = false, "as input without policy.secureInput"),
        ["security: secret key not a SecureString"] = (t => GeneratedTemplateTests.Resource(t, "Microsoft.DataFactory/factories/linkedservices", AdfSetupPlan.S3LinkedService)["typeProperties"]!["secretAccessKey"] = "@{linkedService().secretAccessKey}", "typeProperties.secretAccessKey is not a SecureString"),
        ["security: credential parameter not a SecureString"] = (t => GeneratedTemplateTests.Resource(t, "Microsoft.DataFactory/factories/datasets", AdfSetupPlan.SourceDataset)["parameters"]!["sessionToken"]!["type"] = "String", "parameter 'sessionToken' carries a credential but is not SecureString"),
    };

    [Fact]
    public async Task The_unbroken_template_passes()
    {
        Assert.Empty(await ArmTemplateValidator.ValidateAsync(Valid()));
    }

    [Theory]
    [MemberData(nameof(Breakages))]
    public async Task Validator_reports_the_breakage(string name)
    {
        var template = Valid();
        var (breakIt, expected) = Cases[name];
        breakIt(template);
        var problems = await ArmTemplateValidator.ValidateAsync(template);
        Assert.True(problems.Any(p => p.Contains(expected, StringComparison.Ordinal)), $"{name}: expected a problem containing \"{expected}\", got:\n" + string.Join("\n", problems));
    }

    [Theory]
    [InlineData("concat('a', parameters('b'))")]
    [InlineData("activity('Get AWS credentials').output?.accessKeyId")]
    [InlineData("createArray('Running', 'It''s')[0]")]
    [InlineData("json('0.5')")]
    public void Expression_parser_reads_the_grammar(string text)
    {
        var node = TemplateExpression.Parse(text);
        Assert.IsType<ExprNode>(node, exactMatch: false);
    }

    [Theory]
    [InlineData("concat('a'")]
    [InlineData("'unterminated")]
    [InlineData("concat('a') extra")]
    [InlineData("a.b")]
    public void Expression_parser_refuses_what_is_not_an_expression(string text)
    {
        Assert.Throws<FormatException>(() => TemplateExpression.Parse(text));
    }

    [Fact]
    public void Escaped_values_are_literals_not_expressions()
    {
        Assert.Null(TemplateExpression.ParseArm("[[not an expression]"));
        Assert.Empty(TemplateExpression.ParseAdf("@@not an expression"));
        Assert.Equal(2, TemplateExpression.ParseAdf("a @{pipeline().parameters.x} b @{variables('y')}").Count);
    }
}
