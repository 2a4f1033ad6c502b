using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Skybridge.Broker;

/// <summary>
/// The broker's request pipeline for hosts without ASP.NET Core middleware (Azure Functions):
/// the same steps in the same order as <see cref="BrokerApp"/> — size limit, token validation
/// (<see cref="BrokerTokenValidation.ValidateAsync"/>, the parameters JwtBearer uses), rate limit,
/// then <see cref="CredentialBroker"/> (allow-list, STS, reply).
/// </summary>
public sealed class BrokerRequestPipeline(BrokerSettings settings, BrokerTokenValidation validation, CredentialBroker broker)
{
    private readonly PartitionedRateLimiter<HttpContext> _limiter = BrokerServices.CreateRateLimiter(settings);

    public async Task<IResult> RunAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Request.ContentLength > settings.MaxRequestBodyBytes) return BrokerProblems.TooLarge(settings.MaxRequestBodyBytes);
        var token = BrokerApp.BearerToken(http);
        var check = await validation.ValidateAsync(token).ConfigureAwait(false);
        if (check.Principal is not null) http.User = check.Principal;
        using var lease = _limiter.AttemptAcquire(http);
        if (!lease.IsAcquired) return BrokerServices.TooMany(settings, lease);
        if (check.Principal is null) return BrokerProblems.Unauthorized(http, check.Reason!);
        return await broker.HandleAsync(http, check.Principal, token!, ct).ConfigureAwait(false);
    }
}
