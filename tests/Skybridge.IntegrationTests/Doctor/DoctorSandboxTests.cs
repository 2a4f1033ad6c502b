using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Skybridge.IntegrationTests.Sandbox;
using Xunit.Abstractions;

namespace Skybridge.IntegrationTests.Doctor;

/// <summary>
/// `skybridge doctor` on the sandbox (RGW STS/S3, Entra stand-in, Azurite): a healthy chain passes
/// every check; each provoked failure is reported on the right link with its diagnosis and fix, the
/// links after it are skipped, and nothing secret reaches stdout or stderr (runs use --log-level trace).
/// </summary>
[Collection("sandbox")]
public sealed class DoctorSandboxTests(SandboxFixture sandbox, ITestOutputHelper output)
{
    private const string Prefix = "doctor-it/";

    private sealed record Check(string Name, string Status, string Detail, string? Fix);

    private sealed record Doctor(CliResult Cli, bool Passed, Dictionary<string, Check> Checks)
    {
        public Check this[string name] => Checks[name];
    }

    private string Src => $"s3://{sandbox.Bucket}/{Prefix}";

    /// <summary>A non-empty object to read, and the destination container (a fresh sandbox has neither).</summary>
    private async Task SeedAsync()
    {
        await sandbox.AdminS3().PutObjectAsync(new PutObjectRequest
        {
            BucketName = sandbox.Bucket, Key = Prefix + "hello.txt", ContentBody = "hello doctor", UseChunkEncoding = false,
        });
        await DestContainer().CreateIfNotExistsAsync();
    }

    private BlobContainerClient DestContainer()
    {
        var name = new Uri(sandbox.DestUrl).AbsolutePath.Trim('/').Split('/')[1];
        return new BlobServiceClient(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"]).GetBlobContainerClient(name);
    }

    private async Task<Doctor> RunAsync(IEnumerable<string> args, IDictionary<string, string?>? env = null, TimeSpan? timeout = null)
    {
        var cli = await sandbox.RunCliAsync(["doctor", "--output", "json", "--log-level", "trace", .. args], env, timeout ?? TimeSpan.FromMinutes(2));
        output.WriteLine($"exit {cli.ExitCode}\n{cli.Stdout}");
        AssertNoSecrets(cli);
        Assert.True(cli.ExitCode is 0 or 1, $"exit {cli.ExitCode}: {cli.Stderr[^Math.Min(2000, cli.Stderr.Length)..]}");
        using var doc = JsonDocument.Parse(cli.Stdout);
        var checks = doc.RootElement.GetProperty("checks").EnumerateArray().Select(c => new Check(
            c.GetProperty("name").GetString()!, c.GetProperty("status").GetString()!, c.GetProperty("detail").GetString()!,
            c.GetProperty("fix").ValueKind == JsonValueKind.Null ? null : c.GetProperty("fix").GetString())).ToDictionary(c => c.Name);
        var passed = doc.RootElement.GetProperty("passed").GetBoolean();
        Assert.Equal(passed ? 0 : 1, cli.ExitCode);
        return new Doctor(cli, passed, checks);
    }

    /// <summary>No JWT, no identity header, no admin key, no session-token-sized blob, no presigned URL parameters.</summary>
    private void AssertNoSecrets(CliResult cli)
    {
        foreach (var text in new[] { cli.Stdout, cli.Stderr })
        {
            Assert.DoesNotContain("eyJ", text); // every JWT (Entra token) starts with it
            Assert.DoesNotContain(sandbox.Env["IDENTITY_HEADER"], text);
            Assert.DoesNotContain(sandbox.AdminSecretKey, text);
            Assert.DoesNotMatch(new Regex(@"[A-Za-z0-9+/=_%-]{200,}"), text); // RGW session tokens are ~620 chars
            Assert.DoesNotMatch(new Regex(@"X-Amz-(Signature|Security-Token|Credential)=[^*]", RegexOptions.IgnoreCase), text);
        }
    }

    private static void AssertSkipped(Doctor d, params string[] names)
    {
        foreach (var n in names) Assert.True(d[n].Status == "skipped", $"{n}: {d[n].Status} {d[n].Detail}");
    }

    [Fact]
    public async Task A_healthy_sandbox_passes_every_check_and_leaves_no_probe_blob()
    {
        await SeedAsync();
        var d = await RunAsync([Src, sandbox.DestUrl]);
        Assert.True(d.Passed);
        Assert.Equal(0, d.Cli.ExitCode);
        Assert.Equal(["azure-credential", "entra-token", "issuer", "sts", "s3-list", "s3-read", "storage-token", "container", "container-write", "presign", "credential-cache"], d.Checks.Keys);
        Assert.All(d.Checks.Values, c => Assert.True(c.Status == "passed", $"{c.Name}: {c.Status} {c.Detail} {c.Fix}"));
        Assert.Contains($"iss={sandbox.Issuer}", d["entra-token"].Detail);
        Assert.Contains($"aud={sandbox.Audience}", d["entra-token"].Detail);
        Assert.Contains($"sub={sandbox.ManagedIdentityPrincipalId}", d["entra-token"].Detail);
        Assert.Contains("reachable and names the same issuer", d["issuer"].Detail);
        Assert.Contains("authorised by Azure identity (keyless)", d["container"].Detail);
        Assert.Contains("GET s3://" + sandbox.Bucket + "/" + Prefix, d["s3-read"].Detail);
        Assert.Contains("aud=https://storage.azure.com", d["storage-token"].Detail);
        var length = int.Parse(Regex.Match(d["presign"].Detail, @"is (\d+) chars").Groups[1].Value);
        output.WriteLine($"presigned URL length with an RGW session token: {length}");
        Assert.InRange(length, 500, 2048);

        var probes = new List<string>();
        await foreach (var b in DestContainer().GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = ".skybridge-doctor-probe-" })) probes.Add(b.Name);
        Assert.Empty(probes);
    }

    [Fact]
    public async Task The_text_checklist_has_one_pass_line_per_check_and_exit_0()
    {
        await SeedAsync();
        var cli = await sandbox.RunCliAsync(["doctor", Src, sandbox.DestUrl, "--no-write-probe", "--log-level", "trace"]);
        AssertNoSecrets(cli);
        Assert.Equal(0, cli.ExitCode);
        var lines = cli.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(10, lines.Count(l => l.StartsWith("[pass]", StringComparison.Ordinal))); // eleven checks (with the cached-session check of issue 16), one skipped
        Assert.Single(lines, l => l.StartsWith("[skip]  9. Destination container writable: --no-write-probe", StringComparison.Ordinal));
        Assert.Contains("0 failed", lines[^1]);
    }

    [Fact]
    public async Task Asking_for_another_audience_fails_at_sts_with_the_audience_in_the_diagnosis()
    {
        var d = await RunAsync([Src, "--audience", "api://other"]);
        Assert.Equal("passed", d["entra-token"].Status);
        Assert.Equal("failed", d["sts"].Status);
        Assert.Contains("aud=api://other", d["sts"].Detail);
        Assert.Contains("aud='api://other'", d["sts"].Fix);
        AssertSkipped(d, "s3-list", "s3-read", "presign");
        Assert.Equal("passed", d["storage-token"].Status); // the Azure side does not depend on STS
    }

    [Fact]
    public async Task A_token_issued_for_another_audience_fails_the_issuer_check_and_sts()
    {
        try
        {
            await sandbox.ConfigureEntraAsync(new { audienceOverride = "api://doctor-elsewhere" });
            var d = await RunAsync([Src]);
            Assert.Equal("failed", d["issuer"].Status);
            Assert.Contains($"aud 'api://doctor-elsewhere' is not the audience the role trusts ('{sandbox.Audience}'", d["issuer"].Detail);
            Assert.Contains("Application ID URI", d["issuer"].Fix);
            Assert.Equal("failed", d["sts"].Status);
            Assert.Contains("audience 'api://doctor-elsewhere' is not one the OIDC provider lists", d["sts"].Detail);
            AssertSkipped(d, "s3-list", "presign");
        }
        finally
        {
            await sandbox.ResetEntraAsync();
        }
    }

    [Fact]
    public async Task V2_tokens_against_the_registered_v1_issuer_are_explained()
    {
        try
        {
            await sandbox.ConfigureEntraAsync(new { tokenVersion = 2 });
            var d = await RunAsync([Src, "--expected-issuer", sandbox.Issuer]);
            Assert.Contains("iss=" + sandbox.Issuer + "v2.0", d["entra-token"].Detail);
            Assert.Equal("failed", d["issuer"].Status);
            Assert.Contains("v2 token", d["issuer"].Detail);
            Assert.Contains($"registered issuer '{sandbox.Issuer}' is the v1 form", d["issuer"].Detail);
            Assert.Contains("--token-version 2", d["issuer"].Fix);
            Assert.Equal("failed", d["sts"].Status);
            Assert.Contains("likely cause", d["sts"].Detail);
        }
        finally
        {
            await sandbox.ResetEntraAsync();
        }
    }

    [Fact]
    public async Task An_unregistered_issuer_without_discovery_fails_the_issuer_check_and_sts()
    {
        var bogus = sandbox.EntraUrl + "/00000000-0000-0000-0000-00000000dead/";
        try
        {
            await sandbox.ConfigureEntraAsync(new { issuerOverride = bogus });
            var d = await RunAsync([Src]);
            Assert.Equal("failed", d["issuer"].Status);
            Assert.Contains(bogus.TrimEnd('/') + "/.well-known/openid-configuration", d["issuer"].Detail);
            Assert.Equal("failed", d["sts"].Status);
            Assert.Contains(bogus, d["sts"].Detail);
            AssertSkipped(d, "s3-list", "s3-read", "presign");
        }
        finally
        {
            await sandbox.ResetEntraAsync();
        }
    }

    [Fact]
    public async Task A_trust_policy_pinned_to_another_subject_refuses_and_names_the_subject()
    {
        try
        {
            await sandbox.ConfigureEntraAsync(new { subjectOverride = "doctor-intruder-0001" });
            var d = await RunAsync([Src, "--role-arn", sandbox.PinnedRoleArn]);
            Assert.Equal("passed", d["issuer"].Status);
            Assert.Equal("failed", d["sts"].Status);
            Assert.Contains("does not admit this identity (sub=doctor-intruder-0001", d["sts"].Detail);
            Assert.Contains("sub='doctor-intruder-0001'", d["sts"].Fix);
        }
        finally
        {
            await sandbox.ResetEntraAsync();
        }
        // and the same role admits the real identity
        var ok = await RunAsync([Src, "--role-arn", sandbox.PinnedRoleArn]);
        Assert.Equal("passed", ok["sts"].Status);
    }

    [Fact]
    public async Task An_unknown_role_is_refused_with_the_role_named()
    {
        var d = await RunAsync([Src, "--role-arn", "arn:aws:iam:::role/doctor-no-such-role"]);
        Assert.Equal("failed", d["sts"].Status);
        // RGW answers a bare AccessDenied for an unknown role: the diagnosis names the role and lists this cause
        Assert.Contains("role does not exist", d["sts"].Detail);
        Assert.Contains("Role: arn:aws:iam:::role/doctor-no-such-role", d["sts"].Detail);
        Assert.Contains("--role-arn", d["sts"].Fix);
    }

    [Fact]
    public async Task A_bucket_outside_the_role_policy_fails_the_list_with_the_missing_permission_and_arn()
    {
        var bucket = "doctor-denied-" + Guid.NewGuid().ToString("N")[..10];
        var admin = sandbox.AdminS3();
        await admin.PutBucketAsync(bucket);
        try
        {
            await admin.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "in/x.txt", ContentBody = "x", UseChunkEncoding = false });
            var d = await RunAsync([$"s3://{bucket}/in"]);
            Assert.Equal("passed", d["sts"].Status);
            Assert.Equal("failed", d["s3-list"].Status);
            Assert.Contains($"AccessDenied: the role {sandbox.RoleArn} may not s3:ListBucket on arn:aws:s3:::{bucket}.", d["s3-list"].Detail);
            Assert.Contains($"Allow s3:ListBucket on arn:aws:s3:::{bucket}", d["s3-list"].Fix);
            Assert.Contains($"skybridge setup aws --bucket {bucket} --prefix in", d["s3-list"].Fix);
            AssertSkipped(d, "s3-read");
        }
        finally
        {
            await admin.DeleteObjectAsync(bucket, "in/x.txt");
            await admin.DeleteBucketAsync(bucket);
        }
    }

    // Issue 16: copy creates a missing container, so doctor warns when the credential may create it
    // (the demo's by-hand commands pass in any order) and fails when it may not.
    [Fact]
    public async Task A_missing_container_is_a_warning_that_copy_will_create_it_when_the_identity_may_and_doctor_creates_nothing()
    {
        var url = sandbox.BlobEndpoint + "/doctor-no-such-container";
        var d = await RunAsync([url]);
        Assert.True(d.Passed, d.Cli.Stdout);
        Assert.Equal(0, d.Cli.ExitCode);
        Assert.Equal("warning", d["container"].Status);
        Assert.Contains("'doctor-no-such-container' does not exist in account 'devstoreaccount1' yet: copy will create it", d["container"].Detail);
        Assert.Contains("404 ContainerNotFound, not 403", d["container"].Detail); // Azurite authorised the conditional Delete Container probe
        Assert.Contains("az storage container create", d["container"].Fix);
        Assert.Equal("skipped", d["container-write"].Status);
        Assert.Contains("copy creates it", d["container-write"].Detail);
        Assert.Equal("passed", d["sts"].Status);
        Assert.False((await new BlobServiceClient(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"]).GetBlobContainerClient("doctor-no-such-container").ExistsAsync()).Value);
    }

    [Theory]
    [InlineData("rl", false)]   // read + list: Get Container Properties works, Create Container does not
    [InlineData("rwlc", true)]
    public async Task A_missing_container_with_an_account_sas_is_judged_by_the_sas_permissions(string permissions, bool mayCreate)
    {
        var service = new BlobServiceClient(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"]);
        var sas = service.GenerateAccountSasUri(Azure.Storage.Sas.AccountSasPermissions.Read | Azure.Storage.Sas.AccountSasPermissions.List
                | (mayCreate ? Azure.Storage.Sas.AccountSasPermissions.Write | Azure.Storage.Sas.AccountSasPermissions.Create : 0),
            DateTimeOffset.UtcNow.AddHours(1), Azure.Storage.Sas.AccountSasResourceTypes.All).Query.TrimStart('?');
        Assert.Contains($"sp={permissions}", sas);
        var name = "doctor-sas-" + Guid.NewGuid().ToString("N")[..12];
        var d = await RunAsync([sandbox.BlobEndpoint + "/" + name], new Dictionary<string, string?> { ["SKYBRIDGE_DEST_SAS"] = sas });
        Assert.Equal(mayCreate ? "warning" : "failed", d["container"].Status);
        Assert.Contains($"sp={permissions}", d["container"].Detail);
        Assert.Contains(mayCreate ? "copy will create it" : "copy could not create it", d["container"].Detail);
        Assert.Equal(mayCreate, d.Passed);
        Assert.DoesNotContain(Regex.Match(sas, "sig=([^&]+)").Groups[1].Value, d.Cli.Stdout + d.Cli.Stderr);
        Assert.False((await service.GetBlobContainerClient(name).ExistsAsync()).Value);
    }

    [Fact]
    public async Task The_conditional_delete_probe_never_deletes_a_container_that_exists()
    {
        var container = new BlobServiceClient(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"]).GetBlobContainerClient("doctor-probe-" + Guid.NewGuid().ToString("N")[..12]);
        await container.CreateAsync();
        try
        {
            await container.GetBlobClient("keep.txt").UploadAsync(BinaryData.FromString("keep"));
            var (mayCreate, evidence) = await Skybridge.Setup.Doctor.Checks.ContainerCreation.ProbeIdentityAsync(container, CancellationToken.None);
            Assert.Null(mayCreate);
            Assert.Contains("412", evidence);
            Assert.True((await container.GetBlobClient("keep.txt").ExistsAsync()).Value);
        }
        finally
        {
            await container.DeleteIfExistsAsync();
        }
    }

    [Fact]
    public async Task A_destination_connection_string_is_used_like_copy_does_and_its_key_is_never_printed()
    {
        await SeedAsync();
        var connectionString = sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"];
        var key = Regex.Match(connectionString, "AccountKey=([^;]+)").Groups[1].Value;
        var d = await RunAsync([sandbox.DestUrl], new Dictionary<string, string?> { ["SKYBRIDGE_DEST_CONNECTION_STRING"] = connectionString });
        Assert.Contains("authorised by connection string", d["container"].Detail);
        Assert.Equal("passed", d["container-write"].Status);
        Assert.DoesNotContain(key, d.Cli.Stdout + d.Cli.Stderr);
    }

    [Fact]
    public async Task A_wrong_account_fails_the_container_check()
    {
        var url = sandbox.BlobEndpoint.Replace("devstoreaccount1", "doctornoaccount") + "/skybridge-dest";
        var d = await RunAsync([url]);
        Assert.Equal("failed", d["container"].Status);
        Assert.Contains("wrong account or container", d["container"].Detail);
        Assert.Contains("Check the account and container in DST", d["container"].Fix);
    }

    [Fact]
    public async Task No_managed_identity_fails_the_first_link_and_skips_the_rest()
    {
        var d = await RunAsync([Src, sandbox.DestUrl, "--azure-credential", "managed-identity"],
            new Dictionary<string, string?> { ["IDENTITY_ENDPOINT"] = "http://127.0.0.1:1/msi/token" }, TimeSpan.FromMinutes(3));
        Assert.Equal("failed", d["azure-credential"].Status);
        Assert.Contains("no managed identity is available", d["azure-credential"].Detail);
        Assert.Contains("system-assigned identity", d["azure-credential"].Fix);
        Assert.All(d.Checks.Values.Skip(1), c => Assert.Equal("skipped", c.Status));
    }

    [Fact]
    public async Task Missing_role_is_a_usage_error_before_any_check()
    {
        var cli = await sandbox.RunCliAsync(["doctor", Src], new Dictionary<string, string?> { ["SKYBRIDGE_ROLE_ARN"] = null });
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("--role-arn is required", cli.Stderr);
        Assert.Equal("", cli.Stdout);
    }
}
