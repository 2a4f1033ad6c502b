// TEST STAND-IN — part of the local sandbox only, never shipped with Skybridge.
//
// Copy-from-URL shim in front of Azurite. Azurite cannot fetch external URLs (Put Blob From URL ->
// 501, Put Block From URL from a non-Azurite host -> 404 CannotVerifyCopySource), so service-side
// S3 -> Blob copies cannot be tested against it directly. This shim listens where tests point the
// destination (https://127.0.0.1:10100) and forwards every request to Azurite unchanged (the
// Authorization bearer token passes through; Azurite validates it), except the two from-URL
// operations Skybridge uses, which it performs the way Azure does:
//
//   Put Blob From URL   PUT /acct/container/blob   x-ms-copy-source, x-ms-blob-type: BlockBlob, no body
//   Put Block From URL  PUT ...?comp=block&blockid= x-ms-copy-source [, x-ms-source-range]
//
//   1. x-ms-copy-source longer than 2 KiB -> 400 OutOfRangeInput (Azure's limit on that header).
//   2. GET the URL itself (so RGW checks the presigned signature, expiry and session token),
//      honouring x-ms-source-range (Range) and x-ms-source-if-match / -if-none-match /
//      -if-modified-since / -if-unmodified-since (sent to the source as HTTP conditions).
//   3. Source failure -> CannotVerifyCopySource with x-ms-copy-source-status-code and
//      x-ms-copy-source-error-code headers and CopySourceStatusCode / CopySourceErrorCode /
//      CopySourceErrorMessage in the error body (as Azure does from service version 2025-11-05).
//      Destination status: 404 for a 404 source, 412 for 412, 403 for 401/403, 409 otherwise; no
//      answer from the source at all -> 409 without the source headers.
//   4. x-ms-source-content-md5 checked against the fetched bytes (400 Md5Mismatch).
//   5. Else the bytes go to Azurite as a plain Put Blob / Put Block with a transactional Content-MD5
//      computed here (Azure computes and checks its own). Azurite refuses x-ms-content-crc64, so it
//      is not sent to it; instead a successful answer carries x-ms-content-crc64 of the bytes the
//      shim fetched (CRC-64/NVME, least significant byte first), as Azure's Put Block From URL
//      response reports the CRC64 it computed: Skybridge combines those into the object's CRC64.
//
// One log line per from-URL operation (blob, block, range, bytes fetched, source status, result) goes
// to --log, with the source URL's scheme, host and path only — never its query (signature, session
// token). Tests use it to prove the bytes went through the shim and not through Skybridge.
// Limits: bearer/SAS-authorised requests only for the from-URL operations (a Shared Key signature
// covers headers the shim rewrites); bodies are buffered in memory (up to --max-fetch, 1 GiB).
using System.Net;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Skybridge.LocalCloud.CopyFromUrlShim;

/// <summary>Options of the copy-from-URL shim (TEST STAND-IN).</summary>
public sealed record ShimOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 10100;
    public Uri Upstream { get; init; } = new("https://127.0.0.1:10000");
    public string? CertPem { get; init; }
    public string? KeyPem { get; init; }
    public string LogPath { get; init; } = "copy-shim.log";
    /// <summary>Azure's limit on x-ms-copy-source.</summary>
    public int CopySourceLimit { get; init; } = 2048;
    public long MaxFetchBytes { get; init; } = 1L << 30;

    public static ShimOptions Parse(string[] args)
    {
        var o = new ShimOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--host" => o with { Host = Next() },
                "--port" => o with { Port = int.Parse(Next()) },
                "--upstream" => o with { Upstream = new Uri(Next()) },
                "--https-cert" => o with { CertPem = Next() },
                "--https-key" => o with { KeyPem = Next() },
                "--log" => o with { LogPath = Next() },
                "--copy-source-limit" => o with { CopySourceLimit = int.Parse(Next()) },
                "--max-fetch" => o with { MaxFetchBytes = long.Parse(Next()) },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }
        if (o.CertPem is null || o.KeyPem is null) throw new ArgumentException("--https-cert and --https-key are required (Azure SDK clients need https)");
        return o;
    }
}

/// <summary>The shim's host: <c>dotnet Skybridge.LocalCloud.dll copy-shim --https-cert C --https-key K --log FILE</c>.</summary>
public static class ShimHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        ShimOptions options;
        try { options = ShimOptions.Parse(args); }
        catch (ArgumentException e) { Console.Error.WriteLine($"copy-shim: {e.Message}"); return 2; }
        var app = Build(options);
        app.Logger.LogInformation("copy-from-URL shim (TEST STAND-IN) https://{Host}:{Port} -> {Upstream}, log {Log}", options.Host, options.Port, options.Upstream, options.LogPath);
        await app.RunAsync();
        return 0;
    }

    /// <summary>The shim as a web application, not started (tests host a private one on a port of their own).</summary>
    public static WebApplication Build(ShimOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null; // Put Block bodies up to 4000 MiB pass through
            var cert = X509Certificate2.CreateFromPemFile(options.CertPem!, options.KeyPem);
            k.Listen(IPAddress.Parse(options.Host), options.Port, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                l.UseHttps(cert);
            });
        });
        var app = builder.Build();
        var shim = new CopyFromUrlShim(options);
        app.Run(shim.HandleAsync);
        return app;
    }
}

/// <summary>Forwards to Azurite; performs Put Blob From URL / Put Block From URL itself (see the file header).</summary>
public sealed partial class CopyFromUrlShim(ShimOptions options)
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };

    private readonly HttpClient _upstream = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseCookies = false, MaxConnectionsPerServer = 256,
    }) { Timeout = TimeSpan.FromMinutes(10) };

    // The source side: what Azure's fetcher would be. No redirects, no cookies, no decompression.
    private readonly HttpClient _source = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseCookies = false, MaxConnectionsPerServer = 256,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    }) { Timeout = TimeSpan.FromMinutes(10) };

    private readonly Lock _logGate = new();

    public async Task HandleAsync(HttpContext ctx)
    {
        var rawTarget = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (ctx.Request.Path + ctx.Request.QueryString).ToString();
        var kind = FromUrlKind(ctx.Request);
        if (kind is null) await ForwardAsync(ctx, rawTarget, body: null, extraHeaders: null, dropHeader: _ => false).ConfigureAwait(false);
        else await CopyFromUrlAsync(ctx, rawTarget, kind).ConfigureAwait(false);
    }

    /// <summary>"PutBlobFromURL", "PutBlockFromURL", or null for everything forwarded unchanged.</summary>
    internal static string? FromUrlKind(HttpRequest r)
    {
        if (!HttpMethods.IsPut(r.Method) || !r.Headers.ContainsKey("x-ms-copy-source")) return null;
        var comp = r.Query["comp"].ToString();
        if (comp == "block") return "PutBlockFromURL";
        if (comp.Length == 0 && string.Equals(r.Headers["x-ms-blob-type"].ToString(), "BlockBlob", StringComparison.OrdinalIgnoreCase)
            && (r.ContentLength ?? 0) == 0) return "PutBlobFromURL";
        return null; // Copy Blob / Copy Blob From URL: Azurite handles its own sources
    }

    private async Task CopyFromUrlAsync(HttpContext ctx, string rawTarget, string kind)
    {
        var req = ctx.Request;
        var copySource = req.Headers["x-ms-copy-source"].ToString();
        var range = req.Headers["x-ms-source-range"].ToString();
        var blob = rawTarget.Split('?', 2)[0];
        var block = kind == "PutBlockFromURL" ? req.Query["blockid"].ToString() : "-";
        void Log(string sourceShown, long fetched, string sourceStatus, int result) => WriteLog(
            $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} op={kind} blob={blob} block={(block.Length > 0 ? block : "-")} range={(range.Length > 0 ? range : "-")} " +
            $"fetched={fetched} source_status={sourceStatus} result={result} source={sourceShown} url_chars={copySource.Length}");

        if (copySource.Length > options.CopySourceLimit)
        {
            Log("-", 0, "-", 400);
            await ErrorAsync(ctx, 400, "OutOfRangeInput", "One of the request inputs is out of range.").ConfigureAwait(false);
            return;
        }
        if (!Uri.TryCreate(copySource, UriKind.Absolute, out var sourceUri) || sourceUri.Scheme is not ("http" or "https"))
        {
            Log("-", 0, "-", 400);
            await ErrorAsync(ctx, 400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format.").ConfigureAwait(false);
            return;
        }
        var shown = sourceUri.GetLeftPart(UriPartial.Path); // never the query: it carries the signature and session token

        using var get = new HttpRequestMessage(HttpMethod.Get, sourceUri);
        if (range.Length > 0) get.Headers.TryAddWithoutValidation("Range", range);
        foreach (var (from, to) in new[] { ("x-ms-source-if-match", "If-Match"), ("x-ms-source-if-none-match", "If-None-Match"),
                     ("x-ms-source-if-modified-since", "If-Modified-Since"), ("x-ms-source-if-unmodified-since", "If-Unmodified-Since") })
            if (req.Headers.TryGetValue(from, out var v) && v.Count > 0) get.Headers.TryAddWithoutValidation(to, v.ToString());
        if (req.Headers.TryGetValue("x-ms-copy-source-authorization", out var auth) && auth.Count > 0) get.Headers.TryAddWithoutValidation("Authorization", auth.ToString());

        HttpResponseMessage response;
        try
        {
            response = await _source.SendAsync(get, HttpCompletionOption.ResponseHeadersRead, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ctx.RequestAborted.IsCancellationRequested)
        {
            Log(shown, 0, "none", 409);
            await ErrorAsync(ctx, 409, "CannotVerifyCopySource", "Could not verify the copy source within the specified time.").ConfigureAwait(false);
            return;
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is < 200 or >= 300)
            {
                var text = await ReadLimitedAsync(response.Content, 64 * 1024, ctx.RequestAborted).ConfigureAwait(false);
                var code = Element(text, "Code") ?? response.ReasonPhrase ?? status.ToString();
                var message = Element(text, "Message") ?? response.ReasonPhrase ?? "";
                var destStatus = status switch { 404 => 404, 412 => 412, 401 or 403 => 403, _ => 409 };
                Log(shown, 0, status.ToString(), destStatus);
                ctx.Response.Headers["x-ms-copy-source-status-code"] = status.ToString();
                ctx.Response.Headers["x-ms-copy-source-error-code"] = code;
                await ErrorAsync(ctx, destStatus, "CannotVerifyCopySource", StatusText(status),
                    $"<CopySourceStatusCode>{status}</CopySourceStatusCode><CopySourceErrorCode>{Xml(code)}</CopySourceErrorCode><CopySourceErrorMessage>{Xml(message)}</CopySourceErrorMessage>").ConfigureAwait(false);
                return;
            }
            var length = response.Content.Headers.ContentLength;
            if (length > options.MaxFetchBytes)
            {
                Log(shown, 0, status.ToString(), 413);
                await ErrorAsync(ctx, 413, "RequestBodyTooLarge", $"The copy shim buffers at most {options.MaxFetchBytes} bytes.").ConfigureAwait(false);
                return;
            }
            var bytes = await response.Content.ReadAsByteArrayAsync(ctx.RequestAborted).ConfigureAwait(false);
            if (range.Length > 0 && RangeLength(range) is { } expected && expected != bytes.Length && !(status == 200 && bytes.Length < expected))
            {
                Log(shown, bytes.Length, status.ToString(), 409);
                await ErrorAsync(ctx, 409, "CannotVerifyCopySource", $"The source returned {bytes.Length} bytes for {range}.").ConfigureAwait(false);
                return;
            }
            var md5 = MD5.HashData(bytes);
            if (req.Headers.TryGetValue("x-ms-source-content-md5", out var expectedMd5) && expectedMd5.Count > 0
                && !string.Equals(expectedMd5.ToString(), Convert.ToBase64String(md5), StringComparison.Ordinal))
            {
                Log(shown, bytes.Length, status.ToString(), 400);
                await ErrorAsync(ctx, 400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server.").ConfigureAwait(false);
                return;
            }

            // To Azurite as a plain Put Blob / Put Block, with a transactional Content-MD5; the answer
            // says the CRC64 of what was fetched, as Azure's does.
            var crc64 = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(crc64, Crc64.HashToUInt64(Crc64ParameterSet.Nvme, bytes));
            var result = await ForwardAsync(ctx, rawTarget, bytes,
                extraHeaders: [("Content-MD5", Convert.ToBase64String(md5))],
                responseHeaders: [("x-ms-content-crc64", Convert.ToBase64String(crc64))],
                dropHeader: h => h.StartsWith("x-ms-copy-source", StringComparison.OrdinalIgnoreCase)
                    || h.StartsWith("x-ms-source-", StringComparison.OrdinalIgnoreCase)
                    || h.Equals("Content-MD5", StringComparison.OrdinalIgnoreCase)).ConfigureAwait(false);
            Log(shown, bytes.Length, status.ToString(), result);
        }
    }

    /// <summary>Sends the request (or <paramref name="body"/> instead of its body) to Azurite and relays the answer.</summary>
    private async Task<int> ForwardAsync(HttpContext ctx, string rawTarget, byte[]? body, (string, string)[]? extraHeaders, Func<string, bool> dropHeader,
        (string, string)[]? responseHeaders = null)
    {
        var req = ctx.Request;
        var target = new Uri(options.Upstream, rawTarget.StartsWith('/') ? rawTarget : "/" + rawTarget);
        using var msg = new HttpRequestMessage(new HttpMethod(req.Method), target);
        HttpContent? content = null;
        if (body is not null) content = new ByteArrayContent(body);
        else if ((req.ContentLength ?? 0) > 0 || req.Headers.ContainsKey("Transfer-Encoding")) content = new StreamContent(req.Body);
        else if (!HttpMethods.IsGet(req.Method) && !HttpMethods.IsHead(req.Method) && !HttpMethods.IsDelete(req.Method) && !HttpMethods.IsOptions(req.Method))
            content = new ByteArrayContent([]);
        msg.Content = content;
        foreach (var (name, values) in req.Headers)
        {
            if (HopByHop.Contains(name) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || dropHeader(name)) continue;
            if (!msg.Headers.TryAddWithoutValidation(name, values.ToArray()) && content is not null)
                content.Headers.TryAddWithoutValidation(name, values.ToArray());
        }
        foreach (var (name, value) in extraHeaders ?? [])
        {
            if (content is not null && (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)))
            {
                content.Headers.Remove(name);
                content.Headers.TryAddWithoutValidation(name, value);
            }
            else msg.Headers.TryAddWithoutValidation(name, value);
        }
        // Blob Storage wants a Content-Length (no chunked uploads): keep the client's.
        if (body is not null) content!.Headers.ContentLength = body.Length;
        else if (content is not null && req.ContentLength is { } length) content.Headers.ContentLength = length;

        using var response = await _upstream.SendAsync(msg, HttpCompletionOption.ResponseHeadersRead, ctx.RequestAborted).ConfigureAwait(false);
        ctx.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (HopByHop.Contains(name)) continue;
            ctx.Response.Headers[name] = values.ToArray();
        }
        if (response.IsSuccessStatusCode)
            foreach (var (name, value) in responseHeaders ?? []) ctx.Response.Headers[name] = value;
        if (!HttpMethods.IsHead(req.Method))
            await response.Content.CopyToAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
        return (int)response.StatusCode;
    }

    private static async Task ErrorAsync(HttpContext ctx, int status, string code, string message, string extra = "")
    {
        ctx.Response.StatusCode = status;
        ctx.Response.Headers["x-ms-error-code"] = code;
        ctx.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        ctx.Response.Headers["x-ms-version"] = ctx.Request.Headers["x-ms-version"].ToString() is { Length: > 0 } v ? v : "2025-11-05";
        ctx.Response.ContentType = "application/xml";
        var xml = $"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{Xml(message)}\nRequestId:{ctx.Response.Headers["x-ms-request-id"]}\nTime:{DateTime.UtcNow:O}</Message>{extra}</Error>";
        await ctx.Response.WriteAsync(xml, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static string StatusText(int status) => status switch
    {
        401 or 403 => "This request is not authorized to perform this operation.",
        404 => "The specified blob does not exist.",
        412 => "The condition specified using HTTP conditional header(s) is not met.",
        _ => "Could not verify the copy source.",
    };

    private void WriteLog(string line)
    {
        lock (_logGate) File.AppendAllText(options.LogPath, line + "\n");
    }

    private static async Task<string> ReadLimitedAsync(HttpContent content, int max, CancellationToken ct)
    {
        await using var s = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[max];
        int total = 0, n;
        while (total < max && (n = await s.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0) total += n;
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>"bytes=10-19" -> 10.</summary>
    internal static long? RangeLength(string range)
    {
        var m = RangeRegex().Match(range);
        return m.Success ? long.Parse(m.Groups[2].Value) - long.Parse(m.Groups[1].Value) + 1 : null;
    }

    private static string? Element(string xml, string name)
    {
        var m = Regex.Match(xml, $"<{name}>([^<]*)</{name}>");
        return m.Success ? m.Groups[1].Value : null;
    }

    private static string Xml(string s) => System.Security.SecurityElement.Escape(s) ?? "";

    [GeneratedRegex(@"^bytes=(\d+)-(\d+)$")]
    private static partial Regex RangeRegex();
}
