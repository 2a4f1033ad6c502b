using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Skybridge.IntegrationTests.Reliability;

/// <summary>What the proxy does to one request.</summary>
public enum FaultKind
{
    None,
    /// <summary>503 SlowDown (S3) / ServerBusy (Blob) / ServiceUnavailable (STS); the request never reaches the server.</summary>
    Status503,
    /// <summary>500 InternalError; the request never reaches the server.</summary>
    Status500,
    /// <summary>403 AccessDenied / AuthorizationFailure; the request never reaches the server (permanent-fault runs).</summary>
    Status403,
    /// <summary>The server processed the request, then the connection is reset before any response byte (lost response).</summary>
    ResetBeforeResponse,
    /// <summary>Headers and half the body, then a TCP reset.</summary>
    ResetMidBody,
    /// <summary>Headers (with the full Content-Length) and half the body, then a clean close: a truncated body.</summary>
    TruncateBody,
    /// <summary>The response is held back for <see cref="FaultPlan.Stall"/> before its first byte.</summary>
    StallBeforeResponse,
    /// <summary>Headers and half the body, a pause of <see cref="FaultPlan.Stall"/>, then the rest.</summary>
    StallMidBody,
}

/// <summary>Which error dialect a synthetic error response speaks.</summary>
public enum ProxyFlavor { S3, Blob, Sts }

/// <summary>How often and which faults to inject. Decisions come from one seeded RNG.</summary>
public sealed record FaultPlan
{
    public double Rate { get; init; }
    public IReadOnlyList<(FaultKind Kind, int Weight)> Kinds { get; init; } = [];
    public int Seed { get; init; } = 1;
    public TimeSpan Stall { get; init; } = TimeSpan.FromMilliseconds(1500);
    /// <summary>Which requests may be faulted (null: all).</summary>
    public Func<ProxyRequest, bool>? Applies { get; init; }

    public static FaultPlan None => new() { Rate = 0 };

    /// <summary>Every request gets <paramref name="kind"/>.</summary>
    public static FaultPlan Always(FaultKind kind, Func<ProxyRequest, bool>? applies = null) => new() { Rate = 1, Kinds = [(kind, 1)], Applies = applies };

    /// <summary>The transient mix used by the fault runs: throttling, server errors, resets, truncation, stalls.</summary>
    public static FaultPlan Transient(double rate, int seed) => new()
    {
        Rate = rate,
        Seed = seed,
        Kinds =
        [
            (FaultKind.Status503, 3), (FaultKind.Status500, 2), (FaultKind.ResetBeforeResponse, 2), (FaultKind.ResetMidBody, 2),
            (FaultKind.TruncateBody, 2), (FaultKind.StallBeforeResponse, 1), (FaultKind.StallMidBody, 1),
        ],
    };
}

/// <summary>One request as the client sent it.</summary>
public sealed record ProxyRequest(string Method, string Target, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string Path => Target.Split('?', 2)[0];
    public string Query => Target.Contains('?') ? Target.Split('?', 2)[1] : "";
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Method, target and range: equal for a retry of the same request.</summary>
    public string Signature => $"{Method} {Target} {Header("Range") ?? Header("x-ms-range")}";

    /// <summary>The SDKs' id of one logical operation, the same on each of its retries (AWS invocation id, Azure client request id).</summary>
    public string? OperationId => Header("amz-sdk-invocation-id") ?? Header("x-ms-client-request-id");

    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>A short operation name for the figures: method plus the query word that selects the API (comp=block, list-type, tagging...).</summary>
    public string Operation
    {
        get
        {
            var words = Query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
                .Where(p => p[0] is "comp" or "restype" or "list-type" or "tagging" or "partNumber" or "uploads" or "Action" or "delimiter")
                .Select(p => p[0] is "comp" or "restype" ? $"{p[0]}={p[1]}" : p[0]);
            var op = string.Join(",", words);
            if (Method == "POST" && BodyText.StartsWith("Action=", StringComparison.Ordinal)) op = BodyText.Split('&')[0];
            return op.Length == 0 ? Method : $"{Method} {op}";
        }
    }
}

/// <summary>Counters of one proxy; safe to read while it runs.</summary>
public sealed class ProxyStats
{
    private long _requests;
    private readonly ConcurrentDictionary<FaultKind, int> _faults = new();
    private readonly ConcurrentDictionary<string, int> _bySignature = new();
    private readonly ConcurrentDictionary<string, int> _byOperation = new();
    private readonly ConcurrentDictionary<string, int> _byMethod = new();
    private readonly ConcurrentDictionary<string, int> _faultsByOperation = new();

    public long Requests => Interlocked.Read(ref _requests);
    public int Faults => _faults.Values.Sum();
    public IReadOnlyDictionary<FaultKind, int> FaultsByKind => new Dictionary<FaultKind, int>(_faults);
    /// <summary>Requests per operation (method + API selector).</summary>
    public IReadOnlyDictionary<string, int> RequestsByOperation => new Dictionary<string, int>(_byMethod);
    public IReadOnlyDictionary<string, int> FaultsByOperation => new Dictionary<string, int>(_faultsByOperation);
    /// <summary>Requests that repeated an operation already seen (SDK retries: same invocation / client request id).</summary>
    public int SdkRetries => _byOperation.Values.Sum(n => n - 1);
    /// <summary>Requests identical (method, target, range) to an earlier one: SDK retries plus Skybridge's own re-reads.</summary>
    public int RepeatedRequests => _bySignature.Values.Sum(n => n - 1);
    /// <summary>Most attempts one operation took.</summary>
    public int MaxAttemptsOfOneOperation => _byOperation.Values.DefaultIfEmpty(0).Max();

    /// <summary>One line per request (time, operation, target, range, operation id, attempt header), for diagnosis.</summary>
    public ConcurrentQueue<string> Log { get; } = new();

    internal void OnRequest(ProxyRequest r)
    {
        Log.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {r.Operation} {r.Target} {r.Header("Range")} {r.OperationId} {r.Header("amz-sdk-request")}");
        Interlocked.Increment(ref _requests);
        _byMethod.AddOrUpdate(r.Operation, 1, (_, n) => n + 1);
        _bySignature.AddOrUpdate(r.Signature, 1, (_, n) => n + 1);
        if (r.OperationId is { } id) _byOperation.AddOrUpdate(id, 1, (_, n) => n + 1);
    }

    internal void OnFault(ProxyRequest r, FaultKind kind)
    {
        _faults.AddOrUpdate(kind, 1, (_, n) => n + 1);
        _faultsByOperation.AddOrUpdate(r.Operation, 1, (_, n) => n + 1);
    }

    public object Summary() => new
    {
        requests = Requests,
        faults = Faults,
        faults_by_kind = FaultsByKind.OrderBy(k => k.Key).ToDictionary(k => k.Key.ToString(), k => k.Value),
        sdk_retries = SdkRetries,
        repeated_requests = RepeatedRequests,
        max_attempts_of_one_operation = MaxAttemptsOfOneOperation,
        requests_by_operation = RequestsByOperation.OrderBy(k => k.Key).ToDictionary(),
        faults_by_operation = FaultsByOperation.OrderBy(k => k.Key).ToDictionary(),
    };
}

/// <summary>
/// TEST CODE: a small HTTP/1.1 reverse proxy on 127.0.0.1 that forwards to one upstream (RGW or
/// Azurite) and injects faults at a configurable rate from a seeded RNG: error statuses, resets
/// before or in the middle of a response body, truncated bodies and stalls. It serves https with
/// the sandbox's CA-signed server certificate when given one (the Azure SDK only sends bearer
/// tokens over https). The Host header and the request target are forwarded byte for byte, so
/// SigV4 and SharedKey signatures stay valid. Every response body is buffered (the test data is
/// small), which lets a fault cut it at an exact point.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Uri _upstream;
    private readonly ProxyFlavor _flavor;
    private readonly X509Certificate2? _certificate;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private readonly object _rngLock = new();
    private Random _rng;
    private FaultPlan _plan;

    public FaultProxy(Uri upstream, ProxyFlavor flavor, FaultPlan? plan = null, X509Certificate2? certificate = null)
    {
        _upstream = upstream;
        _flavor = flavor;
        _certificate = certificate;
        _plan = plan ?? FaultPlan.None;
        _rng = new Random(_plan.Seed);
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 256,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        }) { Timeout = TimeSpan.FromMinutes(5) };
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Loads the sandbox server certificate (.sandbox/ca/server.pem + server.key, SAN 127.0.0.1).</summary>
    public static X509Certificate2 SandboxCertificate(string repoRoot)
    {
        var dir = System.IO.Path.Combine(repoRoot, ".sandbox", "ca");
        using var pem = X509Certificate2.CreateFromPemFile(System.IO.Path.Combine(dir, "server.pem"), System.IO.Path.Combine(dir, "server.key"));
        // Round-trip through PKCS#12 so SslStream gets a key it can use for the handshake.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public int Port { get; }
    public Uri Url => new($"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}");
    public ProxyStats Stats { get; private set; } = new();

    /// <summary>Called for every request before it is forwarded (after the fault decision); may block or act (kill the client, change the source...).</summary>
    public Func<ProxyRequest, FaultKind, Task>? OnRequest { get; set; }

    /// <summary>Called with every upstream response body that is relayed; may return a replacement body.</summary>
    public Func<ProxyRequest, int, byte[], byte[]>? OnResponse { get; set; }

    /// <summary>
    /// Edits a response's headers before they are sent (a stand-in for what the upstream does not
    /// say, e.g. part sizes or checksums RGW does not report). A HEAD's Content-Length is in the
    /// list; other responses get theirs from the (possibly transformed) body after this runs.
    /// </summary>
    public Action<ProxyRequest, int, List<KeyValuePair<string, string>>>? OnResponseHeaders { get; set; }

    /// <summary>Replaces the plan (and re-seeds the RNG with its seed).</summary>
    public FaultPlan Plan
    {
        get => _plan;
        set { lock (_rngLock) { _plan = value; _rng = new Random(value.Seed); } }
    }

    /// <summary>Starts counting from zero.</summary>
    public void ResetStats() => Stats = new ProxyStats();

    private FaultKind Decide(ProxyRequest request)
    {
        var plan = _plan;
        if (plan.Rate <= 0 || plan.Kinds.Count == 0) return FaultKind.None;
        if (plan.Applies is { } applies && !applies(request)) return FaultKind.None;
        lock (_rngLock)
        {
            if (_rng.NextDouble() >= plan.Rate) return FaultKind.None;
            var total = plan.Kinds.Sum(k => k.Weight);
            var pick = _rng.Next(total);
            foreach (var (kind, weight) in plan.Kinds)
            {
                if (pick < weight) return kind;
                pick -= weight;
            }
            return plan.Kinds[^1].Kind;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token); }
            catch { break; }
            var task = Task.Run(() => ServeAsync(socket));
            _connections[task] = 0;
            _ = task.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                stream = ssl;
            }
            var reader = new HttpReader(stream);
            while (!_stop.IsCancellationRequested)
            {
                var request = await ReadRequestAsync(reader, stream);
                if (request is null) break;
                var keepOpen = await HandleAsync(request, socket, stream);
                if (!keepOpen) break;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException
                                      or System.Security.Authentication.AuthenticationException or InvalidDataException or HttpRequestException)
        {
            // The client went away, a fault closed the connection, or the upstream failed: close it.
        }
        finally
        {
            try { stream.Dispose(); } catch { }
            try { socket.Dispose(); } catch { }
        }
    }

    private static async Task<ProxyRequest?> ReadRequestAsync(HttpReader reader, Stream stream)
    {
        var line = await reader.ReadLineAsync();
        if (line is null) return null;
        while (line.Length == 0) { line = await reader.ReadLineAsync(); if (line is null) return null; }
        var parts = line.Split(' ');
        if (parts.Length < 3) throw new InvalidDataException("bad request line: " + line);
        var headers = new List<KeyValuePair<string, string>>();
        while (true)
        {
            var h = await reader.ReadLineAsync() ?? throw new IOException("EOF in headers");
            if (h.Length == 0) break;
            var colon = h.IndexOf(':');
            if (colon > 0) headers.Add(new(h[..colon].Trim(), h[(colon + 1)..].Trim()));
        }
        string? Get(string n) => headers.FirstOrDefault(x => x.Key.Equals(n, StringComparison.OrdinalIgnoreCase)).Value;
        if (Get("Expect") is { } expect && expect.Contains("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray());
            await stream.FlushAsync();
        }
        byte[] body = [];
        if (Get("Transfer-Encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            body = await reader.ReadChunkedAsync();
        else if (Get("Content-Length") is { } cl && long.Parse(cl) > 0)
            body = await reader.ReadExactAsync(checked((int)long.Parse(cl)));
        return new ProxyRequest(parts[0], parts[1], headers, body);
    }

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Expect", "Content-Length", "Proxy-Connection", "TE", "Upgrade",
    };

    private static readonly HashSet<string> ContentHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Allow", "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Location", "Content-MD5", "Content-Range", "Content-Type", "Expires", "Last-Modified",
    };

    /// <returns>Whether the connection stays usable for another request.</returns>
    private async Task<bool> HandleAsync(ProxyRequest request, Socket socket, Stream stream)
    {
        Stats.OnRequest(request);
        var fault = Decide(request);
        if (OnRequest is { } hook) await hook(request, fault);
        if (fault is FaultKind.Status503 or FaultKind.Status500 or FaultKind.Status403)
        {
            Stats.OnFault(request, fault);
            await WriteErrorAsync(stream, request, fault);
            return true;
        }

        // Forward, byte for byte where it matters for signatures (target, Host).
        var target = new Uri(_upstream.GetLeftPart(UriPartial.Authority) + request.Target, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), target) { Version = HttpVersion.Version11 };
        var hasBody = request.Body.Length > 0 || request.Header("Content-Length") is not null || request.Header("Transfer-Encoding") is not null;
        if (hasBody || request.Headers.Any(h => ContentHeaders.Contains(h.Key))) message.Content = new ByteArrayContent(request.Body);
        foreach (var (name, value) in request.Headers)
        {
            if (HopByHop.Contains(name)) continue;
            if (ContentHeaders.Contains(name)) message.Content!.Headers.TryAddWithoutValidation(name, value);
            else message.Headers.TryAddWithoutValidation(name, value);
        }
        message.Headers.Host = request.Header("Host");

        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
        var body = await response.Content.ReadAsByteArrayAsync(_stop.Token);
        if (OnResponse is { } transform) body = transform(request, (int)response.StatusCode, body);
        var isHead = request.Method == "HEAD";
        var noBody = isHead || response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotModified;

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var h in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            if (HopByHop.Contains(h.Key)) continue;
            foreach (var v in h.Value) headers.Add(new(h.Key, v));
        }
        if (isHead && response.Content.Headers.ContentLength is { } headLength) headers.Add(new("Content-Length", headLength.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        OnResponseHeaders?.Invoke(request, (int)response.StatusCode, headers);
        var head = new StringBuilder();
        head.Append($"HTTP/1.1 {(int)response.StatusCode} {response.ReasonPhrase}\r\n");
        foreach (var (name, value) in headers) head.Append(name).Append(": ").Append(value).Append("\r\n");
        if (!isHead && !noBody) head.Append($"Content-Length: {body.Length}\r\n");
        head.Append("\r\n");
        var headBytes = Encoding.ASCII.GetBytes(head.ToString());
        if (noBody) body = [];

        // Faults on the response. Without a body to cut, a mid-body fault becomes a lost response.
        if (fault is FaultKind.ResetMidBody or FaultKind.TruncateBody or FaultKind.StallMidBody && body.Length < 2)
            fault = fault == FaultKind.StallMidBody ? FaultKind.StallBeforeResponse : FaultKind.ResetBeforeResponse;
        if (fault != FaultKind.None) Stats.OnFault(request, fault);
        switch (fault)
        {
            case FaultKind.ResetBeforeResponse:
                Reset(socket);
                return false;
            case FaultKind.StallBeforeResponse:
                await Task.Delay(_plan.Stall, _stop.Token);
                break;
            case FaultKind.ResetMidBody or FaultKind.TruncateBody or FaultKind.StallMidBody:
                await stream.WriteAsync(headBytes);
                await stream.WriteAsync(body.AsMemory(0, body.Length / 2));
                await stream.FlushAsync();
                if (fault == FaultKind.ResetMidBody) { await Task.Delay(20); Reset(socket); return false; }
                if (fault == FaultKind.TruncateBody) { await Task.Delay(20); socket.Shutdown(SocketShutdown.Both); return false; }
                await Task.Delay(_plan.Stall, _stop.Token);
                await stream.WriteAsync(body.AsMemory(body.Length / 2));
                await stream.FlushAsync();
                return !ClientWantsClose(request);
        }
        await stream.WriteAsync(headBytes);
        await stream.WriteAsync(body);
        await stream.FlushAsync();
        return !ClientWantsClose(request);
    }

    private static bool ClientWantsClose(ProxyRequest r) => r.Header("Connection") is { } c && c.Contains("close", StringComparison.OrdinalIgnoreCase);

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0); // close with RST
            socket.Close();
        }
        catch (ObjectDisposedException) { }
    }

    private int _errorIds;

    private async Task WriteErrorAsync(Stream stream, ProxyRequest request, FaultKind fault)
    {
        var id = $"fault-{Interlocked.Increment(ref _errorIds)}";
        var (status, reason, code, text) = (fault, _flavor) switch
        {
            (FaultKind.Status503, ProxyFlavor.S3) => (503, "Slow Down", "SlowDown", "Please reduce your request rate."),
            (FaultKind.Status503, ProxyFlavor.Blob) => (503, "Server Busy", "ServerBusy", "The server is currently unable to receive requests. Please retry your request."),
            (FaultKind.Status503, _) => (503, "Service Unavailable", "ServiceUnavailable", "Service is unavailable. Please try again."),
            (FaultKind.Status500, ProxyFlavor.Blob) => (500, "Internal Server Error", "InternalError", "The server encountered an internal error. Please retry the request."),
            (FaultKind.Status500, _) => (500, "Internal Server Error", "InternalError", "We encountered an internal error. Please try again."),
            (_, ProxyFlavor.Blob) => (403, "Forbidden", "AuthorizationFailure", "This request is not authorized to perform this operation."),
            _ => (403, "Forbidden", "AccessDenied", "Access Denied"),
        };
        var xml = _flavor switch
        {
            ProxyFlavor.Sts => $"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{(status >= 500 ? "Receiver" : "Sender")}</Type><Code>{code}</Code><Message>{text}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>",
            ProxyFlavor.Blob => $"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{text}\nRequestId:{id}\nTime:{DateTime.UtcNow:O}</Message></Error>",
            _ => $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{text}</Message><RequestId>{id}</RequestId></Error>",
        };
        var body = request.Method == "HEAD" ? [] : Encoding.UTF8.GetBytes(xml);
        var head = new StringBuilder($"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nDate: {DateTime.UtcNow:R}\r\n");
        if (_flavor == ProxyFlavor.Blob) head.Append($"x-ms-error-code: {code}\r\nx-ms-request-id: {id}\r\nx-ms-version: 2025-01-05\r\n");
        else head.Append($"x-amz-request-id: {id}\r\n");
        head.Append($"Content-Length: {(request.Method == "HEAD" ? Encoding.UTF8.GetByteCount(xml) : body.Length)}\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await stream.WriteAsync(body);
        await stream.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _acceptLoop; } catch { }
        try { await Task.WhenAll(_connections.Keys).WaitAsync(TimeSpan.FromSeconds(5)); } catch { }
        _http.Dispose();
        _certificate?.Dispose();
    }

    /// <summary>Minimal buffered reader for HTTP/1.1 heads, fixed-length and chunked bodies.</summary>
    private sealed class HttpReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start, _end;

        private async Task<bool> FillAsync()
        {
            if (_start == _end) { _start = _end = 0; }
            else if (_end == _buffer.Length)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start; _start = 0;
            }
            var n = await stream.ReadAsync(_buffer.AsMemory(_end));
            _end += n;
            return n > 0;
        }

        public async Task<string?> ReadLineAsync()
        {
            var line = new List<byte>();
            while (true)
            {
                if (_start == _end && !await FillAsync()) return line.Count == 0 ? null : throw new IOException("EOF in line");
                while (_start < _end)
                {
                    var b = _buffer[_start++];
                    if (b == '\n')
                    {
                        if (line.Count > 0 && line[^1] == '\r') line.RemoveAt(line.Count - 1);
                        return Encoding.Latin1.GetString(line.ToArray());
                    }
                    line.Add(b);
                    if (line.Count > 64 * 1024) throw new InvalidDataException("line too long");
                }
            }
        }

        public async Task<byte[]> ReadExactAsync(int count)
        {
            var result = new byte[count];
            var got = 0;
            while (got < count)
            {
                if (_start == _end && !await FillAsync()) throw new IOException("EOF in body");
                var n = Math.Min(count - got, _end - _start);
                Buffer.BlockCopy(_buffer, _start, result, got, n);
                _start += n; got += n;
            }
            return result;
        }

        public async Task<byte[]> ReadChunkedAsync()
        {
            using var ms = new MemoryStream();
            while (true)
            {
                var sizeLine = await ReadLineAsync() ?? throw new IOException("EOF in chunk size");
                var size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    while ((await ReadLineAsync() ?? "").Length > 0) { } // trailers
                    return ms.ToArray();
                }
                ms.Write(await ReadExactAsync(size));
                await ReadLineAsync();
            }
        }
    }
}
