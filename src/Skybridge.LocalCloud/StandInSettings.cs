// TEST STAND-IN — part of the local sandbox only, never shipped with Skybridge.
using System.Text.Json.Serialization;

namespace Skybridge.LocalCloud;

/// <summary>
/// Behaviour switches that tests set through POST /admin/settings (partial updates: only the
/// properties present in the JSON change) and undo with POST /admin/reset.
/// </summary>
public sealed record StandInSettings
{
    /// <summary>Lifetime of issued access tokens.</summary>
    public int LifetimeSeconds { get; init; } = 3600;
    /// <summary>Sign with the rogue key that is not in the JWKS.</summary>
    public bool SignWithUnknownKey { get; init; }
    /// <summary>Replace the aud claim of every issued token.</summary>
    public string? AudienceOverride { get; init; }
    /// <summary>Replace the iss claim of every issued token.</summary>
    public string? IssuerOverride { get; init; }
    /// <summary>1 (default) or 2: version of tokens for non-storage audiences (storage tokens stay v1, as in Entra).</summary>
    public int TokenVersion { get; init; } = 1;
    /// <summary>HTTP status the token endpoints answer with instead of a token (0 = behave).</summary>
    public int FailWith { get; init; }
    /// <summary>Replace sub (and oid) of every issued token.</summary>
    public string? SubjectOverride { get; init; }
}

/// <summary>Thread-safe holder of the current settings and counters.</summary>
public sealed class StandInState
{
    private StandInSettings _settings = new();
    private int _tokensIssued;

    public StandInSettings Settings => Volatile.Read(ref _settings);
    public int TokensIssued => Volatile.Read(ref _tokensIssued);

    public void CountIssued() => Interlocked.Increment(ref _tokensIssued);

    public void Apply(SettingsPatch patch)
    {
        lock (this)
        {
            var s = _settings;
            Volatile.Write(ref _settings, s with
            {
                LifetimeSeconds = patch.LifetimeSeconds ?? s.LifetimeSeconds,
                SignWithUnknownKey = patch.SignWithUnknownKey ?? s.SignWithUnknownKey,
                AudienceOverride = Override(patch.AudienceOverride, s.AudienceOverride),
                IssuerOverride = Override(patch.IssuerOverride, s.IssuerOverride),
                TokenVersion = patch.TokenVersion ?? s.TokenVersion,
                FailWith = patch.FailWith ?? s.FailWith,
                SubjectOverride = Override(patch.SubjectOverride, s.SubjectOverride),
            });
        }
    }

    // null = unchanged, "" = clear
    private static string? Override(string? patch, string? current) =>
        patch is null ? current : patch.Length == 0 ? null : patch;

    public void Reset()
    {
        lock (this)
        {
            Volatile.Write(ref _settings, new StandInSettings());
            Interlocked.Exchange(ref _tokensIssued, 0);
        }
    }
}

/// <summary>Body of POST /admin/settings. Absent (null) properties are left unchanged; an empty
/// string clears an override.</summary>
public sealed record SettingsPatch(
    [property: JsonPropertyName("lifetimeSeconds")] int? LifetimeSeconds,
    [property: JsonPropertyName("signWithUnknownKey")] bool? SignWithUnknownKey,
    [property: JsonPropertyName("audienceOverride")] string? AudienceOverride,
    [property: JsonPropertyName("issuerOverride")] string? IssuerOverride,
    [property: JsonPropertyName("tokenVersion")] int? TokenVersion,
    [property: JsonPropertyName("failWith")] int? FailWith,
    [property: JsonPropertyName("subjectOverride")] string? SubjectOverride);
