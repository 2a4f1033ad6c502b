using Skybridge.Setup.Doctor;

namespace Skybridge.Tests.Doctor;

public class DoctorRunnerTests
{
    private sealed class Stub(string name, Func<CheckOutcome> run, params string[] deps) : DoctorCheck(name, "Title " + name, deps)
    {
        public int Runs;
        public override Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
        {
            Runs++;
            return Task.FromResult(run());
        }
    }

    private sealed class Slow() : DoctorCheck("slow", "Slow")
    {
        public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken ct)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return CheckOutcome.Pass("never");
        }
    }

    [Fact]
    public async Task A_failed_link_skips_what_depends_on_it_directly_and_transitively_but_not_independent_checks()
    {
        var a = new Stub("a", () => CheckOutcome.Fail("a broke", "fix a"));
        var b = new Stub("b", () => CheckOutcome.Pass("b ok"), "a");
        var c = new Stub("c", () => CheckOutcome.Pass("c ok"), "b");
        var d = new Stub("d", () => CheckOutcome.Pass("d ok"));
        var report = await DoctorRunner.RunAsync([a, b, c, d], DoctorSetup.Context());

        Assert.Equal([DoctorStatus.Failed, DoctorStatus.Skipped, DoctorStatus.Skipped, DoctorStatus.Passed], report.Checks.Select(r => r.Status));
        Assert.Equal(0, b.Runs);
        Assert.Equal(0, c.Runs);
        Assert.Equal(1, d.Runs);
        Assert.Equal("needs 'Title a', which failed", report["b"]!.Detail);
        Assert.Equal("needs 'Title b', which was skipped", report["c"]!.Detail);
        Assert.Equal("fix a", report["a"]!.Fix);
        Assert.False(report.Passed);
        Assert.Equal(ExitCodes.SomeFailed, report.ExitCode);
    }

    [Fact]
    public async Task Warnings_and_skips_do_not_fail_the_report_and_a_warning_does_not_block_dependents()
    {
        var a = new Stub("a", () => CheckOutcome.Warn("clock skew", "sync"));
        var b = new Stub("b", () => CheckOutcome.Pass("ok"), "a");
        var c = new Stub("c", () => CheckOutcome.Skip("not applicable"));
        var report = await DoctorRunner.RunAsync([a, b, c], DoctorSetup.Context());
        Assert.Equal(1, b.Runs);
        Assert.True(report.Passed);
        Assert.Equal(ExitCodes.Ok, report.ExitCode);
    }

    [Fact]
    public async Task A_throwing_check_fails_with_its_message_and_the_run_goes_on()
    {
        var a = new Stub("a", () => throw new SkybridgeException(ErrorKind.Auth, "refused", "do this"));
        var b = new Stub("b", () => throw new InvalidOperationException("boom\nstack"));
        var c = new Stub("c", () => CheckOutcome.Pass("ok"));
        var report = await DoctorRunner.RunAsync([a, b, c], DoctorSetup.Context());
        Assert.Equal(("refused", "do this"), (report["a"]!.Detail, report["a"]!.Fix));
        Assert.Equal("InvalidOperationException: boom", report["b"]!.Detail);
        Assert.Equal(DoctorStatus.Passed, report["c"]!.Status);
    }

    [Fact]
    public async Task A_check_that_overruns_its_time_limit_fails()
    {
        var report = await DoctorRunner.RunAsync([new Slow()], DoctorSetup.Context(), checkTimeout: TimeSpan.FromMilliseconds(100));
        Assert.Equal(DoctorStatus.Failed, report["slow"]!.Status);
        Assert.Contains("no answer within", report["slow"]!.Detail);
    }

    [Fact]
    public async Task Details_are_redacted_before_they_are_stored()
    {
        var jwt = Skybridge.Tests.TestSupport.FakeJwt.Create();
        var report = await DoctorRunner.RunAsync([new Stub("a", () => CheckOutcome.Fail("token " + jwt, "url ?X-Amz-Signature=abcdef123"))], DoctorSetup.Context());
        Assert.DoesNotContain(jwt, report["a"]!.Detail);
        Assert.DoesNotContain("abcdef123", report["a"]!.Fix);
    }

    [Fact]
    public async Task A_dependency_on_a_check_that_has_not_run_is_a_programming_error()
        => await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DoctorRunner.RunAsync([new Stub("b", () => CheckOutcome.Pass("ok"), "a")], DoctorSetup.Context()));

    [Fact]
    public void The_default_checklist_runs_in_chain_order_and_every_dependency_comes_first()
    {
        var checks = DoctorChecks.All();
        Assert.Equal(["azure-credential", "entra-token", "issuer", "sts", "s3-list", "s3-read", "storage-token", "container", "container-write", "presign", "credential-cache"],
            checks.Select(c => c.Name));
        for (var i = 0; i < checks.Count; i++)
            foreach (var dep in checks[i].DependsOn)
                Assert.Contains(dep, checks.Take(i).Select(c => c.Name));
    }
}
