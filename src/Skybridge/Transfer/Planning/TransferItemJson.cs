using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Skybridge.Transfer.Execution;

namespace Skybridge.Transfer.Planning;

/// <summary>
/// The wire form of <see cref="TransferItem"/> and <see cref="ItemOutcome"/> (one JSON object each,
/// e.g. a line of a batch manifest): snake_case names, enums as strings, derived properties left
/// out (the reader recomputes them). A payload newer than this build is refused, not guessed at.
/// </summary>
public static class TransferItemJson
{
    /// <summary>The serializer settings of the wire form (also used for <see cref="Jobs.JobSpec"/>); do not modify.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        // Source-generated metadata for the job spec, written by every run, so a run does not JIT the
        // reflection serializer's metadata for it (bench/findings.md, issue 14). Every other type stays
        // with the reflection resolver: with source-generated metadata a bad enum value in an item's
        // JSON names the item's type instead of the enum's, a worse error for a damaged manifest.
        // A Native AOT image has no reflection code for these types' value-typed members (a saved
        // plan's header failed there), so it takes generated metadata for them too.
        TypeInfoResolver = (RuntimeFeature.IsDynamicCodeSupported
                ? JsonTypeInfoResolver.Combine(WireJsonContext.Default, new DefaultJsonTypeInfoResolver())
                : JsonTypeInfoResolver.Combine(WireJsonContext.Default, WireItemJsonContext.Default, new DefaultJsonTypeInfoResolver()))
            .WithAddedModifier(OnlySettableProperties),
    };

    /// <summary>One item as a single-line JSON object.</summary>
    public static string Serialize(TransferItem item) => JsonSerializer.Serialize(item, Options);

    /// <summary>One outcome as a single-line JSON object.</summary>
    public static string Serialize(ItemOutcome outcome) => JsonSerializer.Serialize(outcome, Options);

    /// <summary>Reads an item written by <see cref="Serialize(TransferItem)"/>.</summary>
    /// <exception cref="JsonException">The JSON is null, malformed, or of a payload version this build does not read.</exception>
    public static TransferItem ReadItem(string json) => Checked(JsonSerializer.Deserialize<TransferItem>(json, Options), i => i.Version);

    /// <summary>Reads an outcome written by <see cref="Serialize(ItemOutcome)"/>.</summary>
    /// <exception cref="JsonException">The JSON is null, malformed, or of a payload version this build does not read.</exception>
    public static ItemOutcome ReadOutcome(string json) => Checked(JsonSerializer.Deserialize<ItemOutcome>(json, Options), o => o.Version);

    private static T Checked<T>(T? value, Func<T, int> version) where T : class
    {
        if (value is null) throw new JsonException($"a {typeof(T).Name} payload is null");
        if (version(value) is var v && v is < 1 or > TransferItem.CurrentVersion)
            throw new JsonException($"{typeof(T).Name} payload version {v} is not one this build reads (1..{TransferItem.CurrentVersion}): run the same Skybridge version on every worker");
        return value;
    }

    /// <summary>Computed properties (no setter, not a constructor parameter) are not part of the payload.</summary>
    private static void OnlySettableProperties(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object) return;
        for (int i = type.Properties.Count - 1; i >= 0; i--)
            if (type.Properties[i] is { Set: null, AssociatedParameter: null }) type.Properties.RemoveAt(i);
    }
}

/// <summary>
/// Source-generated metadata of the job spec's wire form; <see cref="TransferItemJson.Options"/> supplies
/// the naming, null handling and enum converter at run time (the same settings are declared here).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Jobs.JobSpec))]
internal sealed partial class WireJsonContext : JsonSerializerContext;

/// <summary>
/// Generated metadata of the other wire types, for the Native AOT build only (the reflection
/// resolver serves them elsewhere: see <see cref="TransferItemJson.Options"/>).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TransferItem))]
[JsonSerializable(typeof(ItemOutcome))]
[JsonSerializable(typeof(Jobs.PlanHeader))]
[JsonSerializable(typeof(Jobs.PlanLine))]
internal sealed partial class WireItemJsonContext : JsonSerializerContext;
