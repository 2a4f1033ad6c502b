using System.Security.Cryptography;
using Skybridge.Providers.AzureBlob;
using Skybridge.Tests.Bench;
using Skybridge.Transfer;

namespace Skybridge.Tests.Blob;

/// <summary>
/// The Azure destination's Put Blob carries the write's own MD5 (the source ETag's) as its
/// transactional Content-MD5, through the real SDK, to the blackhole sink checking it as Azure does:
/// the right bytes are stored, changed bytes are refused with nothing written, and no MD5 is sent
/// (nor computed) when the write does not ask for the check.
/// </summary>
public sealed class TransactionalMd5Tests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private BlackholeServer _sink = null!;
    private AzureBlobDestination _destination = null!;

    public async Task InitializeAsync()
    {
        _sink = await BlackholeServer.StartAsync();
        var cs = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};BlobEndpoint={_sink.BaseUri}";
        _destination = AzureBlobDestination.Create(BlobLocation.Parse(new Uri(_sink.BaseUri, "proofs").ToString()), credential: null, connectionString: cs,
            configure: o => o.Retry.MaxRetries = 0);
        await _destination.EnsureContainerAsync(None);
    }

    public async Task DisposeAsync() => await _sink.DisposeAsync();

    private static byte[] Bytes(int n, int seed) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    private async Task<long> VerifiedBytesAsync()
    {
        var stats = System.Text.Json.JsonDocument.Parse(await _sink.Http.GetStringAsync(new Uri(_sink.BaseUri, "/_blackhole/stats")));
        return stats.RootElement.GetProperty("md5VerifiedBytes").GetInt64();
    }

    [Fact]
    public async Task A_put_blob_carries_the_known_md5_and_the_destination_checks_it()
    {
        var data = Bytes(5000, 1);
        await _destination.PutAsync("right.bin", data, new BlobWrite { ContentMd5 = MD5.HashData(data), VerifyOnArrival = true }, None);
        Assert.Equal(data.Length, (await _destination.GetAsync("right.bin", None))!.Size);
        Assert.Equal(data.Length, await VerifiedBytesAsync());
    }

    [Fact]
    public async Task Bytes_that_differ_from_the_known_md5_are_refused_as_an_integrity_failure_and_nothing_is_written()
    {
        var data = Bytes(5000, 2);
        var flipped = (byte[])data.Clone();
        flipped[2500] ^= 0x01;
        var e = await Assert.ThrowsAsync<SkybridgeException>(() =>
            _destination.PutAsync("flipped.bin", flipped, new BlobWrite { ContentMd5 = MD5.HashData(data), VerifyOnArrival = true }, None));
        Assert.Equal(ErrorKind.Integrity, e.Kind);
        Assert.Contains("Md5Mismatch", e.Message);
        Assert.Contains("nothing was written", e.Message);
        Assert.Null(await _destination.GetAsync("flipped.bin", None));
    }

    [Fact]
    public async Task Without_the_check_no_transactional_md5_is_sent()
    {
        var data = Bytes(5000, 3);
        await _destination.PutAsync("plain.bin", data, new BlobWrite { ContentMd5 = MD5.HashData(data), VerifyOnArrival = false }, None);
        Assert.Equal(0, await VerifiedBytesAsync());
        Assert.Equal(MD5.HashData(data), (await _destination.GetAsync("plain.bin", None))!.ContentMd5); // the blob's own Content-MD5 is set either way
    }

    /// <summary>A forward-only body, as an S3 GET response is.</summary>
    private class ForwardOnly(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_streamed_put_goes_in_one_put_blob_checked_against_the_known_md5(bool flip)
    {
        var data = Bytes(3 << 20, 4);
        var sent = (byte[])data.Clone();
        if (flip) sent[1 << 20] ^= 0x01;
        var put = _destination.PutAsync("streamed.bin", new ForwardOnly(sent), data.Length, new BlobWrite { ContentMd5 = MD5.HashData(data), VerifyOnArrival = true }, None);
        if (flip) Assert.Equal(ErrorKind.Integrity, (await Assert.ThrowsAsync<SkybridgeException>(() => put)).Kind);
        else await put;
        var stats = System.Text.Json.JsonDocument.Parse(await _sink.Http.GetStringAsync(new Uri(_sink.BaseUri, "/_blackhole/stats"))).RootElement;
        Assert.Equal(1, stats.GetProperty("operations").GetProperty("PutBlob").GetInt64());
        Assert.False(stats.GetProperty("operations").TryGetProperty("PutBlock", out _));
        Assert.Equal(flip ? null : data.Length, (await _destination.GetAsync("streamed.bin", None))?.Size);
    }

    /// <summary>A forward-only body that hands out <paramref name="chunk"/> bytes per read, <paramref name="pause"/> apart, and none after <paramref name="stallAfter"/> bytes.</summary>
    private sealed class Trickle(byte[] data, int chunk, TimeSpan pause, long stallAfter = long.MaxValue) : ForwardOnly(data)
    {
        private long _read;
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            await Task.Delay(_read >= stallAfter ? Timeout.InfiniteTimeSpan : pause, ct);
            var piece = new byte[Math.Min(chunk, buffer.Length)];
            var n = Read(piece, 0, piece.Length); // MemoryStream's own array read (its span and async reads would come back here)
            piece.AsSpan(0, n).CopyTo(buffer.Span);
            _read += n;
            return n;
        }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    }

    private AzureBlobDestination WithNetworkTimeout(TimeSpan timeout)
    {
        var cs = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};BlobEndpoint={_sink.BaseUri}";
        return AzureBlobDestination.Create(BlobLocation.Parse(new Uri(_sink.BaseUri, "proofs").ToString()), credential: null, connectionString: cs,
            configure: o => { o.Retry.MaxRetries = 0; o.Retry.NetworkTimeout = timeout; });
    }

    [Fact]
    public async Task A_streamed_put_that_keeps_making_progress_may_take_longer_than_the_network_timeout()
    {
        // 16 reads 400 ms apart: ~6.4 s for the body, with a 3 s network timeout (a large object on a slow link, in small;
        // 3 s, not less, leaves the answer after the last byte time on a loaded machine).
        var data = Bytes(16 * 4096, 5);
        var destination = WithNetworkTimeout(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), destination.StallTimeout);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await destination.PutAsync("slow.bin", new Trickle(data, 4096, TimeSpan.FromMilliseconds(400)), data.Length,
            new BlobWrite { ContentMd5 = MD5.HashData(data), VerifyOnArrival = true }, None);
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(4.5), $"the body took {clock.Elapsed}");
        Assert.Equal(data.Length, (await destination.GetAsync("slow.bin", None))!.Size);
    }

    [Fact]
    public async Task A_streamed_put_whose_body_stalls_fails_as_transient_after_the_network_timeout_and_writes_nothing()
    {
        var data = Bytes(16 * 4096, 6);
        var destination = WithNetworkTimeout(TimeSpan.FromSeconds(3));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SkybridgeException>(() => destination.PutAsync("stalled.bin",
            new Trickle(data, 4096, TimeSpan.FromMilliseconds(10), stallAfter: 8 * 4096), data.Length,
            new BlobWrite { ContentMd5 = MD5.HashData(data), VerifyOnArrival = true }, None));
        Assert.Equal(ErrorKind.Transient, e.Kind);
        Assert.Contains("stalled", e.Message);
        Assert.Contains("32768 of 65536 bytes", e.Message);
        Assert.NotNull(e.Fix);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"gave up after {clock.Elapsed}");
        Assert.Null(await destination.GetAsync("stalled.bin", None));
    }
}
