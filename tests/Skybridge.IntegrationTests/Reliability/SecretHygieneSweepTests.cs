using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Storage.Sas;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Reliability;

/// <summary>
/// Issue 8, part 6: every command at --log-level trace against the sandbox, with proxies in front of
/// STS, S3 and Blob Storage that record every secret actually issued or sent during the test (each
/// STS session's secret key and session token, each web identity token, each storage bearer token,
/// each presigned-URL signature) plus the SAS used. Then every stdout/stderr (except the places that
/// exist to print a secret), --report file, job journal and exception text is scanned for all of
/// them and for any JWT / signature pattern: zero hits. Files holding credentials are 0600, and
/// `auth serve` refuses requests without the token and with foreign Host headers.
/// </summary>
[Collection("sandbox")]
public sealed partial class SecretHygieneSweepTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")]
    internal static partial Regex AnyJwt();

    [GeneratedRegex(@"(?i)(X-Amz-Signature=[0-9a-f]{16,}|X-Amz-Security-Token=[^&\s""']{16,}|[?&]sig=[A-Za-z0-9%+/=]{16,}|AccountKey=[A-Za-z0-9+/=]{16,})")]
    internal static partial Regex SignedUrlPattern();

    /// <summary>Everything secret seen on the wire (or printed where it belongs) during the test.</summary>
    private sealed class Secrets
    {
        public readonly ConcurrentDictionary<string, string> Values = new(); // value -> what it is

        public void Add(string? value, string what)
        {
            if (string.IsNullOrEmpty(value) || value.Length < 12) return;
            Values.TryAdd(value, what);
            var escaped = Uri.EscapeDataString(value);
            if (escaped != value) Values.TryAdd(escaped, what + " (URL-encoded)");
        }
    }

    private sealed record Scanned(string Where, string Text);

    [Fact]
    public async Task No_secret_appears_in_any_output_report_journal_or_error_of_any_command_at_trace_level()
    {
        var prefix = NewPrefix("hygiene");
        try { await SweepAsync(prefix); }
        finally
        {
            await _kit.CleanupAsync(prefix.TrimEnd('/')); // the prefix and its "-sas/", "-cs/"... siblings
            await _kit.CleanupAsync(prefix, Skybridge.Providers.AzureBlob.BlobLocation.Parse(sandbox.Env["SANDBOX_SERVICE_DEST_URL"]).Container);
        }
    }

    private async Task SweepAsync(string prefix)
    {
        await _kit.PutAsync(prefix, new Dictionary<string, byte[]>
        {
            ["a.txt"] = "alpha"u8.ToArray(), ["dir/b.bin"] = RandomBytes(3 * MiB + 11, 5), ["dir/c.json"] = "{}"u8.ToArray(),
        }, (key, r) => { if (key == "a.txt") r.Metadata.Add("note", "hello"); });

        var secrets = new Secrets();
        var wireCounts = new ConcurrentDictionary<string, int>();
        void Count(string what) => wireCounts.AddOrUpdate(what, 1, (_, n) => n + 1);

        await using var sts = new FaultProxy(new Uri(sandbox.StsEndpoint), ProxyFlavor.Sts);
        sts.OnRequest = (r, _) =>
        {
            foreach (var pair in r.BodyText.Split('&'))
                if (pair.StartsWith("WebIdentityToken=", StringComparison.Ordinal)) { secrets.Add(Uri.UnescapeDataString(pair[17..]), "web identity token"); Count("web identity tokens"); }
            return Task.CompletedTask;
        };
        sts.OnResponse = (_, _, body) =>
        {
            var xml = Encoding.UTF8.GetString(body);
            foreach (var tag in new[] { "SecretAccessKey", "SessionToken" })
                foreach (Match m in Regex.Matches(xml, $"<{tag}>([^<]+)</{tag}>")) { secrets.Add(WebUtility.HtmlDecode(m.Groups[1].Value), tag); Count(tag); }
            return body;
        };
        await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3);
        s3.OnRequest = (r, _) =>
        {
            secrets.Add(r.Header("X-Amz-Security-Token"), "session token (header)");
            foreach (var pair in r.Query.Split('&'))
                if (pair.StartsWith("X-Amz-Signature=", StringComparison.Ordinal) || pair.StartsWith("X-Amz-Security-Token=", StringComparison.Ordinal))
                { secrets.Add(Uri.UnescapeDataString(pair[(pair.IndexOf('=') + 1)..]), "presigned URL " + pair[..pair.IndexOf('=')]); Count("presigned URL uses"); }
            return Task.CompletedTask;
        };
        await using var blob = new FaultProxy(new Uri(sandbox.BlobEndpoint), ProxyFlavor.Blob, certificate: FaultProxy.SandboxCertificate(sandbox.RepoRoot));
        blob.OnRequest = (r, _) =>
        {
            if (r.Header("Authorization") is { } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal)) { secrets.Add(auth[7..], "storage bearer token"); Count("storage bearer tokens"); }
            if (r.Header("x-ms-copy-source") is { } source && source.Contains("X-Amz-Signature", StringComparison.Ordinal)) Count("from-URL copy sources");
            return Task.CompletedTask;
        };

        var home = Directory.CreateTempSubdirectory("skybridge-hygiene-").FullName;
        var env = await _kit.IsolatedEnvAsync();
        env["XDG_CACHE_HOME"] = Path.Combine(home, "cache");
        env["SKYBRIDGE_JOURNAL"] = Path.Combine(home, "journal.db");
        string[] endpoints = ["--sts-endpoint", sts.Url.ToString(), "--s3-endpoint", s3.Url.ToString(), "--log-level", "trace"];
        var scans = new List<Scanned>();
        var ran = new List<string>();

        // A run that must succeed: on failure, say which and show its output.
        async Task Ok(string name, string[] args, IDictionary<string, string?>? more = null)
        {
            var r = await Run(name, args, more: more);
            Assert.True(r.ExitCode == 0, $"{name}: exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr[^Math.Min(r.Stderr.Length, 4000)..]}");
        }

        async Task<CliResult> Run(string name, string[] args, bool scanStdout = true, IDictionary<string, string?>? more = null)
        {
            var e = new Dictionary<string, string?>(env);
            if (more is not null) foreach (var (k, v) in more) e[k] = v;
            var r = await sandbox.RunCliAsync([.. args, .. endpoints], e, TimeSpan.FromMinutes(3));
            lock (scans)
            {
                ran.Add($"{name} (exit {r.ExitCode})");
                scans.Add(new(name + " stderr", r.Stderr));
                if (scanStdout) scans.Add(new(name + " stdout", r.Stdout));
            }
            return r;
        }

        var src = _kit.Src(prefix);
        // Other destinations beside (not under) the prefix, so verify of the prefix sees only its own copy.
        string Sibling(string name) => prefix.TrimEnd('/') + "-" + name + "/";
        var dst = _kit.Dst(prefix, blob.Url);

        // ---- auth ----
        var token = await Run("auth token", ["auth", "token"]);
        Assert.True(token.ExitCode == 0, token.Stderr);
        var raw = await Run("auth token --raw", ["auth", "token", "--raw"], scanStdout: false);
        Assert.Matches(AnyJwt(), raw.Stdout); // printed where asked for...
        secrets.Add(raw.Stdout.Trim(), "Entra token (auth token --raw)");

        var creds = await Run("auth aws-credentials", ["auth", "aws-credentials"], scanStdout: false);
        Assert.True(creds.ExitCode == 0, creds.Stderr);
        using (var doc = System.Text.Json.JsonDocument.Parse(creds.Stdout))
        {
            secrets.Add(doc.RootElement.GetProperty("SecretAccessKey").GetString(), "SecretAccessKey (aws-credentials)");
            secrets.Add(doc.RootElement.GetProperty("SessionToken").GetString(), "SessionToken (aws-credentials)");
        }
        var cacheFiles = Directory.GetFiles(Path.Combine(home, "cache"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(cacheFiles);
        foreach (var f in cacheFiles)
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f));
        var credsEnv = await Run("auth aws-credentials --format env", ["auth", "aws-credentials", "--format", "env", "--no-cache"], scanStdout: false);
        Assert.True(credsEnv.ExitCode == 0, credsEnv.Stderr);
        foreach (var line in credsEnv.Stdout.Split('\n'))
            if (line.StartsWith("export AWS_SECRET_ACCESS_KEY=", StringComparison.Ordinal) || line.StartsWith("export AWS_SESSION_TOKEN=", StringComparison.Ordinal))
                secrets.Add(line[(line.IndexOf('=') + 1)..].Trim(), "aws-credentials --format env");
        var refreshed = await Run("auth aws-credentials --refresh", ["auth", "aws-credentials", "--refresh"], scanStdout: false);
        Assert.True(refreshed.ExitCode == 0, refreshed.Stderr);
        using (var doc = System.Text.Json.JsonDocument.Parse(refreshed.Stdout))
        {
            secrets.Add(doc.RootElement.GetProperty("SecretAccessKey").GetString(), "SecretAccessKey (aws-credentials --refresh)");
            secrets.Add(doc.RootElement.GetProperty("SessionToken").GetString(), "SessionToken (aws-credentials --refresh)");
        }

        var tokenFile = Path.Combine(home, "token");
        var tf = await Run("auth token-file", ["auth", "token-file", "--path", tokenFile]);
        Assert.True(tf.ExitCode == 0, tf.Stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        Assert.Matches(AnyJwt(), File.ReadAllText(tokenFile));
        secrets.Add(File.ReadAllText(tokenFile).Trim(), "Entra token (token file)");

        var serve = await ServeAsync(env, endpoints, secrets);
        scans.Add(new("auth serve stderr", serve.Stderr));
        ran.Add("auth serve (killed after the checks)");

        // ---- transfers ----
        var reportJson = Path.Combine(home, "copy.jsonl");
        var copy = await Run("copy", ["copy", src, dst, "--block-size", "1MiB", "--report", reportJson, "--progress", "plain"]);
        Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
        Assert.Contains("trce", copy.Stderr); // trace output really was produced
        var reportCsv = Path.Combine(home, "sync.csv");
        var planReport = Path.Combine(home, "plan.jsonl");
        var verifyReport = Path.Combine(home, "verify.jsonl");
        var sasReport = Path.Combine(home, "sas.jsonl");
        var serviceReport = Path.Combine(home, "service.jsonl");
        var savedPlan = Path.Combine(home, "sas.plan");
        var applyReport = Path.Combine(home, "apply.jsonl");
        var container = _kit.Inspector();
        var sas = container.GenerateSasUri(BlobContainerSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1)).Query.TrimStart('?');
        var sig = Uri.UnescapeDataString(sas.Split('&').Single(p => p.StartsWith("sig=", StringComparison.Ordinal))[4..]);
        secrets.Add(sig, "SAS signature");
        var cs = sandbox.Env["SANDBOX_AZURITE_CONNECTION_STRING"];
        secrets.Add(cs.Split(';').Single(p => p.StartsWith("AccountKey=", StringComparison.Ordinal))[11..], "storage account key");

        // Three independent groups at once (each group in order): same prefix / other prefixes / no transfer.
        await Task.WhenAll(
            Task.Run(async () =>
            {
                await Ok("sync", ["sync", src, dst, "--delete", "--report", reportCsv]);
                await Ok("plan", ["plan", src, dst, "--delete", "--report", planReport, "--output", "json"]);
                await Ok("verify --deep", ["verify", src, dst, "--deep", "--report", verifyReport]);
            }),
            Task.Run(async () =>
            {
                // SAS given apart, SAS in the URL, a connection string.
                await Ok("copy --dest-sas", ["copy", src, _kit.Dst(Sibling("sas"), blob.Url), "--dest-sas", sas, "--report", sasReport]);
                await Ok("copy (SAS in URL)", ["copy", src, _kit.Dst(Sibling("sasurl"), blob.Url) + "?" + sas]);
                await Ok("copy --dest-connection-string", ["copy", src, _kit.Dst(Sibling("cs"))], new Dictionary<string, string?> { ["SKYBRIDGE_DEST_CONNECTION_STRING"] = cs });
                // A saved plan of a SAS-in-URL destination stores no SAS; apply is given it again.
                await Ok("plan --save (SAS in URL)", ["plan", src, _kit.Dst(Sibling("plansas"), blob.Url) + "?" + sas, "--save", savedPlan]);
                await Ok("apply --dest-sas", ["apply", savedPlan, "--dest-sas", sas, "--report", applyReport]);
                // Service-side: Azure (the sandbox's copy-from-URL shim) fetches presigned URLs through the S3 proxy.
                var serviceDst = sandbox.Env["SANDBOX_SERVICE_DEST_URL"].TrimEnd('/') + "/" + prefix;
                var service = await Run("copy --mode service", ["copy", src, serviceDst, "--mode", "service", "--block-size", "1MiB", "--report", serviceReport]);
                Assert.True(service.ExitCode == 0, service.Stdout + service.Stderr);
            }),
            Task.Run(async () =>
            {
                await Ok("doctor", ["doctor", src, dst]);
                await Ok("setup aws", ["setup", "aws", "--tenant-id", sandbox.TenantId, "--audience", sandbox.Audience, "--role-name", "r", "--bucket", sandbox.Bucket, "--allow-any-subject", "--format", "cli"]);
                await Ok("setup azure", ["setup", "azure", "--app-name", "x", "--identifier-uri", sandbox.Audience]);
            }));

        var jobs = await Run("jobs list", ["jobs", "list", "--output", "json"]);
        Assert.True(jobs.ExitCode == 0, jobs.Stderr);
        var firstJob = Regex.Match(jobs.Stdout, @"\d{8}-\d{6}-[0-9a-f]{6}");
        if (firstJob.Success) await Run("jobs show", ["jobs", "show", firstJob.Value]);
        // After doctor, which tested the cached session (check 11).
        await Ok("auth clear-cache", ["auth", "clear-cache"]);

        // ---- failures at trace level: their exception texts ----
        await sandbox.AdminS3().PutBucketAsync("rel-noaccess-badinput"); // a bucket the role may not list (kept, empty)
        var denied = await Run("copy (403 bucket)", ["copy", $"s3://rel-noaccess-badinput/{prefix}", dst]);
        Assert.Equal(3, denied.ExitCode);
        sts.Plan = FaultPlan.Always(FaultKind.Status503);
        var stsDown = await Run("copy (STS down)", ["copy", src, _kit.Dst(Sibling("stsdown"), blob.Url)], more: new Dictionary<string, string?> { ["SKYBRIDGE_CLIENT_ID"] = await sandbox.IsolatedIdentityAsync() });
        Assert.NotEqual(0, stsDown.ExitCode);
        sts.Plan = FaultPlan.None;

        // ---- files written by the runs ----
        foreach (var f in new[] { reportJson, reportCsv, planReport, verifyReport, sasReport, serviceReport, savedPlan, applyReport })
        {
            Assert.True(File.Exists(f), f);
            scans.Add(new(Path.GetFileName(f), File.ReadAllText(f)));
        }
        foreach (var f in Directory.GetFiles(home, "journal.db*"))
            scans.Add(new(Path.GetFileName(f), Encoding.Latin1.GetString(File.ReadAllBytes(f))));

        // The secrets really went over the wire (else the scan proves nothing).
        Assert.True(wireCounts.GetValueOrDefault("SecretAccessKey") >= 3, string.Join(", ", wireCounts));
        Assert.True(wireCounts.GetValueOrDefault("web identity tokens") >= 3);
        Assert.True(wireCounts.GetValueOrDefault("storage bearer tokens") >= 1);
        Assert.True(wireCounts.GetValueOrDefault("presigned URL uses") >= 1, "no presigned URL was used: the service-side copy did not run");

        var hits = new List<string>();
        foreach (var scan in scans)
        {
            foreach (var (value, what) in secrets.Values)
                if (scan.Text.Contains(value, StringComparison.Ordinal)) hits.Add($"{scan.Where}: {what}");
            foreach (Match m in AnyJwt().Matches(scan.Text)) hits.Add($"{scan.Where}: a JWT ({m.Value[..12]}...)");
            foreach (Match m in SignedUrlPattern().Matches(scan.Text)) hits.Add($"{scan.Where}: {m.Value[..Math.Min(24, m.Value.Length)]}...");
        }

        _kit.Figures("secret-hygiene", new
        {
            commands = ran,
            distinct_secrets_tracked = secrets.Values.Count,
            secrets_on_the_wire = wireCounts.OrderBy(k => k.Key).ToDictionary(),
            texts_scanned = scans.Count,
            bytes_scanned = scans.Sum(s => (long)s.Text.Length),
            hits,
            serve_checks = serve.Checks,
            files_0600 = cacheFiles.Length + 1,
        });
        Assert.True(hits.Count == 0, "secrets found:\n" + string.Join("\n", hits.Distinct()));
    }

    private sealed record ServeResult(string Stderr, Dictionary<string, int> Checks);

    /// <summary>auth serve: refused without/with a wrong token and with foreign Host headers; the served credentials become secrets to scan for.</summary>
    private async Task<ServeResult> ServeAsync(Dictionary<string, string?> env, string[] endpoints, Secrets secrets)
    {
        var e = _kit.Env(env);
        e["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = null;
        using var serve = new CliProcess(["auth", "serve", .. endpoints], e);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!serve.Stdout.Contains("AWS_CONTAINER_AUTHORIZATION_TOKEN=", StringComparison.Ordinal))
        {
            Assert.False(serve.HasExited, "auth serve exited: " + serve.Stderr);
            Assert.True(DateTime.UtcNow < deadline, "auth serve did not announce itself: " + serve.Stderr);
            await Task.Delay(100);
        }
        string Value(string name) => serve.Stdout.Split('\n').Single(l => l.StartsWith("export " + name + "=", StringComparison.Ordinal))[(name.Length + 8)..].Trim();
        var uri = new Uri(Value("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
        var auth = Value("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        secrets.Add(auth, "auth serve authorization token");

        using var http = new HttpClient();
        async Task<int> Get(string? authorization, string? host)
        {
            // One connection per check: each check stands for a different client.
            using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Headers = { ConnectionClose = true } };
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            if (host is not null) request.Headers.Host = host;
            using var response = await http.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(text.TrimStart().StartsWith('{'), $"auth serve answered {(int)response.StatusCode} with '{text}' (Host {host ?? "default"}, authorization {(authorization is null ? "none" : authorization == auth ? "right" : "wrong")})\n{serve.Stderr}");
                using var doc = System.Text.Json.JsonDocument.Parse(text);
                secrets.Add(doc.RootElement.GetProperty("SecretAccessKey").GetString(), "SecretAccessKey (auth serve)");
                secrets.Add(doc.RootElement.GetProperty("Token").GetString(), "session token (auth serve)");
            }
            return (int)response.StatusCode;
        }
        var checks = new Dictionary<string, int>
        {
            ["no token"] = await Get(null, null),
            ["wrong token"] = await Get("not-the-token", null),
            ["foreign Host"] = await Get(auth, "evil.example.com"),
            ["foreign Host with the port"] = await Get(auth, $"attacker.example:{uri.Port}"),
            ["right token"] = await Get(auth, null),
        };
        serve.Kill9();
        await serve.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(401, checks["no token"]);
        Assert.Equal(401, checks["wrong token"]);
        // Refused (the listener's own 404 for a host it does not serve, or the server's 400), never served.
        Assert.Contains(checks["foreign Host"], new[] { 400, 404 });
        Assert.Contains(checks["foreign Host with the port"], new[] { 400, 404 });
        Assert.Equal(200, checks["right token"]);
        return new ServeResult(serve.Stderr, checks);
    }
}
