using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Broker;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Broker;

/// <summary>
/// The real broker (Kestrel, JwtBearer, rate limiter) in this process on 127.0.0.1 and a free port,
/// validating against the sandbox's Entra stand-in and exchanging at RGW's STS. Every log line
/// (Trace level, through the broker's redacting provider) is kept for the secret sweep.
/// </summary>
public sealed class BrokerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly StringWriter _log;

    private BrokerHost(WebApplication app, StringWriter log, Uri baseAddress)
    {
        _app = app;
        _log = log;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }
    public Uri CredentialsUri => new(BaseAddress, BrokerApp.CredentialsPath);
    public string Log => _log.ToString();

    /// <summary>Options for the sandbox: its tenant, its http issuer (hence AllowHttpMetadata), RGW's STS.</summary>
    public static BrokerOptions SandboxOptions(SandboxFixture sandbox, params CallerGrant[] callers) => new()
    {
        TenantId = sandbox.TenantId,
        Issuer = sandbox.Issuer,
        Audience = sandbox.Audience,
        AllowHttpMetadata = true, // the sandbox issuer is http://127.0.0.1:17090/<tenant>/
        Region = "us-east-1",
        StsEndpoint = sandbox.StsEndpoint,
        DefaultDurationSeconds = 900,
        Callers = [.. callers],
    };

    public static CallerGrant Grant(string objectId, params string[] roleArns) => new() { ObjectId = objectId, RoleArns = [.. roleArns] };

    public static async Task<BrokerHost> StartAsync(BrokerOptions options)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["Logging:LogLevel:Default"] = "Trace";
        builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        var log = new SynchronizedStringWriter();
        var app = BrokerApp.Create(builder, BrokerSettings.From(options), log);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new BrokerHost(app, log, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// A StringWriter whose reads and writes take the same lock (Kestrel logs from many threads). The
    /// logger writes each line as a StringBuilder, which bypasses WriteLine(string): both are locked.
    /// </summary>
    private sealed class SynchronizedStringWriter : StringWriter
    {
        public override void WriteLine(string? value) { lock (this) base.WriteLine(value); }
        public override void WriteLine(System.Text.StringBuilder? value) { lock (this) base.WriteLine(value); }
        public override string ToString() { lock (this) return base.ToString(); }
    }
}
