using System.Text.Json.Serialization;
using Skybridge.Identity;

namespace Skybridge.Cli;

/// <summary>Source-generated JSON for --output json (camelCase, indented, nulls omitted).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TokenClaims))]
internal sealed partial class CliJson : JsonSerializerContext;
