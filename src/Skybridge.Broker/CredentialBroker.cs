using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.SecurityToken;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Skybridge.Diagnostics;
using Skybridge.Identity;

namespace Skybridge.Broker;

/// <summary>What a caller may ask for (the Web activity's body). Both fields are optional.</summary>
public sealed record CredentialRequest
{
    [JsonPropertyName("roleArn")] public string? RoleArn { get; init; }
    [JsonPropertyName("durationSeconds")] public int? DurationSeconds { get; init; }
}

/// <summary>
/// The reply, shaped for the Amazon S3 linked service (authenticationType
/// TemporarySecurityCredentials): <c>@activity('Get AWS credentials').output.accessKeyId</c> etc.
/// go straight into its SecureString parameters.
/// </summary>
public sealed record CredentialResponse(
    [property: JsonPropertyName("accessKeyId")] string AccessKeyId,
    [property: JsonPropertyName("secretAccessKey")] string SecretAccessKey,
    [property: JsonPropertyName("sessionToken")] string SessionToken,
    [property: JsonPropertyName("expiration")] DateTimeOffset Expiration,
    [property: JsonPropertyName("roleArn")] string RoleArn,
    [property: JsonPropertyName("durationSeconds")] int DurationSeconds);

/// <summary>
/// The handler both hosts call once the token is validated: reads the small request, decides the
/// role from the allow-list, calls STS AssumeRoleWithWebIdentity with the caller's own token (a
/// form POST through AWSSDK.SecurityToken: never a URL, never logged) and answers with the
/// temporary credentials, or a problem body with the reason.
/// </summary>
public sealed class CredentialBroker(BrokerSettings settings, IWebIdentityExchange sts, ILogger<CredentialBroker> log)
{
    // Data Factory may render "@pipeline().parameters.durationSeconds" into the body as a string: accept "3600" as 3600.
    private static readonly JsonSerializerOptions RequestJson = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, NumberHandling = JsonNumberHandling.AllowReadingFromString };

    public async Task<IResult> HandleAsync(HttpContext http, ClaimsPrincipal principal, string token, CancellationToken ct)
    {
        var caller = Caller.From(principal)!;
        var request = await ReadRequestAsync(http, ct).ConfigureAwait(false);
        if (request.Problem is { } bad) return bad;

        var decision = settings.Callers.Decide(caller, request.Value!.RoleArn?.Trim());
        if (decision.RoleArn is null)
        {
            log.LogWarning("refused caller {Caller}: {Reason}", caller.ObjectId, decision.Refusal);
            return BrokerProblems.Forbidden(decision.Refusal!, decision.Fix);
        }

        var seconds = request.Value.DurationSeconds ?? (int)settings.DefaultDuration.TotalSeconds;
        if (seconds < 900 || seconds > settings.MaxDuration.TotalSeconds)
            return BrokerProblems.BadRequest($"durationSeconds {seconds} is out of range 900..{(int)settings.MaxDuration.TotalSeconds}",
                "Ask for at least 900 s and at most the broker's Broker:MaxDurationSeconds (and the role's MaxSessionDuration).");

        FederatedSession session;
        try
        {
            // The session name shows up in CloudTrail: it says which caller the session is for.
            session = await sts.ExchangeAsync(token, decision.RoleArn, SessionName(caller), TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false);
        }
        catch (AmazonSecurityTokenServiceException e) when (e.StatusCode is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.BadRequest)
        {
            var reason = SecretRedactor.Redact($"AWS STS refused the role {decision.RoleArn}: {e.ErrorCode} {e.Message}");
            log.LogWarning("STS refused caller {Caller}: {Reason}", caller.ObjectId, reason);
            return BrokerProblems.Forbidden(reason, "Check the role's trust policy: the OIDC provider of this issuer, aud = the broker's audience and sub = the caller's object id; and the requested durationSeconds against the role's MaxSessionDuration.");
        }
        catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            log.LogError("STS unreachable for caller {Caller}: {Error}", caller.ObjectId, SecretRedactor.Redact(e.Message));
            return BrokerProblems.BadGateway("AWS STS could not be reached or failed", "Retry later (the Web activity retries); check the broker's outbound access to STS.");
        }

        log.LogInformation("issued a session for caller {Caller}, role {Role}, until {Expiration:O}", caller.ObjectId, decision.RoleArn, session.Expiration);
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        return Results.Json(new CredentialResponse(session.Credentials.AccessKey, session.Credentials.SecretKey, session.Credentials.Token,
            session.Expiration, decision.RoleArn, seconds));
    }

    internal static string SessionName(Caller caller)
    {
        // RoleSessionName: 2..64 of [\w+=,.@-]; object ids are GUIDs (36), so the name always fits.
        var id = new string([.. caller.ObjectId.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').Take(47)]);
        return "skybridge-broker-" + (id.Length >= 2 ? id : "caller");
    }

    private async Task<(CredentialRequest? Value, IResult? Problem)> ReadRequestAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Request.ContentLength is 0 || (http.Request.ContentLength is null && !http.Request.Headers.TransferEncoding.Any()))
            return (new CredentialRequest(), null);
        if (http.Request.ContentLength > settings.MaxRequestBodyBytes)
            return (null, BrokerProblems.TooLarge(settings.MaxRequestBodyBytes));
        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
            if (buffer.Length > settings.MaxRequestBodyBytes) return (null, BrokerProblems.TooLarge(settings.MaxRequestBodyBytes));
            if (buffer.Length == 0) return (new CredentialRequest(), null);
            return (JsonSerializer.Deserialize<CredentialRequest>(buffer.ToArray(), RequestJson) ?? new CredentialRequest(), null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, BrokerProblems.TooLarge(settings.MaxRequestBodyBytes));
        }
        catch (JsonException)
        {
            return (null, BrokerProblems.BadRequest("the request body is not {\"roleArn\": \"...\", \"durationSeconds\": N} (both optional)",
                "Send an empty JSON object {} or name the role: {\"roleArn\": \"arn:aws:iam::123456789012:role/reader\"}."));
        }
    }
}

/// <summary>RFC 9457 problem replies (application/problem+json) with a reason and a fix; never a token.</summary>
public static class BrokerProblems
{
    public static IResult Unauthorized(HttpContext http, string reason)
    {
        // RFC 6750: error="invalid_token" with a description; quotes and controls cannot appear in it.
        var description = new string([.. reason.Where(c => c >= 0x20 && c != '"' && c != '\\' && c < 0x7f)]);
        http.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{description}\"";
        return Problem(StatusCodes.Status401Unauthorized, "Unauthorized", reason,
            "Call with a managed identity token for the broker's audience from the broker's tenant (Web activity: authentication System-assigned managed identity, resource = the audience).");
    }

    public static IResult Forbidden(string reason, string? fix) => Problem(StatusCodes.Status403Forbidden, "Forbidden", reason, fix);
    public static IResult BadRequest(string reason, string fix) => Problem(StatusCodes.Status400BadRequest, "Bad request", reason, fix);
    public static IResult BadGateway(string reason, string fix) => Problem(StatusCodes.Status502BadGateway, "Bad gateway", reason, fix);

    public static IResult TooLarge(int limit) => Problem(StatusCodes.Status413PayloadTooLarge, "Request too large",
        $"the request body exceeds the broker's limit of {limit} bytes", "Send an empty body or only {\"roleArn\": \"...\"}.");

    public static IResult TooMany(string reason, TimeSpan? retryAfter) => Problem(StatusCodes.Status429TooManyRequests, "Too many requests",
        reason + (retryAfter is { } r ? $"; retry after {Math.Ceiling(r.TotalSeconds)} s" : ""), "Request credentials once per copy and reuse them until they near expiry.");

    private static IResult Problem(int status, string title, string reason, string? fix) => Results.Problem(
        detail: reason, statusCode: status, title: title,
        extensions: fix is null ? null : new Dictionary<string, object?> { ["fix"] = fix });
}
