using System.Text.Json.Nodes;

namespace Skybridge.Setup.Azure;

/// <summary>
/// An Azure Resource Manager deployment template built from JSON nodes (never from concatenated
/// text): parameters, variables, resources and outputs, rendered with the 2019-04-01 envelope.
/// Template expressions are built with <see cref="Param"/> / <see cref="Expr"/>, literal strings
/// that start with '[' are escaped (<see cref="Literal"/>) so ARM does not evaluate them.
/// </summary>
internal sealed class ArmTemplate(string description)
{
    public const string SchemaUri = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

    private readonly JsonObject _parameters = [];
    private readonly JsonObject _variables = [];
    private readonly JsonArray _resources = [];
    private readonly JsonObject _outputs = [];

    /// <summary>Declares a parameter and returns the expression that reads it: <c>[parameters('name')]</c>.</summary>
    public string Parameter(string name, string type, JsonNode? defaultValue, string description, params string[] allowedValues)
    {
        var p = new JsonObject { ["type"] = type };
        if (defaultValue is not null) p["defaultValue"] = defaultValue is JsonValue v && v.TryGetValue<string>(out var s) ? Literal(s) : defaultValue;
        if (allowedValues.Length > 0) p["allowedValues"] = new JsonArray([.. allowedValues.Select(a => (JsonNode)a)]);
        p["metadata"] = new JsonObject { ["description"] = description };
        _parameters[name] = p;
        return Param(name);
    }

    /// <summary>"location", defaulting to the resource group's (an expression default, so not escaped).</summary>
    public void LocationParameter()
    {
        Parameter("location", "string", null, "Region of the resources (default: the resource group's).");
        _parameters["location"]!["defaultValue"] = "[resourceGroup().location]";
    }

    public void Variable(string name, JsonNode value) => _variables[name] = value;

    public JsonObject Resource(JsonObject resource)
    {
        _resources.Add(resource);
        return resource;
    }

    public void Output(string name, string type, string valueExpression) =>
        _outputs[name] = new JsonObject { ["type"] = type, ["value"] = valueExpression };

    public JsonObject ToJson() => new()
    {
        ["$schema"] = SchemaUri,
        ["contentVersion"] = "1.0.0.0",
        ["metadata"] = new JsonObject { ["description"] = description, ["generator"] = "skybridge setup" },
        ["parameters"] = _parameters.DeepClone(),
        ["variables"] = _variables.DeepClone(),
        ["resources"] = _resources.DeepClone(),
        ["outputs"] = _outputs.DeepClone(),
    };

    public string Render() => ToJson().ToJsonString(PolicyDocument.Indented) + "\n";

    /// <summary><c>[parameters('name')]</c></summary>
    public static string Param(string name) => $"[parameters('{name}')]";

    /// <summary>A whole-value template expression from its body: <c>Expr("concat(a, b)")</c> = <c>[concat(a, b)]</c>.</summary>
    public static string Expr(string body) => "[" + body + "]";

    /// <summary>The body of <c>[parameters('name')]</c>, for use inside a larger expression.</summary>
    public static string P(string name) => $"parameters('{name}')";

    /// <summary>A string literal inside a template expression ('' escapes a quote).</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A literal value: ARM evaluates strings in [brackets], so a leading '[' is doubled.</summary>
    public static string Literal(string text) => text.StartsWith('[') ? "[" + text : text;

    /// <summary>The name of a child resource of a parameter-named parent: <c>[concat(parameters('parent'), '/child')]</c>.</summary>
    public static string ChildName(string parentParameter, string child) => Expr($"concat({P(parentParameter)}, {Quote("/" + child)})");

    /// <summary><c>[resourceId('type', parameters('parent'), 'child')]</c></summary>
    public static string ChildId(string type, string parentParameter, string child) => Expr($"resourceId({Quote(type)}, {P(parentParameter)}, {Quote(child)})");

    /// <summary>A resource with the common fields in ARM's order.</summary>
    public static JsonObject NewResource(string type, string apiVersion, string name, JsonObject properties, params string[] dependsOn)
    {
        var r = new JsonObject { ["type"] = type, ["apiVersion"] = apiVersion, ["name"] = name };
        if (dependsOn.Length > 0) r["dependsOn"] = new JsonArray([.. dependsOn.Select(d => (JsonNode)d)]);
        r["properties"] = properties;
        return r;
    }
}
