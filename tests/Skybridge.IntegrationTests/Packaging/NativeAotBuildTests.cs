using Azure.Storage.Blobs;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Packaging;

/// <summary>
/// What only the Native AOT build (<c>SKYBRIDGE_BUILD=aot</c>) does differently, run only in the
/// pass that tests that executable (<c>./test.sh aot</c> sets <see cref="CliCommand.Variable"/> and
/// selects this category; the default pass leaves it out). The Durable Task Framework behind
/// <c>migrate</c> is not AOT compatible: the build refuses it up front, as a usage error that
/// says which build to use, and creates nothing.
/// </summary>
[Collection("sandbox")]
[Trait("Category", "NativeAot")]
public sealed class NativeAotBuildTests(SandboxFixture sandbox)
{
    [Theory]
    [InlineData("start")]
    [InlineData("worker")]
    public async Task Migrate_is_refused_with_the_build_to_use_and_nothing_is_created(string verb)
    {
        var hub = "aot" + Guid.NewGuid().ToString("N")[..10];
        string[] args = verb == "start"
            ? ["migrate", "start", $"s3://{sandbox.Bucket}/", sandbox.DestUrl, "--hub", hub, "--hub-storage", sandbox.BlobEndpoint]
            : ["migrate", "worker", "--hub", hub, "--hub-storage", sandbox.BlobEndpoint];
        var r = await sandbox.RunCliAsync(args, timeout: TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("error: Distributed migrations cannot run in this Native AOT build", r.Stderr);
        Assert.Contains("fix: Run 'skybridge migrate' from the default build", r.Stderr);
        var containers = new BlobServiceClient(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"]).GetBlobContainersAsync(prefix: hub);
        await foreach (var c in containers) Assert.Fail($"the refused migrate created {c.Name}");
    }
}
