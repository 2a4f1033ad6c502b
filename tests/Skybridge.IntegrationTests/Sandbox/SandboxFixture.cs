using System.Net.Http.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;

namespace Skybridge.IntegrationTests.Sandbox;

/// <summary>
/// Shared fixture of every integration test: makes sure the local sandbox (./sandbox.sh) is up,
/// loads its environment (<c>./sandbox.sh env</c>) and offers clients and helpers for it.
/// Tests that change the Entra stand-in's settings must call <see cref="ResetEntraAsync"/> in a
/// finally block: the stand-in is shared by all tests.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public SandboxFixture()
    {
        RepoRoot = FindRepoRoot();
    }

    /// <summary>The repository root (the directory holding Skybridge.sln).</summary>
    public string RepoRoot { get; }
    public string SandboxScript => Path.Combine(RepoRoot, "sandbox.sh");

    /// <summary>Everything <c>./sandbox.sh env</c> exports (SANDBOX_*, IDENTITY_*, SKYBRIDGE_*).</summary>
    public IReadOnlyDictionary<string, string> Env { get; private set; } = new Dictionary<string, string>();

    public string S3Endpoint => Env["SANDBOX_S3_ENDPOINT"];
    public string StsEndpoint => Env["SANDBOX_STS_ENDPOINT"];
    public string Bucket => Env["SANDBOX_BUCKET"];
    public string DestUrl => Env["SANDBOX_DEST_URL"];
    public string BlobEndpoint => Env["SANDBOX_BLOB_ENDPOINT"];
    public string RoleArn => Env["SANDBOX_ROLE_ARN"];
    /// <summary>A role that also pins sub to the system-assigned identity (<see cref="ManagedIdentityPrincipalId"/>).</summary>
    public string PinnedRoleArn => Env["SANDBOX_PINNED_ROLE_ARN"];
    public string Audience => Env["SANDBOX_AUDIENCE"];
    public string TenantId => Env["SANDBOX_TENANT_ID"];
    public string EntraUrl => Env["SANDBOX_ENTRA_URL"];
    public string EntraHttpsUrl => Env["SANDBOX_ENTRA_HTTPS_URL"];
    public string Issuer => Env["SANDBOX_ENTRA_ISSUER"];
    public string ManagedIdentityPrincipalId => Env["SANDBOX_MI_PRINCIPAL_ID"];
    public string ManagedIdentityClientId => Env["SANDBOX_MI_CLIENT_ID"];
    public string AdminAccessKey => Env["SANDBOX_ADMIN_ACCESS_KEY"];
    public string AdminSecretKey => Env["SANDBOX_ADMIN_SECRET_KEY"];
    public string CaCert => Env["SANDBOX_CA_CERT"];

    public async Task InitializeAsync()
    {
        var (status, _, _) = await RunProcessAsync(SandboxScript, ["status"], withSandboxEnv: false, timeout: TimeSpan.FromSeconds(60));
        if (status != 0)
        {
            var (rc, stdout, stderr) = await RunProcessAsync(SandboxScript, ["up"], withSandboxEnv: false, timeout: TimeSpan.FromMinutes(20));
            if (rc != 0)
                throw new InvalidOperationException($"./sandbox.sh up failed ({rc}):\n{stdout}\n{stderr}");
        }
        await ReloadEnvAsync();
    }

    /// <summary>Re-reads <c>./sandbox.sh env</c> (e.g. after a test restarted the sandbox).</summary>
    public async Task ReloadEnvAsync()
    {
        var (rc, stdout, stderr) = await RunProcessAsync(SandboxScript, ["env"], withSandboxEnv: false, timeout: TimeSpan.FromSeconds(30));
        if (rc != 0) throw new InvalidOperationException($"./sandbox.sh env failed ({rc}): {stderr}");
        Env = ParseEnv(stdout);
    }

    /// <summary>Parses <c>export K=V</c> / <c>export K='V'</c> lines.</summary>
    public static Dictionary<string, string> ParseEnv(string text)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("export ", StringComparison.Ordinal)) continue;
            var eq = line.IndexOf('=');
            if (eq < 0) continue;
            var key = line[7..eq].Trim();
            var value = line[(eq + 1)..];
            if (value.Length >= 2 && (value[0] == '\'' || value[0] == '"') && value[^1] == value[0])
                value = value[1..^1];
            env[key] = value;
        }
        return env;
    }

    /// <summary>S3 client with the RGW admin key, configured for RGW (see sandbox-notes).</summary>
    public IAmazonS3 AdminS3() => S3Client(new BasicAWSCredentials(AdminAccessKey, AdminSecretKey));

    /// <summary>Uploads <paramref name="data"/> to the sandbox bucket as a multipart object (parts of the given sizes), so its ETag is "…-N".</summary>
    public async Task PutMultipartAsync(string key, byte[] data, int[] partSizes, string? contentType = null)
    {
        var s3 = AdminS3();
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = key, ContentType = contentType });
        var parts = new List<PartETag>();
        for (int i = 0, offset = 0; i < partSizes.Length; offset += partSizes[i], i++)
        {
            var up = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = Bucket, Key = key, UploadId = init.UploadId, PartNumber = i + 1,
                InputStream = new MemoryStream(data, offset, partSizes[i]), UseChunkEncoding = false,
            });
            parts.Add(new PartETag(i + 1, up.ETag));
        }
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = init.UploadId, PartETags = parts });
    }

    /// <summary>S3 client for RGW with the given credentials (e.g. temporary ones from STS).</summary>
    public IAmazonS3 S3Client(AWSCredentials credentials) => new AmazonS3Client(credentials, new AmazonS3Config
    {
        ServiceURL = S3Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        MaxErrorRetry = 0,
    });

    /// <summary>Unsigned STS client for AssumeRoleWithWebIdentity against RGW.</summary>
    public IAmazonSecurityTokenService AnonymousSts() => new AmazonSecurityTokenServiceClient(
        new AnonymousAWSCredentials(),
        new AmazonSecurityTokenServiceConfig { ServiceURL = StsEndpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    /// <summary>A raw JWT from the stand-in's /admin/mint (ignores the stand-in's settings).</summary>
    public async Task<string> MintTokenAsync(string aud, string? sub = null, int? ttl = null, int? expOffset = null,
        bool rogue = false, string? iss = null, int? nbfOffset = null, string? tid = null, string? roles = null)
    {
        var q = new List<string> { "aud=" + Uri.EscapeDataString(aud) };
        if (sub is not null) q.Add("sub=" + Uri.EscapeDataString(sub));
        if (ttl is not null) q.Add("ttl=" + ttl);
        if (expOffset is not null) q.Add("exp_offset=" + expOffset);
        if (rogue) q.Add("rogue=1");
        if (iss is not null) q.Add("iss=" + Uri.EscapeDataString(iss));
        if (nbfOffset is not null) q.Add("nbf_offset=" + nbfOffset);
        if (tid is not null) q.Add("tid=" + Uri.EscapeDataString(tid));
        if (roles is not null) q.Add("roles=" + Uri.EscapeDataString(roles));
        var token = await _http.GetStringAsync($"{EntraUrl}/admin/mint?{string.Join('&', q)}");
        return token.Trim();
    }

    /// <summary>Content for AZURE_FEDERATED_TOKEN_FILE (workload identity).</summary>
    public async Task<string> FederatedAssertionAsync(string? sub = null) =>
        (await _http.GetStringAsync($"{EntraUrl}/admin/federated-assertion" + (sub is null ? "" : "?sub=" + Uri.EscapeDataString(sub)))).Trim();

    /// <summary>
    /// POST /admin/settings, e.g. <c>new { failWith = 500 }</c> or <c>new { lifetimeSeconds = 60 }</c>.
    /// Without <paramref name="clientId"/> the GLOBAL settings change (every token, also other test
    /// runs sharing the sandbox); with it only tokens for that user-assigned client id (see
    /// <see cref="IsolatedIdentityAsync"/>).
    /// </summary>
    public async Task ConfigureEntraAsync(object settings, string? clientId = null)
    {
        using var r = await _http.PostAsJsonAsync($"{EntraUrl}/admin/settings{Scope(clientId)}", settings);
        r.EnsureSuccessStatusCode();
    }

    /// <summary>Back to default settings and a zero token counter (or: drop one client id's scope).</summary>
    public async Task ResetEntraAsync(string? clientId = null)
    {
        using var r = await _http.PostAsync($"{EntraUrl}/admin/reset{Scope(clientId)}", null);
        r.EnsureSuccessStatusCode();
    }

    /// <summary>How many tokens the stand-in's token endpoints issued since the last reset (or for one client id).</summary>
    public async Task<int> EntraTokensIssuedAsync(string? clientId = null)
    {
        var stats = await _http.GetFromJsonAsync<EntraStats>($"{EntraUrl}/admin/stats{Scope(clientId)}");
        return stats!.TokensIssued;
    }

    /// <summary>
    /// A fresh user-assigned managed identity client id with its own settings scope (defaults), so
    /// that a test is isolated from (a) global settings changed by other test runs sharing the sandbox
    /// and (b) Azure.Identity's process-wide managed identity token cache. Use it with
    /// <c>ManagedIdentityId.FromUserAssignedClientId(id)</c> and pass it to ConfigureEntraAsync.
    /// </summary>
    public async Task<string> IsolatedIdentityAsync()
    {
        var id = Guid.NewGuid().ToString();
        await ConfigureEntraAsync(new { }, id);
        return id;
    }

    private static string Scope(string? clientId) => clientId is null ? "" : "?clientId=" + Uri.EscapeDataString(clientId);

    private sealed record EntraStats(int TokensIssued);

    /// <summary>Runs the CLI under test (<see cref="CliCommand.Current"/>) with the sandbox environment (plus extraEnv; null removes).</summary>
    public async Task<CliResult> RunCliAsync(IEnumerable<string> args, IDictionary<string, string?>? extraEnv = null,
        TimeSpan? timeout = null, string? stdin = null)
    {
        var cli = CliCommand.Current;
        var (rc, stdout, stderr) = await RunProcessAsync(cli.Program, cli.Arguments(args), extraEnv, timeout, stdin);
        return new CliResult(rc, stdout, stderr);
    }

    /// <summary>
    /// Runs any program (aws, /usr/bin/python3, rclone...). By default the sandbox environment is
    /// merged into the inherited one, then <paramref name="env"/> on top (a null value removes a variable).
    /// </summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> RunProcessAsync(string file, IEnumerable<string> args,
        IDictionary<string, string?>? env = null, TimeSpan? timeout = null, string? stdin = null,
        bool withSandboxEnv = true, string? workingDirectory = null)
    {
        var merged = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (withSandboxEnv)
            foreach (var (k, v) in Env) merged[k] = v;
        if (env is not null)
            foreach (var (k, v) in env) merged[k] = v;
        return ProcessRunner.RunAsync(file, args, merged, timeout, stdin, workingDirectory ?? RepoRoot);
    }

    /// <summary>
    /// The directory holding Skybridge.sln above the test assembly; with a private artifacts path
    /// (--artifacts-path /tmp/...) the assembly lives outside the repo, so then SKYBRIDGE_REPO_ROOT,
    /// this source file's compile-time path and the working directory are tried in turn.
    /// </summary>
    private static string FindRepoRoot()
    {
        var starts = new[]
        {
            AppContext.BaseDirectory,
            Environment.GetEnvironmentVariable("SKYBRIDGE_REPO_ROOT"),
            Path.GetDirectoryName(SourceFile()),
            Directory.GetCurrentDirectory(),
        };
        foreach (var start in starts)
        {
            if (string.IsNullOrEmpty(start) || !Directory.Exists(start)) continue;
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Skybridge.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no Skybridge.sln above {AppContext.BaseDirectory} (set SKYBRIDGE_REPO_ROOT)");
    }

    private static string SourceFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

    public Task DisposeAsync() => Task.CompletedTask; // the sandbox stays up for the next run

    public void Dispose() => _http.Dispose();
}
