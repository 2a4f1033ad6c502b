using System.Diagnostics;
using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

public class BandwidthLimiterTests
{
    [Fact]
    public async Task Holds_the_average_rate_under_the_limit_after_a_one_second_burst()
    {
        var limiter = new BandwidthLimiter(1_000_000); // 1 MB/s, 1 s of burst
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 15; i++) await limiter.WaitAsync(100_000, default); // 1.5 MB
        // The first 1 MB passes at once (the burst), the next 0.5 MB takes ~0.5 s.
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.4, 5.0); // generous upper bound: CI machines are busy
    }

    [Fact]
    public async Task Waiting_can_be_cancelled()
    {
        var limiter = new BandwidthLimiter(1000);
        await limiter.WaitAsync(1000, default);
        using var cts = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => limiter.WaitAsync(100_000, cts.Token).AsTask());
    }
}
