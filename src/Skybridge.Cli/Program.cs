using System.CommandLine;
using System.CommandLine.Help;
using Skybridge;
using Skybridge.Cli;
using Skybridge.Cli.Commands;

var help = new HelpOption();
// A named Command rather than RootCommand: RootCommand takes its name from the assembly
// (Skybridge.Cli), but users type "skybridge" and help should say so.
var root = new Command("skybridge", "Skybridge: keyless data movement from AWS S3 to Azure Storage (Entra ID -> AWS STS federation).")
{
    help,
    new VersionOption(),
};
foreach (var option in CommonOptions.All) root.Options.Add(option);

// Each command group lives in its own file under Commands/.
root.Subcommands.Add(AuthCommands.Create());
root.Subcommands.Add(SetupCommands.Create());
root.Subcommands.Add(DoctorCommand.Create());
foreach (var command in TransferCommands.Create()) root.Subcommands.Add(command);
root.Subcommands.Add(JobCommands.Create());
root.Subcommands.Add(MigrateCommands.Create());

// Ctrl-C cancels the command's token; give it time to stop cleanly (blocks in flight, the job
// journal's last writes) before the process is ended anyway (default: 2 s).
var parse = root.Parse(args);
if (parse.Errors.Count > 0 && parse.GetResult(help) is null)
{
    // System.CommandLine answers 1 for a bad command line; Skybridge documents 2 for usage errors.
    foreach (var error in parse.Errors) Console.Error.WriteLine("error: " + error.Message);
    Console.Error.WriteLine($"fix: see '{CommandPath(parse.CommandResult)} --help'.");
    return ExitCodes.Usage;
}
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) });

static string CommandPath(System.CommandLine.Parsing.CommandResult? result)
    => result is null ? "" : (CommandPath(result.Parent as System.CommandLine.Parsing.CommandResult) + " " + result.Command.Name).Trim();
