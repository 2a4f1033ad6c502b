using Azure.Core;
using Microsoft.Extensions.Logging;

namespace Skybridge.Identity;

/// <summary>
/// Keeps a file filled with a fresh Entra token for tools that read AWS_WEB_IDENTITY_TOKEN_FILE.
/// The file is replaced atomically (readers never see half a token) and is 0600. Azure.Identity
/// hands out a new token as the cached one nears expiry, so waking up at half the remaining
/// lifetime keeps the file valid without hammering the token endpoint.
/// </summary>
public sealed class TokenFileWriter(TokenCredential credential, string scope, string? tenantId, string path, TimeProvider clock, ILogger logger)
{
    /// <summary>Shortest pause between two writes, so a token that is already near expiry does not spin the loop.</summary>
    public static readonly TimeSpan MinimumWait = TimeSpan.FromSeconds(5);
    /// <summary>Longest pause between two writes, so a revoked or rotated token is replaced within minutes.</summary>
    public static readonly TimeSpan MaximumWait = TimeSpan.FromMinutes(5);

    /// <summary>Writes the current token; returns its expiry.</summary>
    public async Task<DateTimeOffset> WriteOnceAsync(CancellationToken cancellationToken)
    {
        var token = await credential.GetTokenAsync(new TokenRequestContext([scope], tenantId: tenantId), cancellationToken).ConfigureAwait(false);
        SecretFile.WriteAtomically(path, token.Token);
        logger.LogInformation("Token for {Scope} written to {Path}, expires {Expires:u}", scope, path, token.ExpiresOn);
        return token.ExpiresOn;
    }

    /// <summary>Refreshes the file until cancelled. Transient failures are retried; the old token stays until it can be replaced.</summary>
    public async Task RunAsync(DateTimeOffset expires, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(NextWait(clock.GetUtcNow(), expires), clock, cancellationToken).ConfigureAwait(false);
            try
            {
                expires = await WriteOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not refresh the token file ({Error}); keeping the current token (expires {Expires:u}) and retrying", e.Message, expires);
            }
        }
    }

    /// <summary>How long to wait before the next write: half the token's remaining life, within <see cref="MinimumWait"/> .. <see cref="MaximumWait"/>.</summary>
    public static TimeSpan NextWait(DateTimeOffset now, DateTimeOffset expires)
    {
        var half = TimeSpan.FromTicks((expires - now).Ticks / 2);
        return half < MinimumWait ? MinimumWait : half > MaximumWait ? MaximumWait : half;
    }
}
