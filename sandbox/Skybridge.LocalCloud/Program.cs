// TEST STAND-IN for Microsoft Entra ID — part of the local sandbox only, never shipped with Skybridge.
// It issues Entra-shaped tokens for a fixed fake tenant so that the real relying parties (Ceph RGW's
// STS, Azurite) and the real clients (Azure.Identity) can be exercised without a cloud.
//
//   dotnet Skybridge.LocalCloud.dll --state-dir DIR --identity-header SECRET
//          [--https-cert server.pem --https-key server.key] [--http-port 17090] [--https-port 17091]
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Skybridge.LocalCloud;

// `copy-shim ...`: the copy-from-URL shim in front of Azurite instead (CopyFromUrlShim/, also a TEST STAND-IN).
if (args.Length > 0 && args[0] == "copy-shim") return await Skybridge.LocalCloud.CopyFromUrlShim.ShimHost.RunAsync(args[1..]);

StandInOptions options;
try { options = StandInOptions.Parse(args); }
catch (ArgumentException e) { Console.Error.WriteLine($"Skybridge.LocalCloud: {e.Message}"); return 2; }

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; });
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k =>
{
    var ip = IPAddress.Parse(options.Host);
    k.Listen(ip, options.HttpPort);
    if (options.HttpsCertPem is not null)
    {
        var cert = X509Certificate2.CreateFromPemFile(options.HttpsCertPem, options.HttpsKeyPem);
        k.Listen(ip, options.HttpsPort, l => l.UseHttps(cert));
    }
});

var keys = new SigningKeys(options.StateDir);
var state = new StandInState();
var tokens = new TokenFactory(options, keys, state);

var app = builder.Build();
var log = app.Logger;
app.Use(async (ctx, next) =>
{
    var rawPath = ctx.Request.Path; // before the slash collapsing below
    await next(ctx);
    // Never logs tokens or headers: method, scheme, path + query (no secrets there), status.
    log.LogInformation("{Method} {Scheme} {Path} -> {Status}{Metadata}", ctx.Request.Method, ctx.Request.Scheme,
        rawPath + ctx.Request.QueryString, ctx.Response.StatusCode,
        ctx.Request.Headers.ContainsKey("Metadata") ? " (Metadata header)" : "");
});
app.UseCollapsedSlashes();
app.UseRouting(); // after the path rewrite, so routes see the collapsed path

app.MapGet("/healthz", () => Results.Text("ok", "text/plain"));
OidcEndpoints.Map(app, options, keys);
ManagedIdentityEndpoints.Map(app, options, tokens, state);
ManagedIdentityEndpoints.MapInstanceMetadata(app);
WorkloadIdentityEndpoints.Map(app, tokens, state);
AdminEndpoints.Map(app, options, keys, tokens, state);

log.LogInformation("Entra ID stand-in (TEST ONLY) tenant {Tenant}, issuer {Issuer}, kid {Kid}",
    StandInOptions.TenantId, options.FederationIssuerV1, keys.Primary.Kid);
await app.RunAsync();
return 0;
