using System.Text.Json.Nodes;
using NJsonSchema.Validation;

namespace Skybridge.Tests.Setup.Arm;

/// <summary>
/// Checks an ARM template the same way every time, and returns every problem found (empty = valid):
/// <list type="bullet">
/// <item>the envelope against deploymentTemplate.json, each resource against its provider's
/// resourceDefinition for its type and apiVersion (official schemas, <see cref="ArmSchemas"/>);</item>
/// <item>every ARM expression parses; every parameters('x') / variables('x') is declared; every
/// declared parameter is used;</item>
/// <item>Data Factory: every ADF expression parses; activity('X') names an activity of the pipeline
/// that the referring activity depends on (transitively, or through its container); pipeline().parameters.x,
/// variables('x'), linkedService().x and dataset().x are declared;</item>
/// <item>security: no WebIdentityToken= anywhere, no substring/indexOf cutting of replies, an
/// activity whose output carries a credential has secureOutput, one whose input does has secureInput,
/// and credential linked-service fields are SecureString.</item>
/// </list>
/// </summary>
public static class ArmTemplateValidator
{
    /// <summary>Output fields of an activity that are credentials (the broker's reply).</summary>
    private static readonly string[] CredentialFields = ["accessKeyId", "secretAccessKey", "sessionToken", "access_token", "token", "password"];
    private static readonly string[] CuttingFunctions = ["substring", "indexOf", "lastIndexOf", "split"];

    public static async Task<IReadOnlyList<string>> ValidateAsync(JsonObject template)
    {
        var problems = new List<string>();
        var envelope = await ArmSchemas.EnvelopeAsync();
        problems.AddRange(Describe("template", envelope.Validate(template.ToJsonString())));

        var parameters = template["parameters"]?.AsObject().Select(p => p.Key).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var variables = template["variables"]?.AsObject().Select(p => p.Key).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var usedParameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        foreach (var (value, path) in Strings(template, "$"))
        {
            if (value.Contains("WebIdentityToken=", StringComparison.OrdinalIgnoreCase))
                problems.Add($"{path}: WebIdentityToken= in a value: the token would travel in a URL (and its logs)");
            ExprNode? arm;
            try { arm = TemplateExpression.ParseArm(value); }
            catch (FormatException e) { problems.Add($"{path}: ARM expression does not parse: {e.Message}"); continue; }
            if (arm is null) continue;
            try
            {
                foreach (var p in TemplateExpression.CallArguments(arm, "parameters"))
                {
                    usedParameters.Add(p);
                    if (!parameters.Contains(p)) problems.Add($"{path}: parameters('{p}') is not declared");
                }
                foreach (var v in TemplateExpression.CallArguments(arm, "variables"))
                    if (!variables.Contains(v)) problems.Add($"{path}: variables('{v}') is not declared");
            }
            catch (FormatException e) { problems.Add($"{path}: {e.Message}"); }
        }
        foreach (var p in parameters.Where(p => !usedParameters.Contains(p)))
            problems.Add($"parameter '{p}' is declared but never used");

        var resources = template["resources"]?.AsArray() ?? [];
        for (var i = 0; i < resources.Count; i++)
        {
            var r = resources[i]!.AsObject();
            var type = (string?)r["type"] ?? "";
            var api = (string?)r["apiVersion"] ?? "";
            var where = $"resources[{i}] ({type})";
            var schema = await ArmSchemas.ResourceAsync(type, api);
            if (schema is null) problems.Add($"{where}: no schema for {type} {api} in {ArmSchemas.Directory}");
            else
            {
                // 'scope' (extension resources) belongs to the envelope's resourceBase, not to the provider's definition.
                var body = (JsonObject)r.DeepClone();
                body.Remove("scope");
                problems.AddRange(Describe(where, schema.Validate(body.ToJsonString())));
            }
            var properties = r["properties"] as JsonObject;
            switch (type)
            {
                case "Microsoft.DataFactory/factories/pipelines" when properties is not null:
                    problems.AddRange(AdfPipelineChecks.Check(where, properties));
                    break;
                case "Microsoft.DataFactory/factories/linkedservices" or "Microsoft.DataFactory/factories/datasets" when properties is not null:
                    problems.AddRange(AdfPipelineChecks.CheckEntity(where, properties, type.EndsWith("linkedservices", StringComparison.Ordinal) ? "linkedService" : "dataset"));
                    break;
            }
        }
        return problems;
    }

    /// <summary>Every string value with its JSON path.</summary>
    internal static IEnumerable<(string Value, string Path)> Strings(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                    foreach (var s in Strings(v, $"{path}.{k}")) yield return s;
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    foreach (var s in Strings(a[i], $"{path}[{i}]")) yield return s;
                break;
            case JsonValue v when v.TryGetValue<string>(out var str):
                yield return (str, path);
                break;
        }
    }

    private static IEnumerable<string> Describe(string where, ICollection<ValidationError> errors) =>
        errors.Select(e => $"{where}: schema: {Explain(e, 0)}");

    /// <summary>An error with its nested oneOf/anyOf reasons (a few levels, the innermost are the useful ones).</summary>
    private static string Explain(ValidationError e, int depth) =>
        $"{e.Kind} at {e.Path}" + (e is ChildSchemaValidationError c && depth < 4
            ? " (" + string.Join("; ", c.Errors.SelectMany(x => x.Value).Where(x => x.Kind != ValidationErrorKind.StringExpected).Take(4).Select(x => Explain(x, depth + 1))) + ")" : "");

    /// <summary>Data Factory expression, dependency and secrecy checks.</summary>
    internal static class AdfPipelineChecks
    {
        private sealed record ActivityInfo(JsonObject Json, string Name, string? Container, IReadOnlyList<string> DependsOn);

        public static IEnumerable<string> Check(string where, JsonObject pipeline)
        {
            var problems = new List<string>();
            var parameters = Keys(pipeline["parameters"]);
            var variables = Keys(pipeline["variables"]);
            var all = new Dictionary<string, ActivityInfo>(StringComparer.Ordinal);
            Collect(pipeline["activities"] as JsonArray, null, all, problems, where);

            foreach (var a in all.Values)
            {
                foreach (var d in a.DependsOn)
                    if (!all.TryGetValue(d, out var target) || target.Container != a.Container)
                        problems.Add($"{where}: activity '{a.Name}' depends on '{d}', which is not an activity of its scope");
                if ((string?)a.Json["type"] == "WebActivity" && (string?)a.Json["typeProperties"]?["authentication"]?["type"] == "MSI"
                    && a.Json["typeProperties"]?["url"] is JsonValue url && url.TryGetValue<string>(out var u)
                    && SafeAdf(u).Any(e => TemplateExpression.MemberChains(e, "pipeline").Any(c => c is ["parameters", ..])))
                    problems.Add($"{where}: activity '{a.Name}' sends the factory's managed identity token to a URL a pipeline parameter chooses");
                var reach = Reachable(a, all);
                foreach (var (value, path) in Strings(OwnJson(a.Json), $"activity '{a.Name}'"))
                {
                    IReadOnlyList<ExprNode> exprs;
                    try { exprs = TemplateExpression.ParseAdf(value); }
                    catch (FormatException e) { problems.Add($"{where}: {path}: ADF expression does not parse: {e.Message}"); continue; }
                    foreach (var e in exprs)
                    {
                        foreach (var f in TemplateExpression.Walk(e).OfType<CallNode>().Where(c => CuttingFunctions.Contains(c.Function, StringComparer.OrdinalIgnoreCase)))
                            problems.Add($"{where}: {path}: {f.Function}() cuts a reply apart: parse JSON instead (the broker answers JSON)");
                        foreach (var chain in TemplateExpression.MemberChains(e, "pipeline"))
                            if (chain is ["parameters", var p, ..] && !parameters.Contains(p))
                                problems.Add($"{where}: {path}: pipeline().parameters.{p} is not declared");
                        foreach (var v in TemplateExpression.CallArguments(e, "variables"))
                            if (!variables.Contains(v)) problems.Add($"{where}: {path}: variables('{v}') is not declared");
                        foreach (var target in TemplateExpression.CallArguments(e, "activity"))
                        {
                            if (!all.ContainsKey(target)) problems.Add($"{where}: {path}: activity('{target}') is not an activity of this pipeline");
                            else if (!reach.Contains(target)) problems.Add($"{where}: {path}: activity('{target}') is used but '{a.Name}' does not depend on it");
                            else if (ReadsCredential(e, target) && !Secure(a.Json, "secureInput"))
                                problems.Add($"{where}: activity '{a.Name}' takes credentials from '{target}' as input without policy.secureInput");
                            if (all.TryGetValue(target, out var source) && ReadsCredential(e, target) && !Secure(source.Json, "secureOutput"))
                                problems.Add($"{where}: activity '{target}' outputs credentials without policy.secureOutput");
                        }
                    }
                }
            }
            return problems;
        }

        /// <summary>linkedService().x / dataset().x must be declared parameters; credential fields must be SecureString.</summary>
        public static IEnumerable<string> CheckEntity(string where, JsonObject entity, string selfFunction)
        {
            var problems = new List<string>();
            var parameters = Keys(entity["parameters"]);
            foreach (var (value, path) in Strings(entity, where))
            {
                IReadOnlyList<ExprNode> exprs;
                try { exprs = TemplateExpression.ParseAdf(value); }
                catch (FormatException e) { problems.Add($"{path}: ADF expression does not parse: {e.Message}"); continue; }
                foreach (var chain in exprs.SelectMany(e => TemplateExpression.MemberChains(e, selfFunction)))
                    if (chain is [var p, ..] && !parameters.Contains(p)) problems.Add($"{path}: {selfFunction}().{p} is not declared");
            }
            return problems.Concat(SecureFields(where, entity));
        }

        private static IEnumerable<string> SecureFields(string where, JsonObject entity)
        {
            var typeProperties = entity["typeProperties"] as JsonObject;
            foreach (var field in new[] { "secretAccessKey", "sessionToken", "password", "accountKey" })
                if (typeProperties?[field] is { } v && (v is not JsonObject o || (string?)o["type"] is not ("SecureString" or "AzureKeyVaultSecret")))
                    yield return $"{where}: typeProperties.{field} is not a SecureString";
            foreach (var p in CredentialFields)
                if (entity["parameters"]?[p] is JsonObject spec && (string?)spec["type"] != "SecureString")
                    yield return $"{where}: parameter '{p}' carries a credential but is not SecureString";
        }

        private static IReadOnlyList<ExprNode> SafeAdf(string value)
        {
            try { return TemplateExpression.ParseAdf(value); }
            catch (FormatException) { return []; } // reported where every string is parsed
        }

        private static bool ReadsCredential(ExprNode e, string activity) =>
            TemplateExpression.Walk(e).OfType<MemberNode>().Any(m => CredentialFields.Contains(m.Member, StringComparer.OrdinalIgnoreCase)
                && Root(m) is CallNode { Function: "activity", Arguments: [LiteralNode { Value: string s }] } && s == activity);

        private static ExprNode Root(ExprNode n)
        {
            while (true)
            {
                switch (n)
                {
                    case MemberNode m: n = m.Target; break;
                    case IndexNode i: n = i.Target; break;
                    default: return n;
                }
            }
        }

        private static bool Secure(JsonObject activity, string field) => activity["policy"]?[field] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

        /// <summary>The activity's own properties, without its children (they are checked as activities themselves).</summary>
        private static JsonObject OwnJson(JsonObject activity)
        {
            var copy = (JsonObject)activity.DeepClone();
            if (copy["typeProperties"] is JsonObject tp)
                foreach (var key in new[] { "activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities", "cases" })
                    tp.Remove(key);
            return copy;
        }

        private static void Collect(JsonArray? activities, string? container, Dictionary<string, ActivityInfo> all, List<string> problems, string where)
        {
            foreach (var node in activities ?? [])
            {
                var a = node!.AsObject();
                var name = (string?)a["name"] ?? "";
                var deps = (a["dependsOn"] as JsonArray ?? []).Select(d => (string?)d!["activity"] ?? "").ToList();
                if (!all.TryAdd(name, new ActivityInfo(a, name, container, deps)))
                    problems.Add($"{where}: two activities are named '{name}'");
                var tp = a["typeProperties"] as JsonObject;
                foreach (var key in new[] { "activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities" })
                    Collect(tp?[key] as JsonArray, name, all, problems, where);
                foreach (var c in tp?["cases"] as JsonArray ?? [])
                    Collect(c!["activities"] as JsonArray, name, all, problems, where);
            }
        }

        /// <summary>
        /// What an activity may read: what it depends on (transitively), the same for each
        /// container around it, those containers themselves, and (a loop's condition) its own children.
        /// </summary>
        private static HashSet<string> Reachable(ActivityInfo a, Dictionary<string, ActivityInfo> all)
        {
            var reach = new HashSet<string>(StringComparer.Ordinal);
            void Deps(ActivityInfo x)
            {
                foreach (var d in x.DependsOn)
                    if (all.TryGetValue(d, out var t) && reach.Add(d)) Deps(t);
            }
            for (var cur = a; cur is not null; cur = cur.Container is { } c && all.TryGetValue(c, out var parent) ? parent : null)
            {
                Deps(cur);
                if (cur != a) reach.Add(cur.Name);
            }
            foreach (var child in all.Values.Where(x => IsInside(x, a.Name, all))) reach.Add(child.Name);
            return reach;
        }

        private static bool IsInside(ActivityInfo x, string container, Dictionary<string, ActivityInfo> all)
        {
            for (var c = x.Container; c is not null; c = all.TryGetValue(c, out var p) ? p.Container : null)
                if (c == container) return true;
            return false;
        }

        private static HashSet<string> Keys(JsonNode? node) => node is JsonObject o ? o.Select(p => p.Key).ToHashSet(StringComparer.Ordinal) : [];
    }
}
