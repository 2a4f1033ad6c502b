using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skybridge;
using Skybridge.Broker;
using Skybridge.Diagnostics;

// Same configuration as the container host: section "Broker" (app settings Broker__TenantId, ...).
try
{
    var builder = FunctionsApplication.CreateBuilder(args);
    builder.ConfigureFunctionsWebApplication();
    var options = builder.Configuration.GetSection(BrokerOptions.Section).Get<BrokerOptions>() ?? new BrokerOptions();
    var settings = BrokerSettings.From(options);
    builder.Services.AddBroker(settings);
    builder.Services.AddSingleton<BrokerRequestPipeline>();
    builder.Logging.ClearProviders().AddProvider(new RedactingLoggerProvider(Console.Out));
    builder.Build().Run();
    return ExitCodes.Ok;
}
catch (SkybridgeException e)
{
    Console.Error.WriteLine("error: " + SecretRedactor.Redact(e.Message));
    if (e.Fix is not null) Console.Error.WriteLine("fix: " + e.Fix);
    return ExitCodes.For(e.Kind);
}
