using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Identity;

namespace Skybridge.Broker;

/// <summary>What both hosts (container and Functions) register and limit identically.</summary>
public static class BrokerServices
{
    /// <summary>Settings, token validation, the STS seam and the handler, as singletons.</summary>
    public static BrokerTokenValidation AddBroker(this IServiceCollection services, BrokerSettings settings, IWebIdentityExchange? sts = null)
    {
        var validation = new BrokerTokenValidation(settings);
        services.AddSingleton(settings);
        services.AddSingleton(validation);
        services.AddSingleton(sts ?? StsWebIdentityExchange.Create(settings.Region, settings.StsEndpoint));
        services.AddSingleton<CredentialBroker>();
        return validation;
    }

    /// <summary>
    /// Per client address (every request, valid or not: a flood of bad tokens is cut off before it
    /// costs a signature check each) chained with per caller object id (authenticated requests,
    /// wherever they come from). Fixed one-minute windows, no queue: a refused request gets 429.
    /// </summary>
    public static PartitionedRateLimiter<HttpContext> CreateRateLimiter(BrokerSettings settings) => PartitionedRateLimiter.CreateChained(
        PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimitPartition.GetFixedWindowLimiter(
            "ip:" + http.Connection.RemoteIpAddress, _ => PerMinute(settings.PerIpPerMinute))),
        PartitionedRateLimiter.Create<HttpContext, string>(http =>
            http.User.Identity?.IsAuthenticated == true && Caller.From(http.User) is { } c
                ? RateLimitPartition.GetFixedWindowLimiter("caller:" + c.ObjectId, _ => PerMinute(settings.PerCallerPerMinute))
                : RateLimitPartition.GetNoLimiter("anonymous")));

    /// <summary>The 429 reply, with Retry-After when the limiter knows it.</summary>
    public static IResult TooMany(BrokerSettings settings, RateLimitLease lease)
    {
        TimeSpan? retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var r) ? r : null;
        return new RetryAfterResult(retry, BrokerProblems.TooMany(
            $"rate limit reached: at most {settings.PerCallerPerMinute} requests per minute per caller and {settings.PerIpPerMinute} per client address", retry));
    }

    private static FixedWindowRateLimiterOptions PerMinute(int permits) => new()
    {
        PermitLimit = permits,
        Window = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private sealed class RetryAfterResult(TimeSpan? retryAfter, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            if (retryAfter is { } after) http.Response.Headers.RetryAfter = ((int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(http);
        }
    }
}
