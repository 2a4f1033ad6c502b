using Amazon.Runtime;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Skybridge.Diagnostics;

namespace Skybridge.Identity;

/// <summary>
/// Self-refreshing AWS credentials from an Azure identity: Entra ID token -> STS
/// AssumeRoleWithWebIdentity. The SDK's <see cref="RefreshingAWSCredentials"/> serialises refreshes
/// behind one semaphore, so however many requests run concurrently there is exactly one Entra + STS
/// round trip per refresh; while a refresh runs in the background the current credentials are still
/// served (<see cref="RefreshSchedule.WaitFrom"/>). Refreshes happen well before the session ends, so
/// long jobs never see an expired key.
/// </summary>
public sealed class FederatedAwsCredentials : RefreshingAWSCredentials
{
    private readonly FederationOptions _options;
    private readonly TokenCredential _azure;
    private readonly IWebIdentityExchange _exchange;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private int _refreshCount;

    // Every SDK client built from now on signs each request with one credential set (see the type).
    static FederatedAwsCredentials() => OneCredentialSetPerRequest.Register();

    /// <summary>Credentials for <paramref name="options"/> (validated here), with Entra tokens from <paramref name="azureCredential"/> traded at <paramref name="exchange"/>. No call is made until the first request needs credentials.</summary>
    /// <param name="options">Role, audience, duration, region; see <see cref="FederationOptions.Validate"/>.</param>
    /// <param name="azureCredential">Any Azure.Identity credential (see <see cref="AzureCredentialFactory"/>).</param>
    /// <param name="exchange">The STS call, usually <see cref="StsWebIdentityExchange.Create"/>.</param>
    /// <param name="clock">Time source for the refresh schedule; null: the system clock.</param>
    /// <param name="logger">Logs each exchange (claims and expiry, never secrets); null: no logging.</param>
    /// <exception cref="SkybridgeException">Usage error (exit 2) when <paramref name="options"/> are invalid.</exception>
    public FederatedAwsCredentials(FederationOptions options, TokenCredential azureCredential, IWebIdentityExchange exchange,
        TimeProvider? clock = null, ILogger? logger = null)
    {
        _options = options.Validate();
        _azure = azureCredential;
        _exchange = exchange;
        _clock = clock ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        // RefreshSchedule already keeps a margin before the real expiry; a second, fixed buffer
        // in the base class would make short forced refresh intervals refresh on every call.
        ExpirationBuffer = TimeSpan.Zero;
    }

    /// <summary>How many Entra + STS round trips have been made (one per refresh).</summary>
    public int RefreshCount => Volatile.Read(ref _refreshCount);

    /// <summary>The session in use: its claims and expiry, never its secrets.</summary>
    public FederatedSessionInfo? Current { get; private set; }

    /// <summary>Gets a fresh Entra token for the federation audience (Azure.Identity caches it).</summary>
    public async Task<(AccessToken Token, TokenClaims Claims)> GetEntraTokenAsync(CancellationToken cancellationToken = default)
    {
        AccessToken token;
        try
        {
            token = await _azure.GetTokenAsync(new TokenRequestContext([_options.Scope], tenantId: _options.Azure.TenantId), cancellationToken).ConfigureAwait(false);
        }
        catch (CredentialUnavailableException e)
        {
            throw AzureCredentialDiagnosis.Explain(e, _options);
        }
        catch (AuthenticationFailedException e)
        {
            throw AzureCredentialDiagnosis.Explain(e, _options);
        }
        return (token, TokenClaims.Decode(token.Token));
    }

    /// <summary>One complete exchange, outside the refresh cache (used by refresh, doctor and credential_process).</summary>
    public async Task<FederatedSession> ExchangeAsync(CancellationToken cancellationToken = default)
    {
        var (token, claims) = await GetEntraTokenAsync(cancellationToken).ConfigureAwait(false);
        var sessionName = _options.RoleSessionName ?? FederationOptions.DeriveSessionName(claims);
        _logger.LogDebug("Exchanging Entra token ({Claims}) for role {Role} as session {Session}", claims, _options.RoleArn, sessionName);
        FederatedSession session;
        try
        {
            session = await _exchange.ExchangeAsync(token.Token, _options.RoleArn, sessionName, _options.Duration, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            throw FederationDiagnosis.Explain(e, claims, _options, _clock.GetUtcNow());
        }
        SecretRedactor.Register(session.Credentials.SecretKey);
        SecretRedactor.Register(session.Credentials.Token);
        Interlocked.Increment(ref _refreshCount);
        Current = new FederatedSessionInfo(claims, session.AssumedRoleArn, session.Credentials.AccessKey, session.Expiration, _clock.GetUtcNow());
        _logger.LogInformation("AWS session for {Role} valid until {Expiration:u} (refresh #{Count})", session.AssumedRoleArn ?? _options.RoleArn, session.Expiration, RefreshCount);
        return session;
    }

    /// <summary>Synchronous refresh for the SDK's sync paths; blocks on <see cref="GenerateNewCredentialsAsync"/>.</summary>
    protected override CredentialsRefreshState GenerateNewCredentials()
        => GenerateNewCredentialsAsync().GetAwaiter().GetResult();

    private FederatedSession? _last;

    /// <summary>Called by the SDK when the credentials are due: one exchange, and on failure the previous session is kept while it still has life left (a grace period), retried soon.</summary>
    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        FederatedSession session;
        try
        {
            session = await ExchangeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (_last is { } last && KeepUsing(last) is { } retryIn)
        {
            // A refresh that fails while the session in use is still valid (an early, scheduled or
            // --max-credential-age refresh during an Entra or STS outage) must not end the job:
            // keep serving the valid credentials and try again shortly; fail only near the end.
            _logger.LogWarning("Could not renew the AWS session ({Reason}); the current one stays in use until {Expiration:u}, next attempt in {RetryIn:0.0} s",
                SecretRedactor.Redact(e.Message.Split('\n', 2)[0]), last.Expiration, retryIn.TotalSeconds);
            var failedAt = _clock.GetUtcNow();
            return Serve(last, failedAt, failedAt + retryIn,
                RefreshSchedule.WaitFrom(failedAt, failedAt + retryIn, last.Expiration, last.Expiration - (Current?.ObtainedAt ?? failedAt), forced: false));
        }
        _last = session;
        var now = _clock.GetUtcNow();
        var (refreshAt, waitFrom) = RefreshSchedule.For(now, session.Expiration, _options.MaxCredentialAge);
        return Serve(session, now, refreshAt, waitFrom);
    }

    /// <summary>
    /// Serves <paramref name="session"/> until <paramref name="refreshAt"/>; from then on one
    /// background refresh runs while callers keep using it, and from <paramref name="waitFrom"/> on
    /// they wait for that refresh (<see cref="RefreshSchedule.WaitFrom"/>).
    /// </summary>
    private CredentialsRefreshState Serve(FederatedSession session, DateTimeOffset now, DateTimeOffset refreshAt, DateTimeOffset waitFrom)
    {
        // The base class subtracts PreemptExpiryTime from the expiry returned and refreshes in the
        // background between the two; it measures with the real UTC clock, so our (injectable)
        // clock's "in X" is translated into that clock.
        PreemptExpiryTime = waitFrom - refreshAt;
        return new CredentialsRefreshState(session.Credentials, DateTime.UtcNow + (waitFrom - now));
    }

    /// <summary>
    /// How long to keep serving <paramref name="last"/> before trying to renew it again, or null when
    /// it is too close to its end to be used (then the refresh failure is thrown). The safety margin
    /// (1/20 of the session, at most 30 s) leaves in-flight requests time to finish.
    /// </summary>
    private TimeSpan? KeepUsing(FederatedSession last)
    {
        var now = _clock.GetUtcNow();
        var obtained = Current?.ObtainedAt ?? now;
        var usable = last.Expiration - now - RefreshSchedule.SafetyMargin(last.Expiration - obtained);
        if (usable < TimeSpan.FromSeconds(1)) return null;
        return TimeSpan.FromTicks(Math.Clamp(usable.Ticks / 2, TimeSpan.FromMilliseconds(500).Ticks, TimeSpan.FromSeconds(15).Ticks));
    }
}

/// <summary>What may be shown about a session: claims, role, access key id and times. No secrets.</summary>
public sealed record FederatedSessionInfo(TokenClaims Claims, string? AssumedRoleArn, string AccessKeyId, DateTimeOffset Expiration, DateTimeOffset ObtainedAt);

/// <summary>When to replace credentials: ahead of expiry by a margin that scales with the session length.</summary>
internal static class RefreshSchedule
{
    /// <summary>Largest margin kept before expiry: in-flight requests signed just before the refresh still finish.</summary>
    public static readonly TimeSpan MaxMargin = TimeSpan.FromMinutes(5);

    public static DateTimeOffset RefreshAt(DateTimeOffset now, DateTimeOffset expiration, TimeSpan? maxAge)
    {
        var lifetime = expiration - now;
        var margin = TimeSpan.FromTicks(Math.Min(MaxMargin.Ticks, Math.Max(0, lifetime.Ticks / 5)));
        var refreshAt = expiration - margin;
        if (maxAge is { } age && now + age < refreshAt) refreshAt = now + age;
        return refreshAt <= now ? now + TimeSpan.FromSeconds(1) : refreshAt;
    }

    /// <summary>When a fresh session is refreshed (<see cref="RefreshAt"/>) and from when callers wait for that refresh (<see cref="WaitFrom"/>).</summary>
    public static (DateTimeOffset RefreshAt, DateTimeOffset WaitFrom) For(DateTimeOffset now, DateTimeOffset expiration, TimeSpan? maxAge)
    {
        var refreshAt = RefreshAt(now, expiration, maxAge);
        var forced = refreshAt < RefreshAt(now, expiration, null);
        return (refreshAt, WaitFrom(now, refreshAt, expiration, expiration - now, forced));
    }

    /// <summary>
    /// From when callers stop using a session and wait for the refresh that began at
    /// <paramref name="refreshAt"/>. A forced one (--max-credential-age) keeps its promise: a
    /// quarter of the interval later, at most a minute. A scheduled one only in the session's
    /// safety margin: a slow answer (a managed-identity endpoint retrying, STS far away) then holds
    /// up nothing while the session is good, where waiting a minute after the refresh point held
    /// every request of a copy for the rest of a slow refresh, 4 minutes before the 1 h session ended.
    /// </summary>
    public static DateTimeOffset WaitFrom(DateTimeOffset now, DateTimeOffset refreshAt, DateTimeOffset expiration, TimeSpan lifetime, bool forced)
    {
        var endOfUse = expiration - SafetyMargin(lifetime);
        var wait = forced ? refreshAt + TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, (refreshAt - now).Ticks / 4)) : endOfUse;
        if (wait > endOfUse) wait = endOfUse;
        return wait < refreshAt ? refreshAt : wait;
    }

    /// <summary>How long before its end a session is no longer handed out: in-flight requests signed with it still finish (1/20 of its life, at most 30 s).</summary>
    public static TimeSpan SafetyMargin(TimeSpan lifetime)
        => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks, Math.Max(0, lifetime.Ticks / 20)));
}
