using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Transfer;

/// <summary>
/// The non-default destination credentials (SAS given apart, SAS in the URL, connection string),
/// that none of their secrets reach any output, and that refusals end the run with exit 3.
/// </summary>
[Collection("sandbox")]
public sealed class DestinationAuthTests(SandboxFixture sandbox)
{
    private async Task<string> SeedAsync(string name)
    {
        var prefix = $"it-{name}-{Guid.NewGuid():N}"[..24] + "/";
        var s3 = sandbox.AdminS3();
        foreach (var key in new[] { "one.txt", "two/three.txt" })
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + key, ContentBody = "data of " + key, UseChunkEncoding = false });
        return prefix;
    }

    private BlobContainerClient KeyClient() => new(sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"], Skybridge.Providers.AzureBlob.BlobLocation.Parse(sandbox.DestUrl).Container);

    private string Sas(BlobContainerSasPermissions permissions)
    {
        var container = KeyClient();
        container.CreateIfNotExists();
        return container.GenerateSasUri(permissions, DateTimeOffset.UtcNow.AddHours(1)).Query.TrimStart('?');
    }

    private static string Signature(string sas) => Uri.UnescapeDataString(sas.Split('&').Single(p => p.StartsWith("sig=", StringComparison.Ordinal))[4..]);

    private static void NoSecret(CliResult r, string secret, string report)
    {
        Assert.DoesNotContain(secret, r.Stdout);
        Assert.DoesNotContain(secret, r.Stderr);
        Assert.DoesNotContain(Uri.EscapeDataString(secret), r.Stdout + r.Stderr);
        if (File.Exists(report)) Assert.DoesNotContain(secret, File.ReadAllText(report));
    }

    [Fact]
    public async Task Copy_with_a_sas_given_apart_or_in_the_url_never_prints_it()
    {
        var prefix = await SeedAsync("sas");
        var sas = Sas(BlobContainerSasPermissions.All);
        var report = Path.GetTempFileName() + ".jsonl";

        var apart = await sandbox.RunCliAsync(["copy", $"s3://{sandbox.Bucket}/{prefix}", $"{sandbox.DestUrl}/{prefix}a", "--dest-sas", sas, "--report", report, "--log-level", "debug"]);
        Assert.True(apart.ExitCode == 0, apart.Stdout + apart.Stderr);
        NoSecret(apart, Signature(sas), report);
        Assert.True((await KeyClient().GetBlobClient($"{prefix}a/two/three.txt").ExistsAsync()).Value);

        var inUrl = await sandbox.RunCliAsync(["copy", $"s3://{sandbox.Bucket}/{prefix}", $"{sandbox.DestUrl}/{prefix}b?{sas}", "--report", report, "--log-level", "debug"]);
        Assert.True(inUrl.ExitCode == 0, inUrl.Stdout + inUrl.Stderr);
        NoSecret(inUrl, Signature(sas), report);
        Assert.True((await KeyClient().GetBlobClient($"{prefix}b/one.txt").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Copy_with_a_connection_string_from_the_environment_never_prints_the_key()
    {
        var prefix = await SeedAsync("cs");
        var cs = sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"];
        var key = cs.Split(';').Single(p => p.StartsWith("AccountKey=", StringComparison.Ordinal))["AccountKey=".Length..];
        var r = await sandbox.RunCliAsync(["copy", $"s3://{sandbox.Bucket}/{prefix}", $"{sandbox.DestUrl}/{prefix}", "--log-level", "debug"],
            new Dictionary<string, string?> { ["SKYBRIDGE_DEST_CONNECTION_STRING"] = cs });
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        NoSecret(r, key, "");
    }

    [Fact]
    public async Task A_read_only_sas_stops_the_copy_with_exit_3_and_says_what_to_grant()
    {
        var prefix = await SeedAsync("ro");
        var sas = Sas(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List);
        var r = await sandbox.RunCliAsync(["copy", $"s3://{sandbox.Bucket}/{prefix}", $"{sandbox.DestUrl}/{prefix}", "--dest-sas", sas]);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("Azure Storage refused", r.Stderr);
        NoSecret(r, Signature(sas), "");
    }

    [Fact]
    public async Task A_bucket_the_role_cannot_list_is_exit_3_naming_the_permission()
    {
        var bucket = "skybridge-noaccess-" + Guid.NewGuid().ToString("N")[..8];
        await sandbox.AdminS3().PutBucketAsync(bucket);
        var r = await sandbox.RunCliAsync(["copy", $"s3://{bucket}", $"{sandbox.DestUrl}/never"]);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("s3:ListBucket", r.Stderr);
    }
}
