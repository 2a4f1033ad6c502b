using System.Diagnostics;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.StandIns;

/// <summary>./sandbox.sh behaves as documented while the sandbox is up.</summary>
[Collection("sandbox")]
public sealed class SandboxScriptTests(SandboxFixture f)
{
    [Fact]
    public async Task Up_again_is_fast_and_harmless()
    {
        var sw = Stopwatch.StartNew();
        var (rc, _, stderr) = await f.RunProcessAsync(f.SandboxScript, ["up"], withSandboxEnv: false);
        sw.Stop();
        Assert.Equal(0, rc);
        Assert.Contains("already running", stderr);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"second 'up' took {sw.Elapsed}");

        var (status, stdout, _) = await f.RunProcessAsync(f.SandboxScript, ["status"], withSandboxEnv: false);
        Assert.Equal(0, status);
        // Every component line says ok (Entra stand-in, Azurite, copy shim, Ceph mon/osd, RGW, IAM config).
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 7, stdout);
        Assert.All(lines, l => Assert.Contains(" ok ", l));
        // the environment is unchanged (same secrets, same endpoints)
        var (_, env, _) = await f.RunProcessAsync(f.SandboxScript, ["env"], withSandboxEnv: false);
        Assert.Equal(f.Env, SandboxFixture.ParseEnv(env));
    }

    [Fact]
    public async Task Env_exports_everything_the_cli_and_tests_need()
    {
        foreach (var k in new[]
                 {
                     "SANDBOX_TENANT_ID", "SANDBOX_AUDIENCE", "SANDBOX_ROLE_ARN", "SANDBOX_S3_ENDPOINT", "SANDBOX_STS_ENDPOINT",
                     "SANDBOX_BUCKET", "SANDBOX_DEST_URL", "SANDBOX_BLOB_ENDPOINT", "SANDBOX_ENTRA_URL", "SANDBOX_ENTRA_ISSUER",
                     "SANDBOX_ADMIN_ACCESS_KEY", "SANDBOX_ADMIN_SECRET_KEY", "SANDBOX_CA_CERT", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
                     "SKYBRIDGE_AUDIENCE", "SKYBRIDGE_ROLE_ARN", "SKYBRIDGE_S3_ENDPOINT", "SKYBRIDGE_STS_ENDPOINT",
                     "SKYBRIDGE_REGION", "SKYBRIDGE_AZURE_CREDENTIAL",
                 })
            Assert.False(string.IsNullOrEmpty(f.Env.GetValueOrDefault(k)), k);
        Assert.Equal("http://127.0.0.1:17080", f.S3Endpoint);
        Assert.Equal("https://127.0.0.1:10000/devstoreaccount1/skybridge-dest", f.DestUrl);
        Assert.Equal("us-east-1", f.Env["SKYBRIDGE_REGION"]);
        Assert.True(File.Exists(f.CaCert));

        // a third-party client sees the same environment (bash here)
        var (rc, stdout, _) = await f.RunProcessAsync("bash", ["-c", "echo \"$SANDBOX_BUCKET $SKYBRIDGE_AZURE_CREDENTIAL\""]);
        Assert.Equal(0, rc);
        Assert.Equal("skybridge-demo managed-identity", stdout.Trim());
    }
}
