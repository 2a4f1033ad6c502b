using System.CommandLine;
using System.Text.Json;
using Skybridge.Cli;
using Skybridge.Cli.Commands;
using Skybridge.Setup.Doctor;

namespace Skybridge.Tests.Doctor;

public class DoctorRendererAndCommandTests
{
    private static readonly DoctorReport Sample = new([
        new("azure-credential", "Azure credential available", DoctorStatus.Passed, "managed-identity: issued a token.", null, TimeSpan.FromMilliseconds(12)),
        new("sts", "AWS STS AssumeRoleWithWebIdentity", DoctorStatus.Failed, "STS refused", "Check the trust policy", TimeSpan.Zero),
        new("s3-list", "S3 list source", DoctorStatus.Skipped, "needs 'AWS STS AssumeRoleWithWebIdentity', which failed", null, TimeSpan.Zero),
    ]);

    [Fact]
    public void Json_has_checks_with_name_status_detail_fix_and_passed()
    {
        using var doc = JsonDocument.Parse(DoctorRenderer.Json(Sample));
        var root = doc.RootElement;
        Assert.False(root.GetProperty("passed").GetBoolean());
        var checks = root.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(["passed", "failed", "skipped"], checks.Select(c => c.GetProperty("status").GetString()));
        Assert.Equal("sts", checks[1].GetProperty("name").GetString());
        Assert.Equal("Check the trust policy", checks[1].GetProperty("fix").GetString());
        Assert.Equal(JsonValueKind.Null, checks[0].GetProperty("fix").ValueKind);
        Assert.Equal("managed-identity: issued a token.", checks[0].GetProperty("detail").GetString());
    }

    [Fact]
    public void Text_is_one_line_per_check_with_the_fix_under_a_failure()
    {
        var lines = DoctorRenderer.Text(Sample).TrimEnd().Split('\n');
        Assert.StartsWith("[pass]  1. Azure credential available: ", lines[0]);
        Assert.StartsWith("[FAIL]  2. AWS STS", lines[1]);
        Assert.Equal("           fix: Check the trust policy", lines[2]);
        Assert.StartsWith("[skip]  3. S3 list source: needs", lines[3]);
        Assert.Contains("1 failed, 1 skipped", lines[4]);
    }

    [Fact]
    public void Positional_locations_are_sorted_by_scheme_and_settings_fill_the_gaps()
    {
        var (s, d) = DoctorCommand.Locations(["https://acct.blob.core.windows.net/cont/p", "s3://bucket/x"], null, null);
        Assert.Equal(("bucket", "x/", "cont", "p/"), (s!.Bucket, s.Prefix, d!.Container, d.Prefix));
        var (s2, d2) = DoctorCommand.Locations(["s3://bucket"], "s3://ignored", "https://acct.blob.core.windows.net/fromsettings");
        Assert.Equal(("bucket", "fromsettings"), (s2!.Bucket, d2!.Container));
        Assert.Equal((null, null), DoctorCommand.Locations([], null, null));
    }

    private static Task<int> Run(params string[] args)
    {
        var root = new RootCommand();
        foreach (var o in CommonOptions.All) root.Options.Add(o);
        root.Subcommands.Add(DoctorCommand.Create());
        return root.Parse(args).InvokeAsync();
    }

    [Theory]
    [InlineData("doctor", "--audience", "api://a", "--role-arn", "arn:aws:iam::123456789012:role/r", "ftp://nope")]
    [InlineData("doctor", "--audience", "api://a", "--role-arn", "arn:aws:iam::123456789012:role/r", "s3://a-bucket", "s3://b-bucket")]
    [InlineData("doctor", "--audience", "api://a", "--role-arn", "arn:aws:iam::123456789012:role/r", "s3://Bad_Bucket")]
    [InlineData("doctor", "--audience", "api://a", "--role-arn", "not-an-arn")]
    public async Task Bad_command_lines_exit_with_2_before_any_check(params string[] args)
        => Assert.Equal(ExitCodes.Usage, await Run(args));

    [Fact]
    public void The_description_documents_the_exit_codes()
    {
        Assert.Contains("0 every check that ran passed", DoctorCommand.Description);
        Assert.Contains("1 at least one check failed", DoctorCommand.Description);
        Assert.Contains("doctor does not use 3", DoctorCommand.Description);
    }
}
