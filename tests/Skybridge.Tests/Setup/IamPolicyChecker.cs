using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Skybridge.Tests.Setup;

/// <summary>Checks a policy document against explicit allow-lists of real IAM action names and condition keys.</summary>
internal static class IamPolicyChecker
{
    /// <summary>Real action names (as documented in the AWS Service Authorization Reference).</summary>
    public static readonly HashSet<string> KnownActions = new(StringComparer.Ordinal)
    {
        "sts:AssumeRoleWithWebIdentity",
        "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging",
        "s3:PutObject", "s3:DeleteObject",
        "kms:Decrypt", "kms:GenerateDataKey",
    };

    public static readonly HashSet<string> KnownOperators = new(StringComparer.Ordinal) { "StringEquals", "StringLike" };
    public static readonly HashSet<string> KnownServiceKeys = new(StringComparer.Ordinal) { "s3:prefix", "kms:ViaService" };
    private static readonly HashSet<string> StatementFields = ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"];

    /// <summary>
    /// Throws (xunit assertion) unless the document is a well-formed policy whose actions and
    /// condition keys are all known. <paramref name="oidcKeySuffixes"/> lists the allowed
    /// "&lt;issuer-host-path&gt;:&lt;suffix&gt;" keys (aud/sub for AWS, app_id for RGW).
    /// </summary>
    public static void AssertValid(JsonNode? doc, string issuerHostPath, params string[] oidcKeySuffixes)
    {
        var o = Assert.IsType<JsonObject>(doc);
        Assert.Equal("2012-10-17", (string?)o["Version"]);
        var statements = Assert.IsType<JsonArray>(o["Statement"]);
        Assert.NotEmpty(statements);
        foreach (var s in statements.Select(n => Assert.IsType<JsonObject>(n)))
        {
            foreach (var (key, _) in s) Assert.Contains(key, StatementFields);
            Assert.Contains((string?)s["Effect"], new[] { "Allow", "Deny" });
            if (s["Sid"] is { } sid) Assert.Matches("^[A-Za-z0-9]+$", (string)sid!);
            var actions = Values(s["Action"]);
            Assert.NotEmpty(actions);
            foreach (var a in actions) Assert.True(KnownActions.Contains(a), $"unknown IAM action '{a}'");
            if (s["Resource"] is { } res)
                foreach (var r in Values(res)) Assert.Matches(@"^arn:aws:(s3:::[a-z0-9.-]+(/.*)?|kms:[a-z0-9-]+:\d{12}:key/.+)$", r);
            if (s["Condition"] is JsonObject cond)
                foreach (var (op, keys) in cond)
                {
                    Assert.True(KnownOperators.Contains(op), $"unknown condition operator '{op}'");
                    foreach (var (key, value) in Assert.IsType<JsonObject>(keys))
                    {
                        var ok = KnownServiceKeys.Contains(key) || oidcKeySuffixes.Any(sfx => key == $"{issuerHostPath}:{sfx}");
                        Assert.True(ok, $"unknown condition key '{key}'");
                        Assert.NotEmpty(Values(value));
                    }
                }
        }
    }

    public static List<string> Values(JsonNode? node) => node switch
    {
        JsonArray a => a.Select(e => (string)e!).ToList(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [(string)v!],
        _ => throw new Xunit.Sdk.XunitException($"expected a string or array, got {node?.ToJsonString() ?? "null"}"),
    };

    public static List<JsonObject> Statements(JsonNode? doc) => doc!["Statement"]!.AsArray().Select(n => n!.AsObject()).ToList();

    public static JsonObject StatementWith(JsonNode? doc, string action)
        => Statements(doc).Single(s => Values(s["Action"]).Contains(action));

    /// <summary>Runs /bin/bash -n on the text; returns (exit code, stderr).</summary>
    public static (int Code, string Stderr) BashSyntaxCheck(string script)
    {
        var path = Path.Combine(Path.GetTempPath(), $"skybridge-setup-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, script);
        try
        {
            using var p = Process.Start(new ProcessStartInfo("/bin/bash", ["-n", path]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, err);
        }
        finally { File.Delete(path); }
    }

    /// <summary>The body of heredoc-assigned variable NAME="$(cat &lt;&lt;'DELIM' ... DELIM)".</summary>
    public static string Heredoc(string script, string variable, string delimiter)
    {
        var m = Regex.Match(script, $"{variable}=\"\\$\\(cat <<'{delimiter}'\\n(?<body>.*?)\\n{delimiter}\\n\\)\"", RegexOptions.Singleline);
        Assert.True(m.Success, $"heredoc for {variable} not found");
        return m.Groups["body"].Value;
    }
}
