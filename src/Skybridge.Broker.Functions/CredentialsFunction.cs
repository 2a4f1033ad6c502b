using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Skybridge.Broker;

namespace Skybridge.Broker.Functions;

/// <summary>
/// POST /v1/credentials and GET /healthz on Azure Functions. The Functions host cannot run the
/// JwtBearer middleware, so <see cref="BrokerRequestPipeline"/> validates the token with the same
/// parameters and JsonWebTokenHandler JwtBearer uses, then rate-limits and calls the same
/// <see cref="CredentialBroker"/>. The function is anonymous at the Functions level on purpose: no
/// function key (a shared secret) is needed, the Entra token is the only credential.
/// </summary>
public sealed class CredentialsFunction(BrokerRequestPipeline pipeline)
{
    [Function("credentials")]
    public async Task<IActionResult> Credentials(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/credentials")] HttpRequest request, CancellationToken ct)
    {
        var result = await pipeline.RunAsync(request.HttpContext, ct);
        await result.ExecuteAsync(request.HttpContext);
        return new EmptyResult();
    }

    [Function("healthz")]
    public IActionResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "healthz")] HttpRequest request) =>
        new ContentResult { Content = "ok\n", ContentType = "text/plain", StatusCode = StatusCodes.Status200OK };
}
