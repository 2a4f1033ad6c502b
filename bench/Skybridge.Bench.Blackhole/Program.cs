// A blackhole Azure Blob endpoint — FOR BENCHMARKS AND TESTS ONLY (bench/README.md).
//
// Speaks the subset of the Blob REST API that Skybridge (Azure.Storage.Blobs) and rclone 1.60's
// azureblob backend use to copy into a container, keeps only names, sizes, MD5s, properties and
// metadata in memory, and throws every data byte away. Like Azure, it checks a transactional
// Content-MD5 or x-ms-content-crc64 on Put Blob / Put Block and refuses a mismatch (400
// Md5Mismatch / Crc64Mismatch, nothing stored); --no-verify turns that off for benchmarks, where
// the service's hashing would be charged to the tool's CPUs. Authentication is ignored (any
// account key, SAS or token is accepted): never expose it beyond 127.0.0.1.
//
//   dotnet Skybridge.Bench.Blackhole.dll [--host 127.0.0.1] [--port 17500]
//       [--https-port N --cert server.pem --key server.key] [--no-verify]
//
// Paths are emulator style: /{account}/{container}/{blob}. Admin: GET /_blackhole/stats (JSON
// counters; ?container=ACCOUNT/NAME for one container's blobs and bytes), POST /_blackhole/reset
// (forget every container), GET /healthz.

using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Xml;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Skybridge.Bench.Blackhole;

var options = new BlackholeOptions();
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--host": options = options with { Host = Next() }; break;
        case "--port": options = options with { Port = int.Parse(Next()) }; break;
        case "--https-port": options = options with { HttpsPort = int.Parse(Next()) }; break;
        case "--cert": options = options with { Cert = Next() }; break;
        case "--key": options = options with { Key = Next() }; break;
        // --no-verify-md5: the name before CRC64 was checked too (older bench/run.sh revisions).
        case "--no-verify" or "--no-verify-md5": options = options with { Verify = false }; break;
        case "-h" or "--help":
            Console.WriteLine("usage: Skybridge.Bench.Blackhole [--host H] [--port N] [--https-port N --cert PEM --key PEM] [--no-verify]");
            return 0;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

var app = BlackholeHost.Build(options);
await app.StartAsync();
Console.WriteLine($"blackhole blob endpoint on {string.Join(" and ", BlackholeHost.Addresses(app))} (verify MD5/CRC64: {options.Verify})");
await app.WaitForShutdownAsync();
return 0;

namespace Skybridge.Bench.Blackhole
{
    /// <summary>Where the blackhole listens and whether it checks transactional MD5s / CRC64s (port 0: any free port).</summary>
    internal sealed record BlackholeOptions
    {
        public string Host { get; init; } = "127.0.0.1";
        public int Port { get; init; } = 17500;
        public int HttpsPort { get; init; }
        public string? Cert { get; init; }
        public string? Key { get; init; }
        /// <summary>Refuse a Put Blob / Put Block whose body does not match its Content-MD5 or x-ms-content-crc64, as Azure does.</summary>
        public bool Verify { get; init; } = true;
    }

    /// <summary>Builds the Kestrel host (the command line above, and the unit tests in-process).</summary>
    internal static class BlackholeHost
    {
        public static WebApplication Build(BlackholeOptions o)
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = null;           // Put Blob / Put Block of any size
                k.Limits.MinRequestBodyDataRate = null;       // a client paced by its source is not "slow"
                k.Limits.MaxRequestHeadersTotalSize = 256 * 1024;
                k.Limits.MaxConcurrentConnections = null;
                k.Listen(IPAddress.Parse(o.Host), o.Port, l => l.Protocols = HttpProtocols.Http1);
                if (o.HttpsPort > 0)
                {
                    if (o.Cert is null || o.Key is null) throw new ArgumentException("--https-port needs --cert and --key");
                    var x509 = X509Certificate2.CreateFromPemFile(o.Cert, o.Key);
                    // Kestrel on Linux wants an exportable (PKCS#12-backed) key.
                    x509 = X509CertificateLoader.LoadPkcs12(x509.Export(X509ContentType.Pkcs12), null);
                    k.Listen(IPAddress.Parse(o.Host), o.HttpsPort, l => { l.Protocols = HttpProtocols.Http1; l.UseHttps(x509); });
                }
            });
            var app = builder.Build();
            app.Run(new Store(o.Verify).HandleAsync);
            return app;
        }

        /// <summary>The bound addresses (the real port when 0 was asked), once started.</summary>
        public static IReadOnlyList<string> Addresses(WebApplication app)
            => app.Urls.ToList();
    }

    internal sealed class BlobEntry
    {
        public long Size;
        public byte[]? ContentMd5;
        public Dictionary<string, string> Metadata = new(StringComparer.OrdinalIgnoreCase);
        public string? ContentType, ContentEncoding, ContentLanguage, ContentDisposition, CacheControl, AccessTier;
        public string ETag = "";
        public DateTimeOffset Created, LastModified;
        /// <summary>Committed block id -> size (only for blobs written with Put Block List).</summary>
        public Dictionary<string, long>? Blocks;
    }

    internal sealed class ContainerState(string etag, DateTimeOffset created)
    {
        public readonly string ETag = etag;
        public readonly DateTimeOffset Created = created;
        public readonly SortedSet<string> Names = new(StringComparer.Ordinal);
        public readonly Dictionary<string, BlobEntry> Blobs = new(StringComparer.Ordinal);
        /// <summary>Blob name -> staged (uncommitted) block id -> size.</summary>
        public readonly Dictionary<string, Dictionary<string, long>> Staged = new(StringComparer.Ordinal);
        public readonly Dictionary<string, string> Metadata = new(StringComparer.OrdinalIgnoreCase);
    }

    internal sealed class Store(bool verify)
    {
        private const string Version = "2025-01-05";
        private readonly Dictionary<string, ContainerState> _containers = new(StringComparer.Ordinal); // "account/container"
        private readonly Lock _gate = new();
        private long _etag = DateTime.UtcNow.Ticks;
        private readonly Dictionary<string, long> _ops = new(StringComparer.Ordinal);
        private long _bytesIn, _md5Bytes, _md5Mismatches, _crc64Bytes, _crc64Mismatches;

        private string NewETag() => $"\"0x8D{Interlocked.Increment(ref _etag):X13}\"";

        private void Count(string op)
        {
            lock (_ops) _ops[op] = _ops.GetValueOrDefault(op) + 1;
        }

        public async Task HandleAsync(HttpContext ctx)
        {
            var req = ctx.Request;
            var res = ctx.Response;
            res.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
            res.Headers["x-ms-version"] = req.Headers["x-ms-version"].ToString() is { Length: > 0 } v ? v : Version;
            if (req.Headers.TryGetValue("x-ms-client-request-id", out var cid)) res.Headers["x-ms-client-request-id"] = cid;

            var path = req.Path.Value ?? "/";
            if (path == "/healthz") { await res.WriteAsync("ok"); return; }
            if (path.StartsWith("/_blackhole/", StringComparison.Ordinal)) { await AdminAsync(ctx, path); return; }

            // /{account}[/{container}[/{blob...}]]
            var parts = path.TrimStart('/').Split('/', 3);
            var account = parts[0];
            var container = parts.Length > 1 ? parts[1] : "";
            var blob = parts.Length > 2 ? parts[2].Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : "";
            var q = req.Query;
            string comp = q["comp"].ToString(), restype = q["restype"].ToString();
            var method = req.Method;
            try
            {
                if (container.Length == 0)
                {
                    if (method == "GET" && comp == "list") { Count("ListContainers"); await ListContainersAsync(ctx, account); return; }
                    await Unsupported(ctx, $"account {method} comp={comp} restype={restype}");
                    return;
                }
                var ckey = account + "/" + container;
                if (blob.Length == 0)
                {
                    if (restype != "container") { await Unsupported(ctx, $"container {method} without restype=container"); return; }
                    switch (method, comp)
                    {
                        case ("PUT", ""): Count("CreateContainer"); await CreateContainerAsync(ctx, ckey); return;
                        case ("GET" or "HEAD", ""): Count("GetContainerProperties"); await ContainerPropertiesAsync(ctx, ckey); return;
                        case ("DELETE", ""): Count("DeleteContainer"); await DeleteContainerAsync(ctx, ckey); return;
                        case ("GET", "list"): Count("ListBlobs"); await ListBlobsAsync(ctx, ckey, account, container); return;
                        case ("PUT", "metadata"): Count("SetContainerMetadata"); await SetContainerMetadataAsync(ctx, ckey); return;
                        case ("GET" or "HEAD", "metadata"): Count("GetContainerMetadata"); await ContainerPropertiesAsync(ctx, ckey); return;
                    }
                    await Unsupported(ctx, $"container {method} comp={comp}");
                    return;
                }
                var c = Find(ckey);
                if (c is null) { await DrainAsync(req, false); await Error(ctx, 404, "ContainerNotFound", "The specified container does not exist."); return; }
                switch (method, comp)
                {
                    case ("PUT", ""):
                        if (req.Headers.ContainsKey("x-ms-copy-source")) { await Unsupported(ctx, "copy from URL"); return; }
                        Count("PutBlob"); await PutBlobAsync(ctx, c, blob); return;
                    case ("PUT", "block"):
                        if (req.Headers.ContainsKey("x-ms-copy-source")) { await Unsupported(ctx, "Put Block From URL"); return; }
                        Count("PutBlock"); await PutBlockAsync(ctx, c, blob); return;
                    case ("PUT", "blocklist"): Count("PutBlockList"); await PutBlockListAsync(ctx, c, blob); return;
                    case ("HEAD" or "GET", "metadata"):
                    case ("HEAD", ""): Count("GetBlobProperties"); await BlobPropertiesAsync(ctx, c, blob); return;
                    case ("GET", ""): Count("GetBlob"); await Unsupported(ctx, "Get Blob (the blackhole keeps no data)"); return;
                    case ("DELETE", ""): Count("DeleteBlob"); await DeleteBlobAsync(ctx, c, blob); return;
                    case ("PUT", "metadata"): Count("SetBlobMetadata"); await SetBlobAsync(ctx, c, blob, metadata: true); return;
                    case ("PUT", "properties"): Count("SetBlobProperties"); await SetBlobAsync(ctx, c, blob, metadata: false); return;
                    case ("PUT", "tier"): Count("SetBlobTier"); await SetTierAsync(ctx, c, blob); return;
                    case ("PUT", "tags"): Count("SetBlobTags"); await DrainAsync(req, false); res.StatusCode = 204; return;
                    case ("GET", "tags"):
                        Count("GetBlobTags");
                        await Xml(ctx, 200, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Tags><TagSet /></Tags>");
                        return;
                    case ("GET", "blocklist"): Count("GetBlockList"); await BlockListAsync(ctx, c, blob); return;
                }
                await Unsupported(ctx, $"blob {method} comp={comp}");
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException) { throw; }
            catch (Exception e) when (!res.HasStarted)
            {
                Console.Error.WriteLine($"blackhole: {method} {path}{req.QueryString}: {e}");
                await Error(ctx, 500, "InternalError", e.Message);
            }
        }

        // ---------------------------------------------------------------- containers

        private ContainerState? Find(string ckey)
        {
            lock (_gate) return _containers.GetValueOrDefault(ckey);
        }

        private async Task CreateContainerAsync(HttpContext ctx, string ckey)
        {
            await DrainAsync(ctx.Request, false);
            ContainerState? created = null;
            lock (_gate)
            {
                if (!_containers.ContainsKey(ckey))
                {
                    created = new ContainerState(NewETag(), DateTimeOffset.UtcNow);
                    foreach (var (k, v) in MetadataFrom(ctx.Request)) created.Metadata[k] = v;
                    _containers[ckey] = created;
                }
            }
            if (created is null) { await Error(ctx, 409, "ContainerAlreadyExists", "The specified container already exists."); return; }
            ctx.Response.Headers.ETag = created.ETag;
            ctx.Response.Headers.LastModified = created.Created.ToString("R");
            ctx.Response.StatusCode = 201;
        }

        private async Task ContainerPropertiesAsync(HttpContext ctx, string ckey)
        {
            var c = Find(ckey);
            if (c is null) { await Error(ctx, 404, "ContainerNotFound", "The specified container does not exist."); return; }
            var h = ctx.Response.Headers;
            h.ETag = c.ETag;
            h.LastModified = c.Created.ToString("R");
            h["x-ms-lease-status"] = "unlocked";
            h["x-ms-lease-state"] = "available";
            h["x-ms-has-immutability-policy"] = "false";
            h["x-ms-has-legal-hold"] = "false";
            h["x-ms-default-encryption-scope"] = "$account-encryption-key";
            h["x-ms-deny-encryption-scope-override"] = "false";
            lock (c) foreach (var (k, v) in c.Metadata) h["x-ms-meta-" + k] = v;
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentLength = 0;
        }

        private async Task SetContainerMetadataAsync(HttpContext ctx, string ckey)
        {
            var c = Find(ckey);
            if (c is null) { await Error(ctx, 404, "ContainerNotFound", "The specified container does not exist."); return; }
            lock (c) { c.Metadata.Clear(); foreach (var (k, v) in MetadataFrom(ctx.Request)) c.Metadata[k] = v; }
            ctx.Response.Headers.ETag = c.ETag;
            ctx.Response.Headers.LastModified = c.Created.ToString("R");
            ctx.Response.StatusCode = 200;
        }

        private async Task DeleteContainerAsync(HttpContext ctx, string ckey)
        {
            bool removed;
            lock (_gate) removed = _containers.Remove(ckey);
            if (!removed) { await Error(ctx, 404, "ContainerNotFound", "The specified container does not exist."); return; }
            ctx.Response.StatusCode = 202;
        }

        private async Task ListContainersAsync(HttpContext ctx, string account)
        {
            var prefix = ctx.Request.Query["prefix"].ToString();
            List<(string Name, ContainerState State)> list;
            lock (_gate)
                list = _containers.Where(kv => kv.Key.StartsWith(account + "/", StringComparison.Ordinal))
                    .Select(kv => (kv.Key[(account.Length + 1)..], kv.Value))
                    .Where(x => x.Item1.StartsWith(prefix, StringComparison.Ordinal))
                    .OrderBy(x => x.Item1, StringComparer.Ordinal).ToList();
            var sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            sb.Append("<EnumerationResults ServiceEndpoint=\"").Append(Esc(BaseUrl(ctx, account))).Append("\">");
            if (prefix.Length > 0) sb.Append("<Prefix>").Append(Esc(prefix)).Append("</Prefix>");
            sb.Append("<Containers>");
            foreach (var (name, s) in list)
                sb.Append("<Container><Name>").Append(Esc(name)).Append("</Name><Properties><Last-Modified>")
                  .Append(s.Created.ToString("R")).Append("</Last-Modified><Etag>").Append(s.ETag)
                  .Append("</Etag><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>")
                  .Append("<HasImmutabilityPolicy>false</HasImmutabilityPolicy><HasLegalHold>false</HasLegalHold></Properties></Container>");
            sb.Append("</Containers><NextMarker /></EnumerationResults>");
            await Xml(ctx, 200, sb.ToString());
        }

        // ---------------------------------------------------------------- blobs

        private async Task PutBlobAsync(HttpContext ctx, ContainerState c, string name)
        {
            var req = ctx.Request;
            var type = req.Headers["x-ms-blob-type"].ToString();
            if (type.Length > 0 && type != "BlockBlob") { await DrainAsync(req, false); await Error(ctx, 400, "UnsupportedHeader", "Only BlockBlob is supported."); return; }
            var expected = Base64Header(req, "Content-MD5");
            if (await ReceiveCheckedAsync(ctx) is not { } body) return;
            var size = StructuredContentLength(ctx, body.Size);
            var entry = NewEntry(req);
            entry.Size = size;
            // Azure stores x-ms-blob-content-md5 if given, else the MD5 of the body (here: the transactional one, when sent).
            entry.ContentMd5 = Base64Header(req, "x-ms-blob-content-md5") ?? expected;
            if (!Commit(ctx, c, name, entry, out var conflict)) { await Error(ctx, 409, "BlobAlreadyExists", conflict!); return; }
            WriteWriteHeaders(ctx, entry, body.Md5);
            if (body.Crc64 is not null) ctx.Response.Headers["x-ms-content-crc64"] = Convert.ToBase64String(body.Crc64);
            ctx.Response.StatusCode = 201;
        }

        private async Task PutBlockAsync(HttpContext ctx, ContainerState c, string name)
        {
            var req = ctx.Request;
            var id = req.Query["blockid"].ToString();
            if (id.Length == 0) { await DrainAsync(req, false); await Error(ctx, 400, "InvalidQueryParameterValue", "blockid is required."); return; }
            if (await ReceiveCheckedAsync(ctx) is not { } body) return;
            var size = StructuredContentLength(ctx, body.Size);
            lock (c)
            {
                if (!c.Staged.TryGetValue(name, out var staged)) c.Staged[name] = staged = new Dictionary<string, long>(StringComparer.Ordinal);
                staged[id] = size;
            }
            if (body.Md5 is not null) ctx.Response.Headers["Content-MD5"] = Convert.ToBase64String(body.Md5);
            if (body.Crc64 is not null) ctx.Response.Headers["x-ms-content-crc64"] = Convert.ToBase64String(body.Crc64);
            ctx.Response.Headers["x-ms-request-server-encrypted"] = "true";
            ctx.Response.StatusCode = 201;
        }

        private async Task PutBlockListAsync(HttpContext ctx, ContainerState c, string name)
        {
            var req = ctx.Request;
            var body = await ReadAllAsync(req);
            var expected = Base64Header(req, "Content-MD5");
            if (expected is not null && !MD5.HashData(body).AsSpan().SequenceEqual(expected))
            { await Error(ctx, 400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server."); return; }
            var wanted = new List<(string Kind, string Id)>();
            try
            {
                using var xr = XmlReader.Create(new MemoryStream(body), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = true });
                while (xr.Read())
                    if (xr.NodeType == XmlNodeType.Element && xr.Name is "Latest" or "Committed" or "Uncommitted")
                    {
                        var kind = xr.Name;
                        wanted.Add((kind, xr.ReadElementContentAsString()));
                        // ReadElementContentAsString moved to the next node already: re-check it.
                        while (xr.NodeType == XmlNodeType.Element && xr.Name is "Latest" or "Committed" or "Uncommitted")
                        {
                            kind = xr.Name;
                            wanted.Add((kind, xr.ReadElementContentAsString()));
                        }
                    }
            }
            catch (XmlException e) { await Error(ctx, 400, "InvalidXmlDocument", e.Message); return; }

            var entry = NewEntry(req);
            entry.ContentMd5 = Base64Header(req, "x-ms-blob-content-md5");
            entry.Blocks = new Dictionary<string, long>(StringComparer.Ordinal);
            string? missing = null, conflict = null;
            lock (c)
            {
                c.Staged.TryGetValue(name, out var staged);
                c.Blobs.TryGetValue(name, out var old);
                foreach (var (kind, id) in wanted)
                {
                    long size = -1;
                    bool found = kind switch
                    {
                        "Committed" => old?.Blocks?.TryGetValue(id, out size) == true,
                        "Uncommitted" => staged?.TryGetValue(id, out size) == true,
                        _ => staged?.TryGetValue(id, out size) == true || old?.Blocks?.TryGetValue(id, out size) == true,
                    };
                    if (!found) { missing = id; break; }
                    entry.Blocks[id] = size;
                    entry.Size += size;
                }
                if (missing is null && CommitLocked(req, c, name, entry, out conflict)) c.Staged.Remove(name);
            }
            if (missing is not null) { await Error(ctx, 400, "InvalidBlockList", $"The specified block list is invalid (block {missing} not found)."); return; }
            if (conflict is not null) { await Error(ctx, 409, "BlobAlreadyExists", conflict); return; }
            WriteWriteHeaders(ctx, entry, null);
            ctx.Response.StatusCode = 201;
        }

        private async Task BlobPropertiesAsync(HttpContext ctx, ContainerState c, string name)
        {
            BlobEntry? e;
            Dictionary<string, string> meta;
            lock (c)
            {
                e = c.Blobs.GetValueOrDefault(name);
                meta = e is null ? [] : new Dictionary<string, string>(e.Metadata);
            }
            if (e is null) { await Error(ctx, 404, "BlobNotFound", "The specified blob does not exist."); return; }
            var h = ctx.Response.Headers;
            h.ETag = e.ETag;
            h.LastModified = e.LastModified.ToString("R");
            h["x-ms-creation-time"] = e.Created.ToString("R");
            h["x-ms-blob-type"] = "BlockBlob";
            h["x-ms-lease-status"] = "unlocked";
            h["x-ms-lease-state"] = "available";
            h["x-ms-server-encrypted"] = "true";
            h["x-ms-access-tier"] = e.AccessTier ?? "Hot";
            if (e.AccessTier is null) h["x-ms-access-tier-inferred"] = "true";
            h["Accept-Ranges"] = "bytes";
            h.ContentType = e.ContentType ?? "application/octet-stream";
            if (e.ContentMd5 is not null) h["Content-MD5"] = Convert.ToBase64String(e.ContentMd5);
            if (e.ContentEncoding is not null) h["Content-Encoding"] = e.ContentEncoding;
            if (e.ContentLanguage is not null) h["Content-Language"] = e.ContentLanguage;
            if (e.ContentDisposition is not null) h["Content-Disposition"] = e.ContentDisposition;
            if (e.CacheControl is not null) h.CacheControl = e.CacheControl;
            foreach (var (k, v) in meta) h["x-ms-meta-" + k] = v;
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentLength = ctx.Request.Query["comp"] == "metadata" ? 0 : e.Size;
        }

        private async Task DeleteBlobAsync(HttpContext ctx, ContainerState c, string name)
        {
            bool removed;
            lock (c)
            {
                removed = c.Blobs.Remove(name);
                if (removed) c.Names.Remove(name);
                c.Staged.Remove(name);
            }
            if (!removed) { await Error(ctx, 404, "BlobNotFound", "The specified blob does not exist."); return; }
            ctx.Response.StatusCode = 202;
        }

        private async Task SetBlobAsync(HttpContext ctx, ContainerState c, string name, bool metadata)
        {
            var req = ctx.Request;
            await DrainAsync(req, false);
            BlobEntry? e;
            lock (c)
            {
                e = c.Blobs.GetValueOrDefault(name);
                if (e is not null)
                {
                    if (metadata) { e.Metadata.Clear(); foreach (var (k, v) in MetadataFrom(req)) e.Metadata[k] = v; }
                    else
                    {
                        // Set Blob Properties replaces every x-ms-blob-* property (absent ones are cleared).
                        e.ContentType = Header(req, "x-ms-blob-content-type");
                        e.ContentEncoding = Header(req, "x-ms-blob-content-encoding");
                        e.ContentLanguage = Header(req, "x-ms-blob-content-language");
                        e.ContentDisposition = Header(req, "x-ms-blob-content-disposition");
                        e.CacheControl = Header(req, "x-ms-blob-cache-control");
                        e.ContentMd5 = Base64Header(req, "x-ms-blob-content-md5");
                    }
                    e.ETag = NewETag();
                    e.LastModified = DateTimeOffset.UtcNow;
                }
            }
            if (e is null) { await Error(ctx, 404, "BlobNotFound", "The specified blob does not exist."); return; }
            ctx.Response.Headers.ETag = e.ETag;
            ctx.Response.Headers.LastModified = e.LastModified.ToString("R");
            ctx.Response.StatusCode = 200;
        }

        private async Task SetTierAsync(HttpContext ctx, ContainerState c, string name)
        {
            await DrainAsync(ctx.Request, false);
            BlobEntry? e;
            lock (c)
            {
                e = c.Blobs.GetValueOrDefault(name);
                if (e is not null) e.AccessTier = Header(ctx.Request, "x-ms-access-tier");
            }
            if (e is null) { await Error(ctx, 404, "BlobNotFound", "The specified blob does not exist."); return; }
            ctx.Response.StatusCode = 200;
        }

        private async Task BlockListAsync(HttpContext ctx, ContainerState c, string name)
        {
            var type = ctx.Request.Query["blocklisttype"].ToString().ToLowerInvariant();
            List<KeyValuePair<string, long>> committed, uncommitted;
            lock (c)
            {
                committed = c.Blobs.GetValueOrDefault(name)?.Blocks?.ToList() ?? [];
                uncommitted = c.Staged.GetValueOrDefault(name)?.ToList() ?? [];
            }
            var sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
            void Blocks(string tag, List<KeyValuePair<string, long>> list)
            {
                sb.Append('<').Append(tag).Append('>');
                foreach (var (id, size) in list) sb.Append("<Block><Name>").Append(Esc(id)).Append("</Name><Size>").Append(size).Append("</Size></Block>");
                sb.Append("</").Append(tag).Append('>');
            }
            if (type is "" or "committed" or "all") Blocks("CommittedBlocks", committed);
            if (type is "uncommitted" or "all") Blocks("UncommittedBlocks", uncommitted);
            sb.Append("</BlockList>");
            await Xml(ctx, 200, sb.ToString());
        }

        private async Task ListBlobsAsync(HttpContext ctx, string ckey, string account, string container)
        {
            var c = Find(ckey);
            if (c is null) { await Error(ctx, 404, "ContainerNotFound", "The specified container does not exist."); return; }
            var q = ctx.Request.Query;
            var prefix = q["prefix"].ToString();
            var marker = q["marker"].ToString();
            var delimiter = q["delimiter"].ToString();
            var max = int.TryParse(q["maxresults"], out var m) && m > 0 ? Math.Min(m, 5000) : 5000;
            var include = q["include"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            bool withMeta = include.Contains("metadata", StringComparer.OrdinalIgnoreCase);

            var items = new List<(string Name, BlobEntry? Entry, Dictionary<string, string>? Meta)>(Math.Min(max, 1024));
            string? next = null;
            lock (c)
            {
                var start = string.CompareOrdinal(marker, prefix) > 0 ? marker : prefix;
                if (c.Names.Count > 0 && string.CompareOrdinal(start, c.Names.Max) <= 0)
                {
                    string? lastPrefix = null;
                    foreach (var name in c.Names.GetViewBetween(start, c.Names.Max!))
                    {
                        if (!name.StartsWith(prefix, StringComparison.Ordinal)) break;
                        if (lastPrefix is not null && name.StartsWith(lastPrefix, StringComparison.Ordinal)) continue;
                        if (items.Count == max) { next = name; break; }
                        int cut = delimiter.Length > 0 ? name.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal) : -1;
                        if (cut >= 0)
                        {
                            lastPrefix = name[..(cut + delimiter.Length)];
                            items.Add((lastPrefix, null, null));
                        }
                        else
                        {
                            var e = c.Blobs[name];
                            items.Add((name, e, withMeta && e.Metadata.Count > 0 ? new Dictionary<string, string>(e.Metadata) : null));
                        }
                    }
                }
            }

            var ms = new MemoryStream(64 + items.Count * (withMeta ? 1200 : 600));
            using (var w = XmlWriter.Create(ms, new XmlWriterSettings { Encoding = new UTF8Encoding(false) }))
            {
                w.WriteStartDocument();
                w.WriteStartElement("EnumerationResults");
                w.WriteAttributeString("ServiceEndpoint", BaseUrl(ctx, account));
                w.WriteAttributeString("ContainerName", container);
                if (prefix.Length > 0) w.WriteElementString("Prefix", prefix);
                if (marker.Length > 0) w.WriteElementString("Marker", marker);
                if (q.ContainsKey("maxresults")) w.WriteElementString("MaxResults", max.ToString());
                if (delimiter.Length > 0) w.WriteElementString("Delimiter", delimiter);
                w.WriteStartElement("Blobs");
                foreach (var (name, e, meta) in items)
                {
                    if (e is null)
                    {
                        w.WriteStartElement("BlobPrefix");
                        w.WriteElementString("Name", name);
                        w.WriteEndElement();
                        continue;
                    }
                    w.WriteStartElement("Blob");
                    w.WriteElementString("Name", name);
                    w.WriteStartElement("Properties");
                    w.WriteElementString("Creation-Time", e.Created.ToString("R"));
                    w.WriteElementString("Last-Modified", e.LastModified.ToString("R"));
                    w.WriteElementString("Etag", e.ETag.Trim('"'));
                    w.WriteElementString("Content-Length", e.Size.ToString());
                    w.WriteElementString("Content-Type", e.ContentType ?? "application/octet-stream");
                    w.WriteElementString("Content-Encoding", e.ContentEncoding ?? "");
                    w.WriteElementString("Content-Language", e.ContentLanguage ?? "");
                    w.WriteElementString("Content-CRC64", "");
                    w.WriteElementString("Content-MD5", e.ContentMd5 is null ? "" : Convert.ToBase64String(e.ContentMd5));
                    w.WriteElementString("Cache-Control", e.CacheControl ?? "");
                    w.WriteElementString("Content-Disposition", e.ContentDisposition ?? "");
                    w.WriteElementString("BlobType", "BlockBlob");
                    w.WriteElementString("AccessTier", e.AccessTier ?? "Hot");
                    w.WriteElementString("AccessTierInferred", e.AccessTier is null ? "true" : "false");
                    w.WriteElementString("LeaseStatus", "unlocked");
                    w.WriteElementString("LeaseState", "available");
                    w.WriteElementString("ServerEncrypted", "true");
                    w.WriteEndElement();
                    if (withMeta)
                    {
                        w.WriteStartElement("Metadata");
                        if (meta is not null) foreach (var (k, v) in meta) w.WriteElementString(k, v);
                        w.WriteEndElement();
                    }
                    w.WriteEndElement();
                }
                w.WriteEndElement();
                w.WriteElementString("NextMarker", next ?? "");
                w.WriteEndElement();
                w.WriteEndDocument();
            }
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/xml";
            ctx.Response.ContentLength = ms.Length;
            await ctx.Response.Body.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length));
        }

        // ---------------------------------------------------------------- helpers

        private BlobEntry NewEntry(HttpRequest req)
        {
            var now = DateTimeOffset.UtcNow;
            var e = new BlobEntry
            {
                ContentType = Header(req, "x-ms-blob-content-type"),
                ContentEncoding = Header(req, "x-ms-blob-content-encoding"),
                ContentLanguage = Header(req, "x-ms-blob-content-language"),
                ContentDisposition = Header(req, "x-ms-blob-content-disposition"),
                CacheControl = Header(req, "x-ms-blob-cache-control"),
                AccessTier = Header(req, "x-ms-access-tier"),
                ETag = NewETag(),
                Created = now,
                LastModified = now,
            };
            foreach (var (k, v) in MetadataFrom(req)) e.Metadata[k] = v;
            return e;
        }

        private static bool Commit(HttpContext ctx, ContainerState c, string name, BlobEntry entry, out string? conflict)
        {
            lock (c) return CommitLocked(ctx.Request, c, name, entry, out conflict);
        }

        /// <summary>Stores the blob (honouring If-None-Match: *); the caller holds the container lock.</summary>
        private static bool CommitLocked(HttpRequest req, ContainerState c, string name, BlobEntry entry, out string? conflict)
        {
            conflict = null;
            if (c.Blobs.TryGetValue(name, out var old))
            {
                if (req.Headers.IfNoneMatch == "*") { conflict = "The specified blob already exists."; return false; }
                entry.Created = old.Created;
            }
            c.Blobs[name] = entry;
            c.Names.Add(name);
            return true;
        }

        private static void WriteWriteHeaders(HttpContext ctx, BlobEntry e, byte[]? transactionalMd5)
        {
            var h = ctx.Response.Headers;
            h.ETag = e.ETag;
            h.LastModified = e.LastModified.ToString("R");
            h["x-ms-request-server-encrypted"] = "true";
            if (transactionalMd5 is not null) h["Content-MD5"] = Convert.ToBase64String(transactionalMd5);
            else if (e.ContentMd5 is not null) h["Content-MD5"] = Convert.ToBase64String(e.ContentMd5);
        }

        /// <summary>
        /// A body sent as a structured message (the SDK's transactional CRC64:
        /// x-ms-structured-body: XSM/1.0; properties=crc64) carries the data plus segment headers and
        /// CRCs: the data length is x-ms-structured-content-length, and the service must acknowledge
        /// the format by echoing x-ms-structured-body (the CRCs are checked by ReceiveCheckedAsync).
        /// </summary>
        private static long StructuredContentLength(HttpContext ctx, long received)
        {
            var req = ctx.Request;
            if (Header(req, "x-ms-structured-body") is not { } format) return received;
            ctx.Response.Headers["x-ms-structured-body"] = format;
            return long.TryParse(Header(req, "x-ms-structured-content-length"), out var n) ? n : received;
        }

        /// <summary>
        /// Reads a Put Blob / Put Block body and checks it as Azure does: a transactional Content-MD5
        /// or x-ms-content-crc64 that differs from the bytes received is 400 Md5Mismatch /
        /// Crc64Mismatch, and both at once is 400 (Azure takes one or the other); a structured-message
        /// body (the SDK's CRC64 framing, <see cref="StructuredMessage"/>) must carry matching CRCs.
        /// Null when refused (the error is sent; the caller stores nothing). Checked only when
        /// verification is on. Size: the content's length (a structured message's data only).
        /// </summary>
        private async Task<(long Size, byte[]? Md5, byte[]? Crc64)?> ReceiveCheckedAsync(HttpContext ctx)
        {
            var req = ctx.Request;
            var md5 = Base64Header(req, "Content-MD5");
            var crc64 = Base64Header(req, "x-ms-content-crc64");
            if (md5 is not null && crc64 is not null)
            {
                await DrainAsync(req, false);
                await Error(ctx, 400, "InvalidHeaderValue", "Content-MD5 and x-ms-content-crc64 cannot both be specified.");
                return null;
            }
            var structured = verify && Header(req, "x-ms-structured-body") is not null ? new StructuredMessage() : null;
            var (size, actualMd5, actualCrc64) = await DrainAsync(req, verify && md5 is not null, verify && crc64 is not null, structured);
            if (actualMd5 is not null && !actualMd5.AsSpan().SequenceEqual(md5))
            {
                Interlocked.Increment(ref _md5Mismatches);
                await Error(ctx, 400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server.");
                return null;
            }
            if ((actualCrc64 is not null && !actualCrc64.AsSpan().SequenceEqual(crc64)) || structured is { IsCrcMismatch: true })
            {
                Interlocked.Increment(ref _crc64Mismatches);
                await Error(ctx, 400, "Crc64Mismatch", "The CRC64 value specified in the request did not match with the CRC64 value calculated by the server.");
                return null;
            }
            if (structured?.Problem is { } malformed)
            {
                await Error(ctx, 400, "InvalidInput", "The structured message body is not valid: " + malformed + ".");
                return null;
            }
            return (size, actualMd5, actualCrc64);
        }

        /// <summary>
        /// Azure's CRC64 is CRC-64/NVME; x-ms-content-crc64 carries its 8 bytes least significant
        /// first (what Azure.Storage's StorageCrc64HashAlgorithm returns; BlackholeTests pins it).
        /// </summary>
        internal static byte[] AzureCrc64Bytes(ulong crc)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, crc);
            return bytes;
        }

        /// <summary>Reads and discards the body, hashing it when asked; returns its length.</summary>
        private async Task<(long Size, byte[]? Md5, byte[]? Crc64)> DrainAsync(HttpRequest req, bool md5, bool crc64 = false, StructuredMessage? structured = null)
        {
            using var md5Hash = md5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
            var crcHash = crc64 ? new Crc64(Crc64ParameterSet.Nvme) : null;
            var reader = req.BodyReader;
            long n = 0;
            while (true)
            {
                var r = await reader.ReadAsync();
                var buffer = r.Buffer;
                foreach (var seg in buffer)
                {
                    md5Hash?.AppendData(seg.Span);
                    crcHash?.Append(seg.Span);
                    structured?.Append(seg.Span);
                }
                n += buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (r.IsCompleted) break;
            }
            Interlocked.Add(ref _bytesIn, n);
            if (md5Hash is not null) Interlocked.Add(ref _md5Bytes, n);
            if (crcHash is not null || structured is not null) Interlocked.Add(ref _crc64Bytes, n);
            structured?.Finish();
            return (n, md5Hash?.GetHashAndReset(), crcHash is null ? null : AzureCrc64Bytes(crcHash.GetCurrentHashAsUInt64()));
        }

        private static async Task<byte[]> ReadAllAsync(HttpRequest req)
        {
            var ms = new MemoryStream();
            await req.Body.CopyToAsync(ms);
            return ms.ToArray();
        }

        private static IEnumerable<KeyValuePair<string, string>> MetadataFrom(HttpRequest req)
        {
            foreach (var (k, v) in req.Headers)
                if (k.StartsWith("x-ms-meta-", StringComparison.OrdinalIgnoreCase))
                    yield return new(k["x-ms-meta-".Length..], v.ToString());
        }

        private static string? Header(HttpRequest req, string name)
            => req.Headers.TryGetValue(name, out var v) && v.ToString().Length > 0 ? v.ToString() : null;

        private static byte[]? Base64Header(HttpRequest req, string name)
        {
            var v = Header(req, name);
            if (v is null) return null;
            try { return Convert.FromBase64String(v); } catch (FormatException) { return null; }
        }

        private static string BaseUrl(HttpContext ctx, string account) => $"{ctx.Request.Scheme}://{ctx.Request.Host}/{account}/";

        private static string Esc(string s) => System.Security.SecurityElement.Escape(s);

        private static async Task Xml(HttpContext ctx, int status, string xml)
        {
            ctx.Response.StatusCode = status;
            if (ctx.Request.Method == "HEAD")
            {
                // Like Azure: a HEAD error carries its code in x-ms-error-code only, no XML body.
                ctx.Response.ContentLength = 0;
                return;
            }
            var bytes = Encoding.UTF8.GetBytes(xml);
            ctx.Response.ContentType = "application/xml";
            ctx.Response.ContentLength = bytes.Length;
            await ctx.Response.Body.WriteAsync(bytes);
        }

        private static async Task Error(HttpContext ctx, int status, string code, string message)
        {
            ctx.Response.Headers["x-ms-error-code"] = code;
            await Xml(ctx, status, $"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{Esc(message)}\nRequestId:{ctx.Response.Headers["x-ms-request-id"]}\nTime:{DateTime.UtcNow:O}</Message></Error>");
        }

        private async Task Unsupported(HttpContext ctx, string what)
        {
            Count("Unsupported");
            Console.Error.WriteLine($"blackhole: unsupported operation: {what} ({ctx.Request.Method} {ctx.Request.Path}{ctx.Request.QueryString})");
            await DrainAsync(ctx.Request, false);
            await Error(ctx, 501, "NotImplemented", $"The blackhole benchmark endpoint does not implement {what}.");
        }

        private async Task AdminAsync(HttpContext ctx, string path)
        {
            switch (path)
            {
                case "/_blackhole/stats":
                    Dictionary<string, long> ops;
                    lock (_ops) ops = new Dictionary<string, long>(_ops);
                    int containers; long blobs = 0, bytes = 0;
                    // ?container=ACCOUNT/NAME: count only that container
                    var only = ctx.Request.Query["container"].ToString();
                    lock (_gate)
                    {
                        containers = _containers.Count;
                        foreach (var (name, c) in _containers)
                        {
                            if (only.Length > 0 && name != only) continue;
                            lock (c) { blobs += c.Blobs.Count; foreach (var e in c.Blobs.Values) bytes += e.Size; }
                        }
                    }
                    var json = JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["operations"] = ops, ["bytesReceived"] = Interlocked.Read(ref _bytesIn), ["md5VerifiedBytes"] = Interlocked.Read(ref _md5Bytes),
                        ["md5Mismatches"] = Interlocked.Read(ref _md5Mismatches),
                        ["crc64VerifiedBytes"] = Interlocked.Read(ref _crc64Bytes), ["crc64Mismatches"] = Interlocked.Read(ref _crc64Mismatches), ["containers"] = containers, ["blobs"] = blobs, ["committedBytes"] = bytes,
                    });
                    ctx.Response.ContentType = "application/json";
                    await ctx.Response.WriteAsync(json);
                    return;
                case "/_blackhole/reset" when ctx.Request.Method == "POST":
                    lock (_gate) _containers.Clear();
                    lock (_ops) _ops.Clear();
                    Interlocked.Exchange(ref _bytesIn, 0);
                    Interlocked.Exchange(ref _md5Bytes, 0);
                    Interlocked.Exchange(ref _md5Mismatches, 0);
                    Interlocked.Exchange(ref _crc64Bytes, 0);
                    Interlocked.Exchange(ref _crc64Mismatches, 0);
                    ctx.Response.StatusCode = 204;
                    return;
            }
            ctx.Response.StatusCode = 404;
        }
    }
}
