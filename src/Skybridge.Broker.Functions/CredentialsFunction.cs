using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Skybridge.Broker;

namespace Skybridge.Broker.Functions;

/// <summary>
/// POST /v1/credentials and GET /healthz on Azure Functions. The Functions host cannot run the
/// JwtBearer middleware, so the token goes through <see cref="BrokerTokenValidation.ValidateAsync"/>
/// (the same parameters, the same JsonWebTokenHandler JwtBearer uses), then the same order as the
/// container host: authenticate, rate-limit, authorize and exchange in <see cref="CredentialBroker"/>.
/// The function is anonymous at the Functions level on purpose: no function key (a shared secret)
/// is needed, the Entra token is the only credential.
/// </summary>
public sealed class CredentialsFunction(BrokerSettings settings, BrokerTokenValidation validation, CredentialBroker broker, PartitionedRateLimiter<HttpContext> limiter)
{
    [Function("credentials")]
    public async Task<IActionResult> Credentials(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/credentials")] HttpRequest request, CancellationToken ct)
    {
        var http = request.HttpContext;
        var result = await DecideAsync(http, ct);
        await result.ExecuteAsync(http);
        return new EmptyResult();
    }

    [Function("healthz")]
    public IActionResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "healthz")] HttpRequest request) =>
        new ContentResult { Content = "ok\n", ContentType = "text/plain", StatusCode = StatusCodes.Status200OK };

    private async Task<IResult> DecideAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Request.ContentLength > settings.MaxRequestBodyBytes) return BrokerProblems.TooLarge(settings.MaxRequestBodyBytes);
        var token = BrokerApp.BearerToken(http);
        var check = await validation.ValidateAsync(token);
        if (check.Principal is not null) http.User = check.Principal;
        using var lease = limiter.AttemptAcquire(http);
        if (!lease.IsAcquired) return BrokerServices.TooMany(settings, lease);
        if (check.Principal is null) return BrokerProblems.Unauthorized(http, check.Reason!);
        return await broker.HandleAsync(http, check.Principal, token!, ct);
    }
}
