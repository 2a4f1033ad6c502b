namespace Skybridge.Transfer;

/// <summary>
/// A read-only view of a source body that waits for the bandwidth limit before each read and
/// reports the bytes read (progress), for a copy that hands the stream itself to the destination.
/// </summary>
internal sealed class PacedStream(Stream inner, BandwidthLimiter? limiter, Action<int> onRead) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (limiter is not null) await limiter.WaitAsync(buffer.Length, ct).ConfigureAwait(false);
        var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        onRead(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        limiter?.WaitAsync(count, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var n = inner.Read(buffer, offset, count);
        onRead(n);
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
