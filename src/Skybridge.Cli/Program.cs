using System.CommandLine;
using Skybridge.Cli;
using Skybridge.Cli.Commands;

var root = new RootCommand("Skybridge: keyless data movement from AWS S3 to Azure Storage (Entra ID -> AWS STS federation).");
foreach (var option in CommonOptions.All) root.Options.Add(option);

// Each command group lives in its own file under Commands/.
root.Subcommands.Add(AuthCommands.Create());
root.Subcommands.Add(SetupCommands.Create());
root.Subcommands.Add(DoctorCommand.Create());
foreach (var command in TransferCommands.Create()) root.Subcommands.Add(command);

return await root.Parse(args).InvokeAsync();
