using System.Text.Json;
using Amazon.S3.Model;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Setup;

/// <summary>
/// The policies `skybridge setup aws` generates, exercised for real: the RGW dialect is applied to
/// the sandbox's IAM, and the keyless copy then works through the generated role, only within the
/// generated prefix.
/// </summary>
[Collection("sandbox")]
public sealed class GeneratedRgwPolicyTests(SandboxFixture sandbox)
{
    // Applies the generator's JSON with the admin key, as an operator would with the AWS CLI.
    private const string ApplyScript = """
        import boto3, json, sys
        plan = json.loads(sys.stdin.read())
        iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1")
        if sys.argv[2] == "apply":
            iam.create_role(RoleName=plan["roleName"], Path="/", AssumeRolePolicyDocument=plan["trustPolicy"])
            iam.put_role_policy(RoleName=plan["roleName"], PolicyName=plan["policyName"], PolicyDocument=plan["permissionsPolicy"])
        else:
            iam.delete_role_policy(RoleName=plan["roleName"], PolicyName=plan["policyName"])
            iam.delete_role(RoleName=plan["roleName"])
        """;

    [Fact]
    public async Task Keyless_copy_works_through_the_generated_role_and_only_within_its_prefix()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var prefix = $"generated-{id}/";
        using (var admin = sandbox.AdminS3())
        {
            foreach (var name in new[] { "a.txt", "nested/b.txt", "nested/c.txt" })
                await admin.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + name, ContentBody = name, UseChunkEncoding = false });
            await admin.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = $"outside-{id}/d.txt", ContentBody = "d", UseChunkEncoding = false });
        }

        var generated = await sandbox.RunCliAsync(["setup", "aws", "--format", "rgw", "--tenant-id", sandbox.TenantId, "--audience", sandbox.Audience,
            "--role-name", $"generated-{id}", "--bucket", sandbox.Bucket, "--prefix", prefix, "--issuer-url", sandbox.Issuer]);
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        var roleArn = JsonDocument.Parse(generated.Stdout).RootElement.GetProperty("roleArn").GetString()!;

        var adminEnv = new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = sandbox.AdminAccessKey, ["AWS_SECRET_ACCESS_KEY"] = sandbox.AdminSecretKey };
        var apply = await sandbox.RunProcessAsync("/usr/bin/python3", ["-c", ApplyScript, sandbox.S3Endpoint, "apply"], adminEnv, stdin: generated.Stdout);
        Assert.True(apply.ExitCode == 0, apply.Stderr);
        try
        {
            var destination = $"{sandbox.BlobEndpoint}/generated-{id}";
            var copy = await sandbox.RunCliAsync(["copy", $"s3://{sandbox.Bucket}/{prefix}", destination, "--role-arn", roleArn, "--output", "json", "--no-journal"]);
            Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
            Assert.Equal(3, JsonDocument.Parse(copy.Stdout).RootElement.GetProperty("copied").GetInt32());
            var verify = await sandbox.RunCliAsync(["verify", $"s3://{sandbox.Bucket}/{prefix}", destination, "--role-arn", roleArn]);
            Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);

            // Least privilege: the same role cannot list outside its prefix.
            var outside = await sandbox.RunCliAsync(["copy", $"s3://{sandbox.Bucket}/outside-{id}/", destination, "--role-arn", roleArn, "--no-journal"]);
            Assert.Equal(3, outside.ExitCode);
            Assert.Contains("s3:ListBucket", outside.Stderr);
        }
        finally
        {
            await sandbox.RunProcessAsync("/usr/bin/python3", ["-c", ApplyScript, sandbox.S3Endpoint, "delete"], adminEnv, stdin: generated.Stdout);
        }
    }
}
