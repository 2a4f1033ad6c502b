using System.CommandLine;
using Skybridge.Cli;
using Skybridge.Cli.Commands;

namespace Skybridge.Tests.Setup;

/// <summary>The command line maps validation failures to exit code 2 through the shared runner.</summary>
public class SetupCommandTests
{
    private static Task<int> Run(params string[] args)
    {
        var root = new RootCommand();
        foreach (var o in CommonOptions.All) root.Options.Add(o);
        root.Subcommands.Add(SetupCommands.Create());
        return root.Parse(args).InvokeAsync();
    }

    private const string Tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    [Theory]
    [InlineData("setup", "aws", "--tenant-id", Tid, "--audience", "api://a", "--role-name", "r", "--bucket", "Bad_Bucket", "--subject", "s", "--format", "json")]
    [InlineData("setup", "aws", "--tenant-id", Tid, "--audience", "api://a", "--role-name", "r", "--bucket", "b0b", "--format", "json")]
    [InlineData("setup", "aws", "--tenant-id", Tid, "--audience", "api://a", "--role-name", "r", "--bucket", "b0b", "--subject", "s", "--max-session", "12h", "--format", "json")]
    [InlineData("setup", "aws", "--tenant-id", Tid, "--audience", "api://a", "--role-name", "r", "--bucket", "b0b", "--subject", "s", "--read-only", "--read-write", "--format", "json")]
    [InlineData("setup", "aws", "--tenant-id", Tid, "--audience", "api://a", "--role-name", "r", "--bucket", "b0b", "--subject", "s")]
    [InlineData("setup", "aws", "--tenant-id", Tid, "--audience", "api://a", "--role-name", "r", "--bucket", "b0b", "--subject", "s", "--format", "yaml")]
    [InlineData("setup", "azure", "--app-name", "x", "--identifier-uri", "not-a-uri")]
    public async Task Invalid_command_lines_exit_with_2(params string[] args)
        => Assert.Equal(ExitCodes.Usage, await Run(args));
}
