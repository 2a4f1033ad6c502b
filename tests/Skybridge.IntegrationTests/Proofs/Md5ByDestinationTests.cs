using System.Security.Cryptography;
using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Proofs;

/// <summary>
/// md5-by-destination against the real servers: RGW -> Skybridge -> Azurite (https, keyless), a
/// <see cref="FaultProxy"/> on each side. A small object (one GET with no Range), a one-block object (Put Blob from memory) and a 12 MiB one
/// (one Put Blob streamed from one GET) carry the source ETag's MD5 as their transactional
/// Content-MD5, so Azurite proves them; a byte flipped in the GET body or in the Put Blob body is
/// refused (Md5Mismatch, an integrity failure, exit 1) and nothing is written.
/// </summary>
[Collection("sandbox")]
public sealed class Md5ByDestinationTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    private static readonly Dictionary<string, byte[]> Objects = new()
    {
        ["small.bin"] = RandomBytes(20_000, 40), // read whole, without a Range (under WholeGetMax): the SDK checks its MD5 too
        ["one-block.bin"] = RandomBytes(300_000, 41),
        ["streamed.bin"] = RandomBytes(12 * MiB + 3, 42), // over one 8 MiB block, under --put-blob-max (1GiB)
    };

    public enum Flip { None, GetBody, PutBlobBody }

    [Theory]
    [InlineData(Flip.None)]
    [InlineData(Flip.GetBody)]
    [InlineData(Flip.PutBlobBody)]
    public async Task Single_put_objects_are_proved_by_the_destination_and_a_flipped_byte_is_refused_and_never_written(Flip flip)
    {
        var prefix = NewPrefix("md5dest");
        try { await RunAsync(prefix, flip); }
        finally { await _kit.CleanupAsync(prefix); }
    }

    private async Task RunAsync(string prefix, Flip flip)
    {
        var env = await _kit.IsolatedEnvAsync();
        await _kit.PutAsync(prefix, Objects);
        await using var s3 = new FaultProxy(new Uri(sandbox.S3Endpoint), ProxyFlavor.S3);
        await using var blob = new FaultProxy(new Uri(sandbox.BlobEndpoint), ProxyFlavor.Blob, certificate: FaultProxy.SandboxCertificate(sandbox.RepoRoot));
        int flipped = 0, wholeGets = 0;
        s3.OnRequest = (r, _) =>
        {
            if (r.Method == "GET" && r.Path.EndsWith("small.bin", StringComparison.Ordinal) && r.Header("Range") is null) Interlocked.Increment(ref wholeGets);
            return Task.CompletedTask;
        };
        if (flip == Flip.GetBody)
            s3.OnResponse = FlipExtensions.GetBodiesFlipped(prefix, () => Interlocked.Increment(ref flipped));
        if (flip == Flip.PutBlobBody)
            blob.OnRequest = (r, _) =>
            {
                // Put Blob: a PUT of a blob (no comp=) with a body.
                if (r.Method == "PUT" && !r.Query.Contains("comp=", StringComparison.Ordinal) && !r.Query.Contains("restype=", StringComparison.Ordinal) && r.Body.Length > 0)
                {
                    r.Body[r.Body.Length / 2] ^= 0x01;
                    Interlocked.Increment(ref flipped);
                }
                return Task.CompletedTask;
            };

        var report = TempPath(".jsonl");
        var copy = await sandbox.RunCliAsync(["copy", _kit.Src(prefix), _kit.Dst(prefix, blob.Url), "--s3-endpoint", s3.Url.ToString(), "--sts-endpoint", sandbox.StsEndpoint,
            "--mode", "stream", "--output", "json", "--report", report, "--progress", "none"], env);
        var summary = Json(copy);
        var rows = ReadReport(report).ToDictionary(e => Str(e, "source_key")[prefix.Length..]);
        var stored = await _kit.SnapshotAsync(prefix);
        // Not one Put Block: both went in one Put Blob each.
        Assert.Equal(0, blob.Stats.RequestsByOperation.GetValueOrDefault("PUT comp=block"));

        if (flip == Flip.None)
        {
            Assert.True(copy.ExitCode == 0, copy.Stdout + copy.Stderr);
            Assert.Equal(3, summary.GetProperty("proofs").GetProperty("md5-by-destination").GetInt32());
            foreach (var (name, data) in Objects)
            {
                Assert.StartsWith("copied", Str(rows[name], "outcome"));
                Assert.Contains("verified by md5-by-destination", Str(rows[name], "reason"));
                Assert.Equal(Convert.ToHexStringLower(MD5.HashData(data)), stored[name].ContentMd5);
                Assert.Equal(data.Length, stored[name].Size);
            }
            await _kit.AssertEqualAsync(prefix, Objects);
            // One GET per object: the streamed one is not read in ranges; only the small one asks for no range.
            Assert.Equal(3, s3.Stats.RequestsByOperation.GetValueOrDefault("GET"));
            Assert.Equal(1, wholeGets);
            return;
        }

        Assert.True(flipped >= 3, $"{flipped} bodies flipped");
        Assert.True(copy.ExitCode == 1, $"exit {copy.ExitCode}\n{copy.Stdout}\n{copy.Stderr}");
        Assert.Equal(3, summary.GetProperty("failed").GetInt64());
        foreach (var name in Objects.Keys)
        {
            Assert.Equal("failed", Str(rows[name], "outcome"));
            // A whole-object GET is checked by the S3 SDK before anything is sent; the rest by Azurite.
            Assert.Contains(flip == Flip.GetBody && name == "small.bin" ? "MD5 check failed" : "Md5Mismatch", Str(rows[name], "reason"));
        }
        Assert.Empty(stored);
        Assert.Empty(await _kit.UncommittedOnlyAsync(prefix));
    }
}

internal static class FlipExtensions
{
    /// <summary>An S3 proxy's <see cref="FaultProxy.OnResponse"/> that flips a bit in every GET body of an object under <paramref name="prefix"/>, calling <paramref name="flipped"/> each time.</summary>
    public static Func<ProxyRequest, int, byte[], byte[]> GetBodiesFlipped(string prefix, Action flipped)
        => (r, status, body) => r.Method == "GET" && status is 200 or 206 && r.Path.Contains(prefix.TrimEnd('/'), StringComparison.Ordinal) && body.Length > 0
            ? Flipped(body).Also(flipped)
            : body;

    /// <summary>A copy of <paramref name="body"/> with one bit of its middle byte flipped.</summary>
    public static byte[] Flipped(byte[] body)
    {
        var copy = (byte[])body.Clone();
        copy[copy.Length / 2] ^= 0x01;
        return copy;
    }

    /// <summary>Runs <paramref name="effect"/> and returns <paramref name="value"/> (for a side effect in an expression).</summary>
    public static T Also<T>(this T value, Action effect)
    {
        effect();
        return value;
    }
}
