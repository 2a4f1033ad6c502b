using System.Text.Json.Nodes;
using Skybridge.Setup.Azure;
using YamlDotNet.RepresentationModel;

namespace Skybridge.Tests.Setup.Arm;

/// <summary>
/// Issue 15: every template `skybridge setup adf | container-apps-job | broker | aks` generates
/// validates against the official schemas, its expressions are well formed, and its pipelines carry
/// no token in a URL, no XML cutting and no insecure credential output (<see cref="ArmTemplateValidator"/>).
/// </summary>
public sealed class GeneratedTemplateTests
{
    internal const string JobId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.App/jobs/skybridge-copy";
    internal const string FactoryPrincipal = "3b6c9f0e-8a41-4d2b-b7e5-0c9d1e2f3a4b";

    internal static AdfSetupRequest AdfRequest(bool adls = false, bool job = true) => new()
    {
        FactoryName = "contoso-factory",
        BrokerUrl = "https://skybridge-broker.example.azurecontainerapps.io/v1/credentials",
        Audience = "api://aws_azure_federate",
        RoleArn = "arn:aws:iam::123456789012:role/skybridge-reader",
        Bucket = "contoso-exports",
        Prefix = "daily/2026",
        StorageAccount = "contosolake01",
        Container = "landing",
        DestinationPath = "from-s3",
        AdlsGen2 = adls,
        ExpectedCopyMinutes = 90,
        JobResourceId = job ? JobId : null,
        JobImage = job ? "contoso.azurecr.io/skybridge:1.0" : null,
        JobDestinationUrl = job ? "https://contosolake01.blob.core.windows.net/landing/from-s3" : null,
    };

    internal static HostingRequest Hosting(bool factory = true) => new()
    {
        Name = "skybridge-copy",
        Image = "contoso.azurecr.io/skybridge:1.0",
        EnvironmentId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/env",
        TenantId = "7f3c1a52-5b0e-4c1e-9d7a-2b8e6f4a9c10",
        Audience = "api://aws_azure_federate",
        RoleArn = "arn:aws:iam::123456789012:role/skybridge-reader",
        Region = "eu-west-1",
        StorageAccount = "contosolake01",
        Container = "landing",
        Source = "s3://contoso-exports/daily",
        Destination = "https://contosolake01.blob.core.windows.net/landing/from-s3",
        FactoryPrincipalId = factory ? FactoryPrincipal : null,
        FunctionPlanId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Web/serverfarms/plan",
        FunctionStorageAccount = "contosohost01",
        OidcIssuer = "https://eastus.oic.prod-aks.azure.com/7f3c1a52-5b0e-4c1e-9d7a-2b8e6f4a9c10/1d2c3b4a/",
    };

    public static TheoryData<string> Templates() => [.. All.Keys];

    internal static readonly Dictionary<string, Func<JsonObject>> All = new()
    {
        ["adf: blob, both pipelines"] = () => AdfTemplate.Build(AdfSetupPlan.Create(AdfRequest())).ToJson(),
        ["adf: adls gen2, copy pipeline only"] = () => AdfTemplate.Build(AdfSetupPlan.Create(AdfRequest(adls: true, job: false))).ToJson(),
        ["container-apps-job with factory grant"] = () => HostingRecipes.ContainerAppsJob(Hosting()).ToJson(),
        ["container-apps-job alone"] = () => HostingRecipes.ContainerAppsJob(Hosting(factory: false)).ToJson(),
        ["broker: container app"] = () => HostingRecipes.Broker(Hosting(), "container-app").ToJson(),
        ["broker: function app"] = () => HostingRecipes.Broker(Hosting(), "function").ToJson(),
        ["aks: azure side"] = () => AksRecipe.Azure(Hosting() with { Name = "skybridge" }).ToJson(),
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public async Task Generated_template_validates_against_the_official_schemas_and_its_expressions(string name)
    {
        var template = All[name]();
        var problems = await ArmTemplateValidator.ValidateAsync(template);
        Assert.True(problems.Count == 0, $"{name}:\n" + string.Join("\n", problems));
        Assert.NotEmpty(template["resources"]!.AsArray());
    }

    [Fact]
    public void Copy_pipeline_secures_the_credentials_and_sets_their_lifetime_against_the_copy_time()
    {
        var template = AdfTemplate.Build(AdfSetupPlan.Create(AdfRequest())).ToJson();
        var pipeline = Resource(template, "Microsoft.DataFactory/factories/pipelines", AdfSetupPlan.CopyPipeline);
        var get = Activity(pipeline, AdfSetupPlan.GetCredentials);
        Assert.Equal("WebActivity", (string?)get["type"]);
        Assert.True((bool)get["policy"]!["secureOutput"]!);
        Assert.True((bool)get["policy"]!["secureInput"]!);
        Assert.True((int)get["policy"]!["retry"]! > 0);
        Assert.Equal("MSI", (string?)get["typeProperties"]!["authentication"]!["type"]);
        Assert.Equal("[parameters('audience')]", (string?)get["typeProperties"]!["authentication"]!["resource"]);
        var copy = Activity(pipeline, AdfSetupPlan.CopyActivity);
        Assert.True((bool)copy["policy"]!["secureInput"]!);
        Assert.True((bool)copy["typeProperties"]!["source"]!["storeSettings"]!["recursive"]!);
        // 90 min x 1.25 + 5 min = 117.5 min -> 7050 s; the copy stops 5 min before the session ends.
        Assert.Equal(7050, (int)template["parameters"]!["durationSeconds"]!["defaultValue"]!);
        Assert.Equal("0.01:52:30", (string?)copy["policy"]!["timeout"]);

        var s3 = Resource(template, "Microsoft.DataFactory/factories/linkedservices", AdfSetupPlan.S3LinkedService);
        Assert.Equal("TemporarySecurityCredentials", (string?)s3["typeProperties"]!["authenticationType"]);
        Assert.All(new[] { "accessKeyId", "secretAccessKey", "sessionToken" }, p => Assert.Equal("SecureString", (string?)s3["parameters"]![p]!["type"]));
        var sink = Resource(template, "Microsoft.DataFactory/factories/linkedservices", AdfSetupPlan.SinkLinkedService);
        Assert.Null(sink["typeProperties"]!["accountKey"]); // the factory's managed identity, no key
        Assert.Null(sink["typeProperties"]!["connectionString"]);
    }

    [Fact]
    public void Job_pipeline_starts_the_job_through_arm_with_the_factory_identity_and_maps_every_end_state()
    {
        var template = AdfTemplate.Build(AdfSetupPlan.Create(AdfRequest())).ToJson();
        var pipeline = Resource(template, "Microsoft.DataFactory/factories/pipelines", AdfSetupPlan.JobPipeline);
        var start = Activity(pipeline, AdfSetupPlan.StartJob);
        Assert.Equal(AdfSetupPlan.ArmResource, (string?)start["typeProperties"]!["authentication"]!["resource"]);
        Assert.Contains("/start?api-version=", (string?)start["typeProperties"]!["url"]);
        var until = Activity(pipeline, "Wait for the job");
        Assert.Equal("Until", (string?)until["type"]);
        var cases = Activity(pipeline, "Map the outcome")["typeProperties"]!["cases"]!.AsArray().Select(c => (string?)c!["value"]).ToList();
        Assert.Equal(["Failed", "Stopped", "Degraded"], cases);
        var failed = Activity(pipeline, "Map the outcome")["typeProperties"]!["cases"]![0]!["activities"]![0]!;
        Assert.Equal("Fail", (string?)failed["type"]);
        Assert.Contains("3 = authentication", (string?)failed["typeProperties"]!["message"]);
    }

    [Fact]
    public void A_copy_longer_than_any_sts_session_is_flagged_and_capped()
    {
        var plan = AdfSetupPlan.Create(AdfRequest() with { ExpectedCopyMinutes = 900 });
        Assert.Equal(43200, plan.DurationSeconds);
        Assert.Contains(plan.Warnings, w => w.Contains("outlives the longest STS session") && w.Contains(AdfSetupPlan.JobPipeline));
    }

    [Theory]
    [InlineData("http://broker.example.com/v1/credentials", "--broker-url")]
    [InlineData("https://broker.example.com/v1/credentials?code=abc", "--broker-url")]
    [InlineData(null, "--broker-url")]
    public void Bad_broker_urls_are_refused_with_a_fix(string? url, string option)
    {
        var e = Assert.Throws<SkybridgeException>(() => AdfSetupPlan.Create(AdfRequest() with { BrokerUrl = url }));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains(option, e.Message);
        Assert.False(string.IsNullOrEmpty(e.Fix));
    }

    [Fact]
    public void Aks_yaml_has_the_client_id_annotation_and_the_workload_identity_label_as_a_string()
    {
        var warnings = new List<string>();
        var yaml = AksRecipe.Kubernetes(Hosting() with { Name = "skybridge" }, "a1d0c6e5-2f4b-4c3a-9e8d-7b6a5c4d3e2f", warnings);
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        Assert.Equal(2, stream.Documents.Count);
        var sa = (YamlMappingNode)stream.Documents[0].RootNode;
        Assert.Equal("ServiceAccount", sa["kind"].ToString());
        Assert.Equal("a1d0c6e5-2f4b-4c3a-9e8d-7b6a5c4d3e2f", Map(sa, "metadata", "annotations")["azure.workload.identity/client-id"].ToString());
        var label = (YamlScalarNode)Map(stream.Documents[1].RootNode, "spec", "template", "metadata", "labels")["azure.workload.identity/use"];
        Assert.Equal("true", label.Value);
        Assert.NotEqual(YamlDotNet.Core.ScalarStyle.Plain, label.Style); // quoted: Kubernetes labels are strings
        Assert.Empty(warnings);
        Assert.DoesNotContain("secret", yaml, StringComparison.OrdinalIgnoreCase);
    }

    private static YamlMappingNode Map(YamlNode node, params string[] path) =>
        path.Aggregate((YamlMappingNode)node, (m, key) => (YamlMappingNode)m[key]);

    internal static JsonObject Resource(JsonObject template, string type, string child) =>
        template["resources"]!.AsArray().Select(r => r!.AsObject())
            .Single(r => (string?)r["type"] == type && ((string?)r["name"])!.Contains("'/" + child + "'", StringComparison.Ordinal))["properties"]!.AsObject();

    internal static JsonObject Activity(JsonObject pipeline, string name) =>
        AllActivities(pipeline["activities"]!.AsArray()).Single(a => (string?)a["name"] == name);

    private static IEnumerable<JsonObject> AllActivities(JsonArray activities)
    {
        foreach (var a in activities.Select(x => x!.AsObject()))
        {
            yield return a;
            if (a["typeProperties"]?["activities"] is JsonArray inner)
                foreach (var i in AllActivities(inner)) yield return i;
        }
    }
}
