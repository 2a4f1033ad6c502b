using Amazon.Runtime;
using Azure.Core;
using Skybridge.Identity;

namespace Skybridge.Tests.TestSupport;

/// <summary>A TokenCredential that hands out JWT-shaped tokens and counts requests.</summary>
internal sealed class FakeTokenCredential(Func<string>? mint = null) : TokenCredential
{
    private int _calls;
    public int Calls => Volatile.Read(ref _calls);
    public string? LastScope { get; private set; }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        => GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        LastScope = requestContext.Scopes.Single();
        return ValueTask.FromResult(new AccessToken((mint ?? (() => FakeJwt.Create(aud: "api://app")))(), DateTimeOffset.UtcNow.AddHours(1)));
    }
}

/// <summary>An STS stand-in for unit tests: counts exchanges, can be slow, can fail.</summary>
internal sealed class FakeExchange(TimeSpan? lifetime = null, TimeSpan? latency = null) : IWebIdentityExchange
{
    private int _calls;
    public int Calls => Volatile.Read(ref _calls);
    public Func<Exception?>? Failure { get; set; }
    public string? LastSessionName { get; private set; }

    public async Task<FederatedSession> ExchangeAsync(string webIdentityToken, string roleArn, string sessionName, TimeSpan duration, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _calls);
        LastSessionName = sessionName;
        if (latency is { } l) await Task.Delay(l, cancellationToken);
        if (Failure?.Invoke() is { } e) throw e;
        return new FederatedSession(new ImmutableCredentials($"ASIAFAKE{n:D4}", $"secret-key-{n:D4}-abcdefgh", $"session-token-{n:D4}-abcdefgh"),
            DateTimeOffset.UtcNow + (lifetime ?? duration), roleArn, "sub");
    }
}
