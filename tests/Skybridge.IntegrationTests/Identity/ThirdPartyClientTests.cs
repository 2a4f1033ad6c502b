using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3.Model;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Identity;

/// <summary>
/// The keyless chain used by real third-party AWS clients: the AWS CLI through credential_process,
/// boto3 through the container-credentials endpoint, and the AWS SDK for .NET's own web-identity
/// provider through the token file.
/// </summary>
[Collection("sandbox")]
public sealed class ThirdPartyClientTests(SandboxFixture sandbox) : IAsyncLifetime
{
    private readonly string _temp = Directory.CreateTempSubdirectory("skybridge-it-").FullName;
    private readonly string _key = $"identity-tests/{Guid.NewGuid():N}.txt";
    private const string Content = "read through the keyless chain\n";

    public async Task InitializeAsync()
    {
        using var admin = sandbox.AdminS3();
        await admin.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = _key, ContentBody = Content, UseChunkEncoding = false });
    }

    /// <summary>Environment for a third-party client: no AWS keys or profiles of the host leak in.</summary>
    private Dictionary<string, string?> CleanAwsEnv() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = null, ["AWS_SECRET_ACCESS_KEY"] = null, ["AWS_SESSION_TOKEN"] = null, ["AWS_PROFILE"] = null,
        ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_temp, "no-credentials"),
        ["AWS_CONFIG_FILE"] = Path.Combine(_temp, "no-config"),
        ["XDG_CACHE_HOME"] = Path.Combine(_temp, "cache"),
    };

    /// <summary>A clean environment whose AWS CLI profile reads credentials through skybridge's credential_process.</summary>
    private Dictionary<string, string?> CredentialProcessEnv()
    {
        var config = Path.Combine(_temp, "aws-config");
        File.WriteAllText(config, $"[profile skybridge]\ncredential_process = {CliCommand.Current.ShellLine} auth aws-credentials\nregion = us-east-1\n");
        var env = CleanAwsEnv();
        env["AWS_CONFIG_FILE"] = config;
        env["AWS_PROFILE"] = "skybridge";
        return env;
    }

    private string CacheDir => Path.Combine(_temp, "cache", "skybridge", "credentials");

    private Task<(int ExitCode, string Stdout, string Stderr)> AwsListAsync() => sandbox.RunProcessAsync("/usr/bin/aws",
        ["--endpoint-url", sandbox.S3Endpoint, "s3", "ls", $"s3://{sandbox.Bucket}/identity-tests/"], CredentialProcessEnv());

    private string DamageCachedSession() => DamageCachedSession(CacheDir);

    /// <summary>Replaces the cached session token with one the server refuses; returns the cache file.</summary>
    internal static string DamageCachedSession(string cacheDir)
    {
        var file = Assert.Single(Directory.GetFiles(cacheDir));
        var doc = JsonNode.Parse(File.ReadAllText(file))!;
        var token = doc["Output"]!["SessionToken"]!.GetValue<string>();
        doc["Output"]!["SessionToken"] = token[..^8] + "AAAAAAAA";
        File.WriteAllText(file, doc.ToJsonString());
        return file;
    }

    private static string CachedToken(string file) => JsonNode.Parse(File.ReadAllText(file))!["Output"]!["SessionToken"]!.GetValue<string>();

    [Fact]
    public async Task Aws_cli_reads_through_credential_process_and_reuses_the_cached_session()
    {
        var env = CredentialProcessEnv();
        string[] endpoint = ["--endpoint-url", sandbox.S3Endpoint];

        var list = await sandbox.RunProcessAsync("/usr/bin/aws", [.. endpoint, "s3", "ls", $"s3://{sandbox.Bucket}/identity-tests/"], env);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains(Path.GetFileName(_key), list.Stdout);
        // Every STS session the credential process obtains is written to its cache, so an
        // unchanged cache file proves the second process made no STS call.
        var cacheFile = Assert.Single(Directory.GetFiles(Path.Combine(_temp, "cache", "skybridge", "credentials")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cacheFile));
        var firstSession = File.ReadAllText(cacheFile);
        var firstWrite = File.GetLastWriteTimeUtc(cacheFile);

        var download = await sandbox.RunProcessAsync("/usr/bin/aws", [.. endpoint, "s3", "cp", $"s3://{sandbox.Bucket}/{_key}", "-"], env);
        Assert.True(download.ExitCode == 0, download.Stderr);
        Assert.Equal(Content, download.Stdout);
        Assert.Equal(firstSession, File.ReadAllText(cacheFile));
        Assert.Equal(firstWrite, File.GetLastWriteTimeUtc(cacheFile));
    }

    // Issue 16, item 9: a cached session that the server no longer accepts. The cached session token
    // is damaged in the cache file (what RGW makes of a session whose role was recreated: it refuses
    // it), and the AWS CLI fails with its opaque message; doctor names the cache and the fix;
    // --refresh and auth clear-cache each get the CLI working again.
    [Fact]
    public async Task Aws_cli_a_refused_cached_session_is_named_by_doctor_and_refresh_or_clear_cache_get_the_aws_cli_working_again()
    {
        var ok = await AwsListAsync();
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains(Path.GetFileName(_key), ok.Stdout);

        var file = DamageCachedSession();
        var damaged = CachedToken(file);
        var refused = await AwsListAsync();
        Assert.NotEqual(0, refused.ExitCode);
        Assert.DoesNotContain(Path.GetFileName(_key), refused.Stdout);

        // doctor: the cached session fails the same S3 call a fresh one passes, so the cache is named with the fix.
        var doctor = await sandbox.RunCliAsync(["doctor", $"s3://{sandbox.Bucket}/identity-tests/", "--output", "json"], CredentialProcessEnv());
        Assert.Equal(1, doctor.ExitCode);
        using (var json = JsonDocument.Parse(doctor.Stdout))
        {
            var check = json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "credential-cache");
            Assert.Equal("failed", check.GetProperty("status").GetString());
            Assert.Contains($"the cached session in {file} is refused", check.GetProperty("detail").GetString());
            Assert.Contains("while a fresh session is accepted", check.GetProperty("detail").GetString());
            Assert.Contains("skybridge auth clear-cache", check.GetProperty("fix").GetString());
            Assert.Contains("--refresh", check.GetProperty("fix").GetString());
            Assert.Equal("passed", json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "s3-list").GetProperty("status").GetString());
        }
        Assert.DoesNotContain(damaged, doctor.Stdout + doctor.Stderr);

        // Way out 1: --refresh replaces the cached session.
        var refresh = await sandbox.RunCliAsync(["auth", "aws-credentials", "--refresh"], CredentialProcessEnv());
        Assert.True(refresh.ExitCode == 0, refresh.Stderr);
        Assert.NotEqual(damaged, CachedToken(file));
        var again = await AwsListAsync();
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains(Path.GetFileName(_key), again.Stdout);

        // Way out 2: clear-cache removes it; the next AWS CLI call gets a new session.
        DamageCachedSession();
        var clear = await sandbox.RunCliAsync(["auth", "clear-cache"], CredentialProcessEnv());
        Assert.Equal(0, clear.ExitCode);
        Assert.Contains($"removed 1 cached session(s) from {CacheDir}", clear.Stderr);
        Assert.Empty(Directory.GetFiles(CacheDir));
        var afterClear = await AwsListAsync();
        Assert.True(afterClear.ExitCode == 0, afterClear.Stderr);
        Assert.Contains(Path.GetFileName(_key), afterClear.Stdout);

        var healthy = await sandbox.RunCliAsync(["doctor", $"s3://{sandbox.Bucket}/identity-tests/", "--output", "json"], CredentialProcessEnv());
        Assert.Equal(0, healthy.ExitCode);
        Assert.Contains("the cached session (valid until", healthy.Stdout);
    }

    [Fact]
    public async Task Boto3_reads_through_the_container_credentials_endpoint_which_requires_its_token()
    {
        using var server = StartCli(["auth", "serve", "--port", "0"]);
        var uri = await ReadExportAsync(server, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
        var token = await ReadExportAsync(server, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
        try
        {
            var env = CleanAwsEnv();
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = uri;
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token;
            const string script = """
                import boto3, os, sys
                from botocore.config import Config
                s3 = boto3.client("s3", endpoint_url=os.environ["SANDBOX_S3_ENDPOINT"], region_name="us-east-1",
                                  config=Config(s3={"addressing_style": "path"}))
                sys.stdout.write(s3.get_object(Bucket=sys.argv[1], Key=sys.argv[2])["Body"].read().decode())
                """;
            var run = await sandbox.RunProcessAsync("/usr/bin/python3", ["-c", script, sandbox.Bucket, _key], env);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal(Content, run.Stdout);

            using var http = new HttpClient();
            var anonymous = await http.GetAsync(uri);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.DoesNotContain("SecretAccessKey", await anonymous.Content.ReadAsStringAsync());
        }
        finally
        {
            Stop(server);
        }
    }

    [Fact]
    public async Task Aws_sdk_web_identity_provider_reads_through_the_token_file()
    {
        var tokenFile = Path.Combine(_temp, "token");
        var write = await sandbox.RunCliAsync(["auth", "token-file", "--path", tokenFile]);
        Assert.True(write.ExitCode == 0, write.Stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        Assert.DoesNotContain(File.ReadAllText(tokenFile), write.Stderr + write.Stdout);

        // The SDK's own provider, pointed at RGW's STS through the standard endpoint variable.
        var previous = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_STS");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_STS", sandbox.StsEndpoint);
        try
        {
            var credentials = new AssumeRoleWithWebIdentityCredentials(tokenFile, sandbox.RoleArn, "sdk-web-identity");
            using var s3 = sandbox.S3Client(credentials);
            using var response = await s3.GetObjectAsync(sandbox.Bucket, _key);
            using var reader = new StreamReader(response.ResponseStream);
            Assert.Equal(Content, await reader.ReadToEndAsync());
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_STS", previous);
        }
    }

    private Process StartCli(string[] args)
    {
        var psi = CliCommand.Current.StartInfo(args);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        foreach (var (k, v) in sandbox.Env) psi.Environment[k] = v;
        psi.Environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = null;
        return Process.Start(psi)!;
    }

    private static async Task<string> ReadExportAsync(Process process, string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            if (line.StartsWith($"export {name}=", StringComparison.Ordinal)) return line[$"export {name}=".Length..];
        throw new InvalidOperationException($"{name} was not printed; stderr: {await process.StandardError.ReadToEndAsync()}");
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_temp, true);
        return Task.CompletedTask;
    }
}
