using System.Diagnostics;

namespace Skybridge.Transfer;

/// <summary>
/// --max-bandwidth: a token bucket shared by every reader. Callers ask for the bytes they are about
/// to move and wait until the average rate stays under the limit (one second of burst allowed).
/// </summary>
public sealed class BandwidthLimiter
{
    private readonly double _bytesPerSecond;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private double _tokens;
    private double _lastSeconds;

    /// <summary>A limit of <paramref name="bytesPerSecond"/> (more than 0) across all callers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytesPerSecond"/> is 0 or less.</exception>
    public BandwidthLimiter(long bytesPerSecond)
    {
        if (bytesPerSecond <= 0) throw new ArgumentOutOfRangeException(nameof(bytesPerSecond));
        _bytesPerSecond = bytesPerSecond;
        _tokens = bytesPerSecond;
    }

    /// <summary>The limit, in bytes per second.</summary>
    public long BytesPerSecond => (long)_bytesPerSecond;

    /// <summary>Takes <paramref name="bytes"/> from the bucket, waiting as long as needed to keep the average under the limit.</summary>
    public async ValueTask WaitAsync(long bytes, CancellationToken ct)
    {
        TimeSpan delay;
        lock (_gate)
        {
            var now = _clock.Elapsed.TotalSeconds;
            _tokens = Math.Min(_bytesPerSecond, _tokens + (now - _lastSeconds) * _bytesPerSecond);
            _lastSeconds = now;
            _tokens -= bytes; // may go negative: the debt is paid by waiting
            delay = _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _bytesPerSecond);
        }
        if (delay > TimeSpan.Zero) await Task.Delay(delay, ct).ConfigureAwait(false);
    }
}
