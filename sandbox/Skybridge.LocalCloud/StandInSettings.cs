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

/// <summary>
/// Thread-safe holder of the settings and counters. Besides the global settings there are optional
/// per-client-id scopes: a token request for a client id that has a scope uses that scope's settings
/// (starting from the defaults, not from the global ones). Concurrent test runs that share one
/// sandbox use a fresh user-assigned client id + scope to stay out of each other's way.
/// </summary>
public sealed class StandInState
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Scope> _scopes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Scope _global = new();

    private sealed class Scope
    {
        public StandInSettings Settings = new();
        public int TokensIssued;
    }

    /// <summary>Settings that apply to a token for <paramref name="clientId"/>.</summary>
    public StandInSettings SettingsFor(string? clientId) =>
        Volatile.Read(ref Find(clientId).Settings);

    /// <summary>The global settings.</summary>
    public StandInSettings Settings => Volatile.Read(ref _global.Settings);

    /// <summary>Tokens issued (all of them, or those of one scope).</summary>
    public int TokensIssued(string? scopeClientId = null) =>
        scopeClientId is null ? Volatile.Read(ref _global.TokensIssued)
        : _scopes.TryGetValue(scopeClientId, out var s) ? Volatile.Read(ref s.TokensIssued) : 0;

    public void CountIssued(string? clientId)
    {
        Interlocked.Increment(ref _global.TokensIssued);
        if (clientId is not null && _scopes.TryGetValue(clientId, out var s)) Interlocked.Increment(ref s.TokensIssued);
    }

    private Scope Find(string? clientId) =>
        clientId is not null && _scopes.TryGetValue(clientId, out var s) ? s : _global;

    /// <summary>Patch the global settings, or (with a client id) that client's scope, creating it.</summary>
    public StandInSettings Apply(SettingsPatch patch, string? scopeClientId = null)
    {
        var scope = scopeClientId is null ? _global : _scopes.GetOrAdd(scopeClientId, _ => new Scope());
        lock (scope)
        {
            var s = scope.Settings;
            var next = s with
            {
                LifetimeSeconds = patch.LifetimeSeconds ?? s.LifetimeSeconds,
                SignWithUnknownKey = patch.SignWithUnknownKey ?? s.SignWithUnknownKey,
                AudienceOverride = Override(patch.AudienceOverride, s.AudienceOverride),
                IssuerOverride = Override(patch.IssuerOverride, s.IssuerOverride),
                TokenVersion = patch.TokenVersion ?? s.TokenVersion,
                FailWith = patch.FailWith ?? s.FailWith,
                SubjectOverride = Override(patch.SubjectOverride, s.SubjectOverride),
            };
            Volatile.Write(ref scope.Settings, next);
            return next;
        }
    }

    // null = unchanged, "" = clear
    private static string? Override(string? patch, string? current) =>
        patch is null ? current : patch.Length == 0 ? null : patch;

    /// <summary>Reset the global settings and counter, or remove one client's scope.</summary>
    public void Reset(string? scopeClientId = null)
    {
        if (scopeClientId is not null) { _scopes.TryRemove(scopeClientId, out _); return; }
        lock (_global)
        {
            Volatile.Write(ref _global.Settings, new StandInSettings());
            Interlocked.Exchange(ref _global.TokensIssued, 0);
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
