using System.Buffers;
using System.Security.Cryptography;

namespace Skybridge.Transfer.ServiceSide;

/// <summary>
/// verify --hash: the MD5 of a source object's bytes, read through ranged GETs pinned to its
/// ETag. For objects whose ETag is not an MD5 (multipart, SSE-KMS) this is the only way to compare
/// a blob with its source byte for byte — needed after a service-side copy, where no byte passed
/// through this host.
/// </summary>
internal static class SourceHash
{
    private const int Chunk = 8 * 1024 * 1024;

    public static async Task<byte[]> Md5Async(IObjectSource source, SourceObject obj, BandwidthLimiter? limiter, ITransferProgress stats, CancellationToken ct)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Chunk, Math.Max(1, obj.Size)));
        try
        {
            for (long offset = 0; offset < obj.Size; offset += Chunk)
            {
                var length = (int)Math.Min(Chunk, obj.Size - offset);
                if (limiter is not null) await limiter.WaitAsync(length, ct).ConfigureAwait(false);
                await source.ReadAsync(obj, offset, buffer.AsMemory(0, length), ct).ConfigureAwait(false);
                md5.AppendData(buffer.AsSpan(0, length));
                stats.OnBytes(length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return md5.GetHashAndReset();
    }
}
