using System.Text;
using Azure.Storage.Blobs;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Reliability;

/// <summary>
/// Issue 8, part 5: bad input, one data-driven case each. Every case must give the documented exit
/// code, an "error:" line saying what is wrong (the expected words), a "fix:" line for usage and
/// auth errors, and leave the destination exactly as it was: no container named in the command line
/// appeared, and the names + ETags of the blobs under this run's target prefix are unchanged (other
/// test runs sharing the sandbox create containers and blobs of their own at any time).
/// </summary>
[Collection("sandbox")]
public sealed class BadInputTests(SandboxFixture sandbox)
{
    private const string Container = "rel-badinput";

    /// <summary>
    /// One bad invocation. Args may use {SRC} {DST} {BLOB} {BUCKET} {NOACCESS} {BADNAMES} {CTLNAMES} {ENCNAMES} {TMP} {CONFIG_*},
    /// and {SCRATCH}: a fresh prefix of the suite's container (for a case that must write, outside the guarded target).
    /// Absent: words the output must not contain; Once: words it must contain exactly once; ErrorLine:
    /// false for doctor, whose failures are checklist lines ("[FAIL] ..." and "fix: ...") instead.
    /// </summary>
    public sealed record Case(string Id, string[] Args, int Code, string[] Expect, bool Fix = true, string? Arrange = null,
        string[]? Absent = null, string? Once = null, bool ErrorLine = true);

    private static readonly Case[] Cases =
    [
        // ---- malformed URIs ----
        new("src-no-scheme", ["copy", "skybridge-demo/x", "{DST}"], 2, ["not an S3 URL"]),
        new("src-empty-bucket", ["copy", "s3://", "{DST}"], 2, ["not a valid S3 bucket name"]),
        new("src-bucket-too-short", ["copy", "s3://ab/x", "{DST}"], 2, ["not a valid S3 bucket name"]),
        new("src-bucket-uppercase", ["copy", "s3://Bad_Bucket/x", "{DST}"], 2, ["not a valid S3 bucket name"]),
        new("src-https-url", ["copy", "https://example.com/bucket", "{DST}"], 2, ["not an S3 URL"]),
        new("dst-ftp", ["copy", "{SRC}", "ftp://127.0.0.1/container"], 2, ["destination"]),
        new("dst-not-a-url", ["copy", "{SRC}", "not a url"], 2, ["destination"]),
        new("dst-no-container", ["copy", "{SRC}", "{BLOB}"], 2, ["no container"]),
        new("dst-container-uppercase", ["copy", "{SRC}", "{BLOB}/Bad_Container/x"], 2, ["container name"]),
        new("dst-container-too-short", ["copy", "{SRC}", "{BLOB}/ab/x"], 2, ["container name"]),
        new("dst-container-double-hyphen", ["copy", "{SRC}", "{BLOB}/rel--bad/x"], 2, ["container name"]),
        new("verify-dst-bad-container", ["verify", "{SRC}", "{BLOB}/-rel-bad"], 2, ["container name"]),
        // ---- unknown or unauthorised bucket ----
        new("bucket-missing", ["copy", "s3://rel-missing-bucket-0001/x", "{DST}"], 2, ["does not exist"]),
        new("bucket-unauthorised", ["copy", "s3://{NOACCESS}/x", "{DST}"], 3, ["s3:ListBucket", "refused"]),
        new("plan-bucket-unauthorised", ["plan", "s3://{NOACCESS}", "{DST}"], 3, ["s3:ListBucket"]),
        // ---- out-of-range and conflicting options ----
        new("concurrency-zero", ["copy", "{SRC}", "{DST}", "--concurrency", "0"], 2, ["--concurrency"]),
        new("concurrency-negative", ["copy", "{SRC}", "{DST}", "--concurrency", "-3"], 2, ["--concurrency"]),
        new("concurrency-text", ["copy", "{SRC}", "{DST}", "--concurrency", "many"], 2, ["--concurrency", "whole number"]),
        new("block-size-tiny", ["copy", "{SRC}", "{DST}", "--block-size", "10"], 2, ["--block-size", "out of range"]),
        new("block-size-huge", ["copy", "{SRC}", "{DST}", "--block-size", "5000MiB"], 2, ["--block-size", "out of range"]),
        new("block-size-unit", ["copy", "{SRC}", "{DST}", "--block-size", "12XB"], 2, ["--block-size", "not a size"]),
        new("max-memory-text", ["copy", "{SRC}", "{DST}", "--max-memory", "lots"], 2, ["--max-memory"]),
        new("upload-checksum-unknown", ["copy", "{SRC}", "{DST}", "--upload-checksum", "crc64"], 2, ["--upload-checksum", "crc64"]),
        new("max-bandwidth-negative", ["copy", "{SRC}", "{DST}", "--max-bandwidth", "-5MiB"], 2, ["--max-bandwidth"]),
        new("compare-unknown", ["copy", "{SRC}", "{DST}", "--compare", "sha1"], 2, ["--compare"]),
        new("overwrite-unknown", ["copy", "{SRC}", "{DST}", "--overwrite", "sometimes"], 2, ["--overwrite"]),
        new("name-policy-unknown", ["copy", "{SRC}", "{DST}", "--name-policy", "rename"], 2, ["--name-policy"]),
        new("access-tier-unknown", ["copy", "{SRC}", "{DST}", "--access-tier", "premium"], 2, ["--access-tier"]),
        new("modified-after-text", ["copy", "{SRC}", "{DST}", "--modified-after", "yesterday"], 2, ["--modified-after", "not a date"]),
        new("progress-unknown", ["copy", "{SRC}", "{DST}", "--progress", "fancy"], 2, ["--progress"]),
        new("output-unknown", ["copy", "{SRC}", "{DST}", "--output", "xml"], 2, ["--output"]),
        new("log-level-unknown", ["copy", "{SRC}", "{DST}", "--log-level", "loud"], 2, ["--log-level"]),
        new("duration-too-short", ["copy", "{SRC}", "{DST}", "--duration", "60"], 2, ["--duration", "out of range"]),
        new("duration-too-long", ["copy", "{SRC}", "{DST}", "--duration", "50000"], 2, ["--duration", "out of range"]),
        new("max-delete-negative", ["sync", "{SRC}", "{DST}", "--delete", "--max-delete", "-1"], 2, ["--max-delete"]),
        new("min-size-above-max-size", ["copy", "{SRC}", "{DST}", "--min-size", "10MiB", "--max-size", "1KiB"], 2, ["--min-size", "--max-size"]),
        new("modified-window-empty", ["copy", "{SRC}", "{DST}", "--modified-after", "2030-01-01", "--modified-before", "2020-01-01"], 2, ["--modified-after", "--modified-before"]),
        new("sas-and-connection-string", ["copy", "{SRC}", "{DST}", "--dest-sas", "sv=2020-01-01&sig=abc", "--dest-connection-string", "UseDevelopmentStorage=true"], 2, ["--dest-sas", "--dest-connection-string"]),
        new("delete-on-copy", ["copy", "{SRC}", "{DST}", "--delete"], 2, ["--delete"]),
        new("unknown-command", ["copyy", "{SRC}", "{DST}"], 2, ["copyy"]),
        new("missing-destination", ["copy", "{SRC}"], 2, ["Required argument missing"]),
        // ---- identity settings ----
        new("role-arn-missing", ["copy", "{SRC}", "{DST}"], 2, ["--role-arn is required"], Arrange: "no-role"),
        new("role-arn-malformed", ["copy", "{SRC}", "{DST}", "--role-arn", "arn:aws:iam::123:role/x"], 2, ["--role-arn", "not an IAM role ARN"]),
        new("audience-missing", ["copy", "{SRC}", "{DST}"], 2, ["--audience is required"], Arrange: "no-audience"),
        new("audience-not-uri", ["copy", "{SRC}", "{DST}", "--audience", "just words"], 2, ["--audience"]),
        new("session-name-space", ["copy", "{SRC}", "{DST}", "--role-session-name", "has space"], 2, ["--role-session-name"]),
        new("sts-endpoint-ftp", ["copy", "{SRC}", "{DST}", "--sts-endpoint", "ftp://127.0.0.1:1"], 2, ["--sts-endpoint"]),
        new("s3-endpoint-not-url", ["copy", "{SRC}", "{DST}", "--s3-endpoint", "not a url"], 2, ["--s3-endpoint"]),
        new("azure-credential-unknown", ["copy", "{SRC}", "{DST}", "--azure-credential", "magic"], 2, ["--azure-credential"]),
        new("role-unknown", ["copy", "{SRC}", "{DST}", "--role-arn", "arn:aws:iam:::role/rel-no-such-role"], 3, ["STS refused", "role"]),
        // ---- garbage or wrong-audience tokens ----
        new("token-wrong-audience", ["copy", "{SRC}", "{DST}"], 3, ["audience"], Arrange: "wrong-audience"),
        new("token-unknown-signing-key", ["copy", "{SRC}", "{DST}"], 3, ["STS refused"], Arrange: "rogue-key"),
        new("token-v2-issuer", ["copy", "{SRC}", "{DST}"], 3, ["v2"], Arrange: "v2-token"),
        new("token-garbage-assertion", ["copy", "{SRC}", "{DST}", "--azure-credential", "workload-identity"], 3, ["client assertion rejected"], Arrange: "garbage-assertion"),
        // ---- broken configuration files ----
        new("config-missing", ["copy", "{SRC}", "{DST}", "--config", "{TMP}/nope.json"], 2, ["does not exist"]),
        new("config-not-json", ["copy", "{SRC}", "{DST}", "--config", "{CONFIG_GARBAGE}"], 2, ["not valid JSON"]),
        new("config-profile-missing", ["copy", "{SRC}", "{DST}", "--config", "{CONFIG_OK}", "--profile", "staging"], 2, ["staging", "not defined"]),
        new("config-bad-value", ["copy", "{SRC}", "{DST}", "--config", "{CONFIG_BADVALUE}"], 2, ["--concurrency"]),
        new("config-bad-role", ["copy", "{SRC}", "{DST}", "--config", "{CONFIG_BADROLE}"], 2, ["--role-arn"], Arrange: "no-role"),
        new("config-env-missing", ["copy", "{SRC}", "{DST}"], 2, ["does not exist"], Arrange: "config-env-missing"),
        // ---- unwritable report and journal paths ----
        new("report-dir-missing", ["copy", "{SRC}", "{DST}", "--report", "{TMP}/no/such/dir/r.jsonl"], 2, ["--report"]),
        new("report-is-directory", ["copy", "{SRC}", "{DST}", "--report", "{TMP}"], 2, ["--report"]),
        new("plan-save-dir-missing", ["plan", "{SRC}", "{DST}", "--save", "{TMP}/no/such/dir/p.plan"], 2, ["Cannot write the plan", "--save"]),
        new("apply-missing-plan", ["apply", "{TMP}/nope.plan"], 2, ["Cannot read the plan"]),
        new("apply-not-a-plan", ["apply", "/etc/os-release"], 2, ["is not a Skybridge plan"]),
        new("report-read-only-fs", ["copy", "{SRC}", "{DST}", "--report", "/proc/skybridge-report.jsonl"], 2, ["--report"]),
        new("journal-dir-missing", ["copy", "{SRC}", "{DST}", "--journal", "/proc/no/journal.db"], 2, ["journal"]),
        new("journal-not-sqlite", ["copy", "{SRC}", "{DST}", "--journal", "{CONFIG_GARBAGE}"], 2, ["journal"]),
        new("jobs-show-unknown", ["jobs", "show", "20000101-000000-000000"], 2, ["20000101-000000-000000"]),
        new("jobs-resume-unknown", ["jobs", "resume", "no-such-job"], 2, ["no-such-job"]),
        // ---- issue 16: rough edges found by a new user ----
        new("dst-plain-http-keyless", ["copy", "{SRC}", "http://example.com/cont"], 2, ["plain http", "https"]),
        new("dst-plain-http-sas", ["copy", "{SRC}", "http://example.com/cont?sv=2020-01-01&sig=abc"], 2, ["plain http", "a SAS"]),
        new("max-memory-below-one-block", ["copy", "{SRC}", "{DST}", "--max-memory", "1KiB"], 2, ["--max-memory", "one block", "8MiB"]),
        new("max-memory-below-block-size", ["copy", "{SRC}", "{DST}", "--max-memory", "8MiB", "--block-size", "16MiB"], 2, ["--max-memory", "16MiB"]),
        new("include-unclosed-bracket", ["copy", "{SRC}", "{DST}", "--include", "["], 2, ["unclosed", "[[]"]),
        new("exclude-unclosed-bracket", ["plan", "{SRC}", "{DST}", "--exclude", "data-[0-9"], 2, ["unclosed", "[[]"]),
        // Keys with control characters: escaped in every error line, never raw (a newline cannot forge an "error:" line, ESC/BEL never reach the terminal).
        new("names-escaped-in-errors", ["copy", "{CTLNAMES}", "{DST}", "--name-policy", "fail"], 1, ["bell\\x07.txt", "evil\\nerror: forged\\x1B[31m.txt", "nel\\u{0085}.txt"], Fix: false,
            Absent: ["\a", "\x1b", "\u0085", "\nerror: forged"]),
        // Doctor and a missing container: copy creates it when its credential may (a warning, exit 0), else a failure; doctor creates nothing.
        new("doctor-missing-container-copy-creates", ["doctor", "{BLOB}/rel-badinput-nocontainer"], 0, ["[warn]", "copy will create it"], Fix: false),
        new("doctor-missing-container-sas-cannot-create", ["doctor", "{BLOB}/rel-badinput-nocontainer", "--dest-sas", "{SAS_READ_LIST}"], 1,
            ["[FAIL]", "copy could not create it", "sp=rl", "fix:"], Fix: false, ErrorLine: false),
        // A cached AWS CLI session the server refuses: doctor names the cache and the fix; --refresh replaces it.
        new("doctor-refused-cached-session", ["doctor", "{SRC}"], 1, ["[FAIL]", "the cached session in", "is refused", "skybridge auth clear-cache"], Fix: false,
            Arrange: "refused-cache", ErrorLine: false),
        new("aws-credentials-refresh-replaces-a-refused-session", ["auth", "aws-credentials", "--refresh", "--format", "env"], 0, ["AWS_SESSION_TOKEN="], Fix: false,
            Arrange: "refused-cache"),
        // The issue's pairs that "encode" used to map to one name (one of each failed as a collision): each gets its own name now.
        new("names-encode-is-injective", ["copy", "{ENCNAMES}", "{SCRATCH}", "--name-policy", "encode", "--no-journal"], 0, ["renamed 4, failed 0"], Fix: false,
            Absent: ["collides", "error:"]),
        // Auto mode against Azurite (no copy from URL): the switch to streaming is a notice, once per run, not a warning.
        new("auto-mode-streams-without-warning", ["copy", "{SRC}", "{SCRATCH}", "--no-journal"], 0, ["destination does not support copy from URL"], Fix: false,
            Absent: ["warn", "error:"]),
        new("auto-mode-notice-once", ["copy", "{SRC}", "{SCRATCH}", "--no-journal", "--log-level", "info"], 0, ["streamed"], Fix: false,
            Absent: ["warn "], Once: "Service-side copy is not possible here"),
        // ---- names per policy (the source holds only keys that are not valid blob names) ----
        new("names-fail-policy", ["copy", "{BADNAMES}", "{DST}", "--name-policy", "fail"], 1, ["invalid blob name"], Fix: false),
        new("names-skip-policy-writes-nothing", ["copy", "{BADNAMES}", "{DST}", "--name-policy", "skip", "--output", "json"], 0, ["invalid blob name"], Fix: false),
    ];

    public static IEnumerable<object[]> CaseIds => Cases.Select(c => new object[] { c.Id });

    private sealed record Setup(string SrcPrefix, string BadNamesPrefix, string ControlNamesPrefix, string EncodePairsPrefix, string NoAccessBucket, string Tmp, Dictionary<string, string> Configs, string ClientId, string Target);

    private static Task<Setup>? _setup;
    private static readonly object Gate = new();
    private static readonly List<object> Results = [];

    private Task<Setup> SetupOnceAsync()
    {
        lock (Gate) return _setup ??= CreateSetupAsync();
    }

    private async Task<Setup> CreateSetupAsync()
    {
        var kit = new ReliabilityKit(sandbox);
        var src = NewPrefix("badinput");
        await kit.PutAsync(src, new Dictionary<string, byte[]> { ["one.txt"] = "one"u8.ToArray(), ["dir/two.txt"] = "two"u8.ToArray() });
        var badNames = NewPrefix("badnames");
        await kit.PutAsync(badNames, new Dictionary<string, byte[]> { ["back\\slash.txt"] = "x"u8.ToArray(), ["trailing-dot."] = "y"u8.ToArray(), ["a//double.txt"] = "z"u8.ToArray() });
        // One bucket for every run of this suite (tests leave it empty; the sandbox keeps it).
        var controlNames = NewPrefix("ctlnames");
        await kit.PutAsync(controlNames, new Dictionary<string, byte[]> { ["bell\a.txt"] = "b"u8.ToArray(), ["evil\nerror: forged\x1b[31m.txt"] = "e"u8.ToArray(), ["nel\u0085.txt"] = "n"u8.ToArray() });
        var encodePairs = NewPrefix("encnames");
        await kit.PutAsync(encodePairs, new Dictionary<string, byte[]>
        {
            ["collide/bell\a.txt"] = "1"u8.ToArray(), ["collide/bell%07.txt"] = "2"u8.ToArray(), ["dot."] = "3"u8.ToArray(), ["dot%2E"] = "4"u8.ToArray(),
        });
        var noAccess = "rel-noaccess-badinput";
        await sandbox.AdminS3().PutBucketAsync(noAccess);
        var container = kit.Inspector(Container);
        await container.CreateIfNotExistsAsync();
        var target = NewPrefix("target");
        await container.GetBlobClient(target + "existing.txt").UploadAsync(BinaryData.FromString("already here"), overwrite: true);
        await container.GetBlobClient(target + "one.txt").UploadAsync(BinaryData.FromString("an older one"), overwrite: true);
        var tmp = Directory.CreateTempSubdirectory("skybridge-badinput-").FullName;
        var configs = new Dictionary<string, string>
        {
            ["CONFIG_GARBAGE"] = Write(tmp, "garbage.json", "{ this is not json"),
            ["CONFIG_OK"] = Write(tmp, "ok.json", "{\"profiles\":{\"default\":{\"concurrency\":\"4\"}}}"),
            ["CONFIG_BADVALUE"] = Write(tmp, "badvalue.json", "{\"profiles\":{\"default\":{\"concurrency\":\"many\"}}}"),
            ["CONFIG_BADROLE"] = Write(tmp, "badrole.json", "{\"profiles\":{\"default\":{\"role-arn\":\"role/not-an-arn\"}}}"),
            // An account SAS that may read and list but not create containers.
            ["SAS_READ_LIST"] = kit.InspectorService().GenerateAccountSasUri(Azure.Storage.Sas.AccountSasPermissions.Read | Azure.Storage.Sas.AccountSasPermissions.List,
                DateTimeOffset.UtcNow.AddHours(2), Azure.Storage.Sas.AccountSasResourceTypes.All).Query.TrimStart('?'),
        };
        return new Setup(src, badNames, controlNames, encodePairs, noAccess, tmp, configs, await sandbox.IsolatedIdentityAsync(), target);
    }

    private static string Write(string dir, string name, string content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Which of the containers named on the command line exist, and name + ETag of every blob under the target prefix.</summary>
    private async Task<string> DestinationStateAsync(Setup s, string[] args)
    {
        var kit = new ReliabilityKit(sandbox);
        var named = new HashSet<string>(StringComparer.Ordinal) { Container };
        foreach (var a in args)
            if (a.StartsWith(sandbox.BlobEndpoint.TrimEnd('/') + "/", StringComparison.Ordinal))
                named.Add(a[(sandbox.BlobEndpoint.TrimEnd('/').Length + 1)..].Split('/', '?')[0]);
        var sb = new StringBuilder();
        await foreach (var c in kit.InspectorService().GetBlobContainersAsync())
            if (named.Contains(c.Name)) sb.Append("container ").AppendLine(c.Name);
        foreach (var (name, b) in (await kit.SnapshotAsync(s.Target, Container)).OrderBy(k => k.Key, StringComparer.Ordinal))
            sb.AppendLine($"blob {name} {b.ETag} {b.Size}");
        return sb.ToString();
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public async Task Bad_input_gives_a_clear_error_the_documented_exit_code_and_leaves_the_destination_untouched(string id)
    {
        var c = Cases.Single(x => x.Id == id);
        var s = await SetupOnceAsync();
        var env = new Dictionary<string, string?> { ["SKYBRIDGE_JOURNAL"] = Path.Combine(s.Tmp, "journal.db"), ["SKYBRIDGE_CLIENT_ID"] = s.ClientId };
        string? isolated = null;
        switch (c.Arrange)
        {
            case "no-role": env["SKYBRIDGE_ROLE_ARN"] = null; break;
            case "no-audience": env["SKYBRIDGE_AUDIENCE"] = null; break;
            case "config-env-missing": env["SKYBRIDGE_CONFIG"] = Path.Combine(s.Tmp, "missing-from-env.json"); break;
            case "wrong-audience" or "rogue-key" or "v2-token":
                isolated = await sandbox.IsolatedIdentityAsync();
                await sandbox.ConfigureEntraAsync(c.Arrange switch
                {
                    "wrong-audience" => new { audienceOverride = "api://not-the-federation-app" },
                    "rogue-key" => (object)new { signWithUnknownKey = true },
                    _ => new { tokenVersion = 2 },
                }, isolated);
                env["SKYBRIDGE_CLIENT_ID"] = isolated;
                break;
            case "refused-cache":
                env["XDG_CACHE_HOME"] = Path.Combine(s.Tmp, "cache-" + id);
                var primed = await sandbox.RunCliAsync(["auth", "aws-credentials"], env);
                Assert.True(primed.ExitCode == 0, primed.Stderr);
                Identity.ThirdPartyClientTests.DamageCachedSession(Path.Combine(env["XDG_CACHE_HOME"]!, "skybridge", "credentials"));
                break;
            case "garbage-assertion":
                env["AZURE_AUTHORITY_HOST"] = sandbox.EntraHttpsUrl;
                env["AZURE_TENANT_ID"] = sandbox.TenantId;
                env["AZURE_CLIENT_ID"] = Guid.NewGuid().ToString();
                env["AZURE_FEDERATED_TOKEN_FILE"] = Write(s.Tmp, "garbage-assertion.txt", "this.is-not.a-jwt");
                break;
        }

        var args = c.Args.Select(a => Expand(a, s)).ToArray();
        var before = await DestinationStateAsync(s, args);
        CliResult r;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            r = await sandbox.RunCliAsync(args, env, TimeSpan.FromMinutes(2));
        }
        finally
        {
            if (isolated is not null) await sandbox.ResetEntraAsync(isolated);
        }
        var after = await DestinationStateAsync(s, args);
        var output = r.Stderr + r.Stdout;
        lock (Results)
        {
            Results.Add(new { id, exit_code = r.ExitCode, expected = c.Code, seconds = Math.Round(sw.Elapsed.TotalSeconds, 1),
                error = r.Stderr.Split('\n').FirstOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)),
                fix = r.Stderr.Split('\n').FirstOrDefault(l => l.StartsWith("fix:", StringComparison.Ordinal)) });
            new ReliabilityKit(sandbox).Figures("bad-input", new { cases = Cases.Length, results = Results });
        }

        var context = $"{id}: exit {r.ExitCode}\n--- stdout\n{r.Stdout}\n--- stderr\n{r.Stderr}";
        Assert.True(c.Code == r.ExitCode, $"expected exit {c.Code}. {context}");
        foreach (var e in c.Expect) Assert.True(output.Contains(e, StringComparison.OrdinalIgnoreCase), $"missing '{e}'. {context}");
        if (c.Code != 0 && c.ErrorLine)
            Assert.True(r.Stderr.Split('\n').Any(l => l.StartsWith("error: ", StringComparison.Ordinal)), $"no 'error:' line. {context}");
        if (c.Fix && c.Code is 2 or 3)
            Assert.True(r.Stderr.Split('\n').Any(l => l.StartsWith("fix: ", StringComparison.Ordinal)), $"no 'fix:' line. {context}");
        foreach (var a in c.Absent ?? []) Assert.False(output.Contains(a, StringComparison.OrdinalIgnoreCase), $"unexpected '{a}'. {context}");
        if (c.Once is { } once)
            Assert.True(output.Split(once).Length == 2, $"'{once}' should appear exactly once. {context}");
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
        Assert.True(before == after, $"the destination changed.\nbefore:\n{before}\nafter:\n{after}\n{context}");
    }

    private string Expand(string arg, Setup s)
    {
        var blob = sandbox.BlobEndpoint.TrimEnd('/');
        var result = arg
            .Replace("{SRC}", $"s3://{sandbox.Bucket}/{s.SrcPrefix}")
            .Replace("{BADNAMES}", $"s3://{sandbox.Bucket}/{s.BadNamesPrefix}")
            .Replace("{CTLNAMES}", $"s3://{sandbox.Bucket}/{s.ControlNamesPrefix}")
            .Replace("{ENCNAMES}", $"s3://{sandbox.Bucket}/{s.EncodePairsPrefix}")
            .Replace("{DST}", $"{blob}/{Container}/{s.Target}")
            .Replace("{SCRATCH}", $"{blob}/{Container}/{NewPrefix("scratch")}")
            .Replace("{BLOB}", blob)
            .Replace("{NOACCESS}", s.NoAccessBucket)
            .Replace("{TMP}", s.Tmp);
        foreach (var (k, v) in s.Configs) result = result.Replace("{" + k + "}", v);
        return result;
    }
}
