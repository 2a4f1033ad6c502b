using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;

namespace Skybridge.Identity;

/// <summary>
/// The AWS container-credentials endpoint (what AWS_CONTAINER_CREDENTIALS_FULL_URI points at), so
/// sidecars and unmodified AWS tools get the federated, self-refreshing credentials. Guards: bound to
/// loopback unless explicitly allowed; every request must carry the authorization token
/// (AWS_CONTAINER_AUTHORIZATION_TOKEN); Host headers other than the bound address are refused,
/// which defeats DNS-rebinding from a browser on the same host.
/// </summary>
public sealed class ContainerCredentialsServer : IDisposable
{
    /// <summary>The URL path credentials are served on.</summary>
    public const string PathSegment = "/credentials";

    private readonly AWSCredentials _credentials;
    private readonly string _authorizationToken;
    private readonly ILogger _logger;
    private readonly HttpListener _listener = new();
    private readonly HashSet<string> _allowedHosts;

    /// <summary>Prepares (does not start) the endpoint; <see cref="RunAsync"/> serves it.</summary>
    /// <param name="credentials">Credentials handed out, usually <see cref="FederatedAwsCredentials"/>.</param>
    /// <param name="authorizationToken">The secret every request must present in its Authorization header (see <see cref="NewAuthorizationToken"/>).</param>
    /// <param name="bind">Address to listen on; anything but loopback needs <paramref name="allowNonLoopback"/>.</param>
    /// <param name="port">TCP port; 0 picks a free one (see <see cref="Port"/>).</param>
    /// <param name="allowNonLoopback">Deliberately serve credentials beyond this host (e.g. to other containers of a pod).</param>
    /// <param name="logger">Logs requests and refusals, never the credentials or the token.</param>
    /// <exception cref="SkybridgeException">Usage error when <paramref name="bind"/> is not loopback and <paramref name="allowNonLoopback"/> is false, or the token is shorter than 16 characters.</exception>
    public ContainerCredentialsServer(AWSCredentials credentials, string authorizationToken, IPAddress bind, int port, bool allowNonLoopback, ILogger logger)
    {
        if (!IPAddress.IsLoopback(bind) && !allowNonLoopback)
            throw SkybridgeException.Usage($"Refusing to serve credentials on non-loopback address {bind}: anyone who can reach it could take them.",
                "Bind to 127.0.0.1 (default); pass --allow-non-loopback only inside an isolated pod network.");
        if (string.IsNullOrWhiteSpace(authorizationToken) || authorizationToken.Length < 16)
            throw SkybridgeException.Usage("The authorization token must be at least 16 characters.", "Omit it to have one generated, or use a longer random value.");
        _credentials = credentials;
        _authorizationToken = authorizationToken;
        _logger = logger;
        Port = port == 0 ? FreePort(bind) : port;
        var host = bind.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{bind}]" : bind.ToString();
        _allowedHosts = new(StringComparer.OrdinalIgnoreCase) { $"{host}:{Port}" };
        if (IPAddress.IsLoopback(bind)) _allowedHosts.Add($"localhost:{Port}");
        Uri = new Uri($"http://{host}:{Port}{PathSegment}");
        _listener.Prefixes.Add($"http://{host}:{Port}/");
    }

    /// <summary>The port actually bound (the one chosen when 0 was asked for).</summary>
    public int Port { get; }

    /// <summary>The value for AWS_CONTAINER_CREDENTIALS_FULL_URI.</summary>
    public Uri Uri { get; }

    /// <summary>A random 256-bit token (hex) for AWS_CONTAINER_AUTHORIZATION_TOKEN.</summary>
    public static string NewAuthorizationToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Serves requests until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        using var stop = cancellationToken.Register(() => _listener.Stop());
        while (!cancellationToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            _ = Task.Run(() => HandleAsync(context), CancellationToken.None);
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var host = request.Headers["Host"] ?? "";
            if (!_allowedHosts.Contains(host))
            {
                _logger.LogWarning("Refused credentials request with unexpected Host header '{Host}'", host);
                await WriteAsync(response, 400, """{"error":"unexpected Host header"}""").ConfigureAwait(false);
                return;
            }
            if (!FixedTimeEquals(request.Headers["Authorization"], _authorizationToken))
            {
                _logger.LogWarning("Refused credentials request without a valid authorization token from {Remote}", request.RemoteEndPoint);
                await WriteAsync(response, 401, """{"error":"missing or wrong Authorization header"}""").ConfigureAwait(false);
                return;
            }
            if (request.HttpMethod != "GET" || request.Url?.AbsolutePath != PathSegment)
            {
                await WriteAsync(response, 404, """{"error":"not found"}""").ConfigureAwait(false);
                return;
            }
            var credentials = await _credentials.GetCredentialsAsync().ConfigureAwait(false);
            var expiration = (_credentials as RefreshingAWSCredentials)?.Expiration ?? DateTime.UtcNow.AddMinutes(15);
            var body = JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["AccessKeyId"] = credentials.AccessKey,
                ["SecretAccessKey"] = credentials.SecretKey,
                ["Token"] = credentials.Token,
                ["Expiration"] = expiration.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ"),
            });
            _logger.LogDebug("Served credentials (access key {AccessKeyId}) to {Remote}", credentials.AccessKey, request.RemoteEndPoint);
            await WriteAsync(response, 200, body).ConfigureAwait(false);
        }
        catch (SkybridgeException e)
        {
            _logger.LogError("Could not obtain AWS credentials: {Message}", e.Message);
            await WriteAsync(response, 502, JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = e.Message })).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogError("Credentials request failed: {Error}", e.Message);
            try { await WriteAsync(response, 500, """{"error":"internal error"}""").ConfigureAwait(false); } catch (Exception) { /* client went away */ }
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        response.Close();
    }

    private static bool FixedTimeEquals(string? presented, string expected)
        => presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));

    private static int FreePort(IPAddress bind)
    {
        var probe = new System.Net.Sockets.TcpListener(bind, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Close();
}
