using Skybridge;
using Skybridge.Broker;
using Skybridge.Diagnostics;

// The broker's container entry point. A configuration that cannot work stops it at once with
// what to fix (exit 2), instead of a process that refuses (or accepts) every caller.
try
{
    var app = BrokerApp.Create(args);
    await app.RunAsync();
    return ExitCodes.Ok;
}
catch (SkybridgeException e)
{
    Console.Error.WriteLine("error: " + SecretRedactor.Redact(e.Message));
    if (e.Fix is not null) Console.Error.WriteLine("fix: " + e.Fix);
    return ExitCodes.For(e.Kind);
}
