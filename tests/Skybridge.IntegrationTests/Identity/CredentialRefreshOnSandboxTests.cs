using Amazon.S3.Model;
using Azure.Identity;
using Skybridge.Identity;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Identity;

/// <summary>
/// Refresh under concurrency against the real chain (stand-in managed identity -> RGW STS -> RGW S3):
/// credentials forced to refresh every few seconds while parallel readers run for two minutes.
/// </summary>
[Collection("sandbox")]
public sealed class CredentialRefreshOnSandboxTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Parallel_reads_for_two_minutes_survive_forced_refreshes_with_one_sts_call_each()
    {
        var key = $"identity-tests/refresh-{Guid.NewGuid():N}.bin";
        using (var admin = sandbox.AdminS3())
            await admin.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = key, ContentBody = new string('r', 4096), UseChunkEncoding = false });

        var sts = new CountingExchange(StsWebIdentityExchange.Create("us-east-1", new Uri(sandbox.StsEndpoint)));
        var azure = new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
        using var scope = new EnvironmentScope(new() { ["IDENTITY_ENDPOINT"] = sandbox.Env["IDENTITY_ENDPOINT"], ["IDENTITY_HEADER"] = sandbox.Env["IDENTITY_HEADER"] });
        var credentials = new FederatedAwsCredentials(
            new FederationOptions { Audience = sandbox.Audience, RoleArn = sandbox.RoleArn, StsEndpoint = new Uri(sandbox.StsEndpoint), MaxCredentialAge = TimeSpan.FromSeconds(4) },
            azure, sts);
        using var s3 = sandbox.S3Client(credentials);

        var failures = 0;
        var reads = 0;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var accessKeys = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        var rgwLog = new RgwLogWindow(sandbox.RepoRoot);
        var until = DateTime.UtcNow.AddMinutes(2);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (DateTime.UtcNow < until)
            {
                try
                {
                    using var r = await s3.GetObjectAsync(sandbox.Bucket, key);
                    await r.ResponseStream.CopyToAsync(Stream.Null);
                    accessKeys.TryAdd((await credentials.GetCredentialsAsync()).AccessKey, 0);
                    Interlocked.Increment(ref reads);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failures);
                    // An HTTP error without a body has an empty Message: the status and error code say what it was.
                    var service = e as Amazon.Runtime.AmazonServiceException;
                    errors.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {e.GetType().Name} (HTTP {(int?)service?.StatusCode}, {service?.ErrorCode}, {service?.ErrorType}, request {service?.RequestId}): "
                        + $"{e.Message} <- {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
                }
            }
        }));

        // A background refresh may still be running when the readers stop: let it land before counting.
        for (var wait = 0; sts.InFlight > 0 && wait < 100; wait++) await Task.Delay(100);
        // RGW answers AccessDenied for several unrelated reasons (token expired, access key not the token's,
        // role not readable): its own log says which, and the refresh times say whether one was under way.
        Assert.True(failures == 0, $"{failures} read(s) failed:\n" + string.Join("\n", errors.Take(5))
            + $"\nSTS exchanges (start-end): {string.Join(", ", sts.Exchanges.Select(x => $"{x.Start:HH:mm:ss.fff}-{x.End:HH:mm:ss.fff}"))}"
            + $"\nRGW errors while the readers ran:\n{rgwLog.ErrorsSinceStart()}");
        Assert.True(sts.Failures.IsEmpty, "STS calls failed:\n" + string.Join("\n", sts.Failures.Take(5)));
        Assert.True(reads > 500, $"only {reads} reads");
        // 120 s / 4 s => ~30 refreshes; each refresh is exactly one STS call, whatever the concurrency.
        Assert.InRange(sts.Calls, 20, 40);
        Assert.Equal(sts.Calls, credentials.RefreshCount);
        Assert.InRange(accessKeys.Count, sts.Calls - 2, sts.Calls);
    }

    private sealed class CountingExchange(IWebIdentityExchange inner) : IWebIdentityExchange
    {
        private int _calls, _inFlight;
        public int Calls => Volatile.Read(ref _calls);
        public int InFlight => Volatile.Read(ref _inFlight);
        public readonly System.Collections.Concurrent.ConcurrentQueue<string> Failures = new();
        public readonly System.Collections.Concurrent.ConcurrentQueue<(DateTime Start, DateTime End)> Exchanges = new();

        public async Task<FederatedSession> ExchangeAsync(string token, string roleArn, string sessionName, TimeSpan duration, CancellationToken ct)
        {
            Interlocked.Increment(ref _calls);
            Interlocked.Increment(ref _inFlight);
            var start = DateTime.UtcNow;
            try { return await inner.ExchangeAsync(token, roleArn, sessionName, duration, ct); }
            catch (Exception e) { Failures.Enqueue($"{e.GetType().Name}: {e.Message}"); throw; }
            finally { Exchanges.Enqueue((start, DateTime.UtcNow)); Interlocked.Decrement(ref _inFlight); }
        }
    }
}

/// <summary>The lines RGW logged at its error levels (0 and -1) after this window opened: they name why a request was refused.</summary>
internal sealed class RgwLogWindow
{
    private readonly string _path;
    private readonly long _start;

    public RgwLogWindow(string repoRoot)
    {
        _path = Path.Combine(repoRoot, ".sandbox", "log", "client.rgw.a.log");
        _start = File.Exists(_path) ? new FileInfo(_path).Length : 0;
    }

    public string ErrorsSinceStart(int max = 20)
    {
        if (!File.Exists(_path)) return $"(no RGW log at {_path})";
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(_start, stream.Length), SeekOrigin.Begin);
        var lines = new StreamReader(stream).ReadToEnd().Split('\n')
            .Where(l => l.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries) is [_, _, "0" or "-1", _]).Take(max).ToList();
        return lines.Count == 0 ? "(none)" : string.Join("\n", lines);
    }
}

/// <summary>Sets process environment variables for a test and restores them afterwards.</summary>
internal sealed class EnvironmentScope : IDisposable
{
    private readonly Dictionary<string, string?> _previous = new();

    public EnvironmentScope(Dictionary<string, string?> values)
    {
        foreach (var (k, v) in values)
        {
            _previous[k] = Environment.GetEnvironmentVariable(k);
            Environment.SetEnvironmentVariable(k, v);
        }
    }

    public void Dispose()
    {
        foreach (var (k, v) in _previous) Environment.SetEnvironmentVariable(k, v);
    }
}
