using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Logging;
using Skybridge.Diagnostics;
using Skybridge.Identity;

namespace Skybridge.Broker;

/// <summary>
/// The container host (Container Apps, AKS, anything that runs a Kestrel process behind TLS
/// ingress): JwtBearer with <see cref="BrokerTokenValidation"/>'s rules, the caller allow-list as
/// an authorization policy, request-size and header limits, rate limits per client address and
/// per caller, <c>POST /v1/credentials</c> and <c>GET /healthz</c>. Every log line goes through
/// <see cref="SecretRedactor"/>.
/// </summary>
public static class BrokerApp
{
    public const string CredentialsPath = "/v1/credentials";
    public const string HealthPath = "/healthz";
    private const string AllowedCaller = "allowed-caller";

    /// <summary>Reads section "Broker" of the configuration (appsettings.json, Broker__* environment variables, command line).</summary>
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var options = builder.Configuration.GetSection(BrokerOptions.Section).Get<BrokerOptions>() ?? new BrokerOptions();
        return Create(builder, BrokerSettings.From(options), Console.Out);
    }

    /// <summary>Wires the broker into <paramref name="builder"/> (tests: their own URLs, log writer and STS).</summary>
    public static WebApplication Create(WebApplicationBuilder builder, BrokerSettings settings, TextWriter logWriter, IWebIdentityExchange? sts = null)
    {
        builder.Logging.ClearProviders().AddProvider(new RedactingLoggerProvider(logWriter));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes;
            // An Entra access token is 1.5-4 KB; 16 KiB of headers is ample and bounds the work per request.
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            k.Limits.MaxRequestHeaderCount = 50;
            k.Limits.MaxRequestLineSize = 2048;
        });

        var validation = builder.Services.AddBroker(settings, sts);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.MetadataAddress = settings.MetadataAddress.ToString();
            o.RequireHttpsMetadata = !settings.AllowHttpMetadata;
            o.ConfigurationManager = validation.Configuration;
            o.TokenValidationParameters = validation.Parameters;
            o.SaveToken = false;
            o.IncludeErrorDetails = false; // the challenge below writes its own, token-free reason
            o.Events = new JwtBearerEvents
            {
                OnTokenValidated = ctx =>
                {
                    if (validation.ClaimsProblem(ctx.Principal!) is { } problem) ctx.Fail(new BrokerClaimsException(problem));
                    return Task.CompletedTask;
                },
                OnChallenge = async ctx =>
                {
                    ctx.HandleResponse();
                    var reason = ctx.AuthenticateFailure is { } f ? TokenFailure.Describe(f, BearerToken(ctx.HttpContext)) : TokenCheck.Missing.Reason!;
                    await BrokerProblems.Unauthorized(ctx.HttpContext, reason).ExecuteAsync(ctx.HttpContext);
                },
                OnForbidden = async ctx =>
                {
                    var decision = Caller.From(ctx.HttpContext.User) is { } caller ? settings.Callers.Decide(caller, null) : null;
                    await BrokerProblems.Forbidden(decision?.Refusal ?? "the caller is not allowed", decision?.Fix).ExecuteAsync(ctx.HttpContext);
                },
            };
        });
        builder.Services.AddAuthorization(o => o.AddPolicy(AllowedCaller, p => p
            .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(ctx => Caller.From(ctx.User) is { } c && settings.Callers.RolesFor(c).Count > 0)));

        builder.Services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = BrokerServices.CreateRateLimiter(settings);
            o.OnRejected = (ctx, ct) => new ValueTask(BrokerServices.TooMany(settings, ctx.Lease).ExecuteAsync(ctx.HttpContext));
        });

        var app = builder.Build();
        // Refuse a declared oversized body before any token work (Kestrel's limit covers chunked bodies).
        app.Use(async (http, next) =>
        {
            if (http.Request.ContentLength > settings.MaxRequestBodyBytes)
            {
                await BrokerProblems.TooLarge(settings.MaxRequestBodyBytes).ExecuteAsync(http);
                return;
            }
            await next(http);
        });
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapGet(HealthPath, () => Results.Text("ok\n")).AllowAnonymous().DisableRateLimiting();
        app.MapPost(CredentialsPath, (HttpContext http, CredentialBroker broker, CancellationToken ct) =>
                broker.HandleAsync(http, http.User, BearerToken(http)!, ct))
            .RequireAuthorization(AllowedCaller);
        return app;
    }

    /// <summary>The raw bearer token of a request (JwtBearer validated it already; it only travels on to STS).</summary>
    public static string? BearerToken(HttpContext http) =>
        AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization.ToString(), out var h)
        && string.Equals(h.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) ? h.Parameter : null;
}

/// <summary>A token that is valid but names another tenant or no caller.</summary>
public sealed class BrokerClaimsException(string reason) : Exception(reason);
