using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Skybridge.Setup;

/// <summary>
/// A typed IAM policy document (trust or permissions). Every output format is rendered from
/// this one model, so CloudFormation, Terraform, the CLI script, the JSON plan and the RGW
/// documents all carry the same statements.
/// </summary>
internal sealed class PolicyDocument
{
    public string Version { get; init; } = "2012-10-17";
    public required IReadOnlyList<PolicyStatement> Statement { get; init; }

    /// <summary>Compact JSON (no insignificant whitespace; what Ceph RGW's IAM form parser needs).</summary>
    public string ToCompactJson() => JsonSerializer.Serialize(this, Compact);

    /// <summary>Indented JSON for humans.</summary>
    public string ToIndentedJson() => JsonSerializer.Serialize(this, Indented);

    public JsonObject ToJsonNode() => JsonSerializer.SerializeToNode(this, Compact)!.AsObject();

    internal static readonly JsonSerializerOptions Compact = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static readonly JsonSerializerOptions Indented = new(Compact) { WriteIndented = true };
}

/// <summary>One statement. Property order is the serialisation order.</summary>
internal sealed class PolicyStatement
{
    public string? Sid { get; init; }
    public string Effect { get; init; } = "Allow";
    public IReadOnlyDictionary<string, OneOrMany>? Principal { get; init; }
    public required IReadOnlyList<string> Action { get; init; }
    public IReadOnlyList<string>? Resource { get; init; }
    /// <summary>operator (StringEquals, StringLike, ...) -> condition key -> values.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, OneOrMany>>? Condition { get; init; }
}

/// <summary>A value IAM accepts as either a string or an array: one value is written as a string.</summary>
[JsonConverter(typeof(OneOrManyConverter))]
internal sealed class OneOrMany
{
    public OneOrMany(params string[] values)
    {
        if (values.Length == 0) throw new ArgumentException("At least one value is required.", nameof(values));
        Values = values;
    }

    public IReadOnlyList<string> Values { get; }

    public static implicit operator OneOrMany(string value) => new(value);
}

internal sealed class OneOrManyConverter : JsonConverter<OneOrMany>
{
    public override OneOrMany Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return new OneOrMany(reader.GetString()!);
        var list = JsonSerializer.Deserialize<string[]>(ref reader, options) ?? [];
        return new OneOrMany(list);
    }

    public override void Write(Utf8JsonWriter writer, OneOrMany value, JsonSerializerOptions options)
    {
        if (value.Values.Count == 1) { writer.WriteStringValue(value.Values[0]); return; }
        writer.WriteStartArray();
        foreach (var v in value.Values) writer.WriteStringValue(v);
        writer.WriteEndArray();
    }
}
