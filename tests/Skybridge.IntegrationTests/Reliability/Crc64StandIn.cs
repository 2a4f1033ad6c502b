using System.Collections.Concurrent;
using Amazon.S3;
using Amazon.S3.Model;
using Skybridge.Providers.S3;
using Skybridge.Transfer;

namespace Skybridge.IntegrationTests.Reliability;

/// <summary>
/// TEST STAND-IN (never shipped): makes a <see cref="FaultProxy"/> in front of RGW answer a HEAD
/// that asks for checksums (x-amz-checksum-mode: ENABLED, no partNumber) the way AWS S3 does for
/// objects uploaded since early 2025: x-amz-checksum-crc64nvme (base64 of the CRC-64/NVME's 8 bytes,
/// most significant first) with x-amz-checksum-type: FULL_OBJECT. RGW here sends no checksum
/// headers; the CRC is computed from the object's bytes as RGW returns them (read straight from
/// RGW, not through the proxy, when the object is added). Other requests pass untouched; a hook
/// already on the proxy (e.g. <see cref="PartSizeStandIn"/>) still runs first.
/// </summary>
public sealed class Crc64StandIn
{
    private readonly ConcurrentDictionary<string, string> _headers = new(StringComparer.Ordinal);
    private int _answered;

    /// <summary>HEADs answered with a CRC64.</summary>
    public int Answered => Volatile.Read(ref _answered);

    public Crc64StandIn(FaultProxy proxy)
    {
        var before = proxy.OnResponseHeaders;
        proxy.OnResponseHeaders = (request, status, headers) =>
        {
            before?.Invoke(request, status, headers);
            Edit(request, status, headers);
        };
    }

    /// <summary>Reads <paramref name="bucket"/>/<paramref name="key"/> from RGW with <paramref name="s3"/> and keeps its CRC64 for the HEADs.</summary>
    public async Task AddAsync(IAmazonS3 s3, string bucket, string key)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key });
        using var bytes = new MemoryStream();
        await response.ResponseStream.CopyToAsync(bytes);
        _headers[$"/{bucket}/{key}"] = S3Checksums.Crc64Header(Crc64.Of(bytes.ToArray()));
    }

    private void Edit(ProxyRequest request, int status, List<KeyValuePair<string, string>> headers)
    {
        if (request.Method != "HEAD" || status != 200 || request.Query.Contains("partNumber=", StringComparison.Ordinal)) return;
        if (!string.Equals(request.Header("x-amz-checksum-mode"), "ENABLED", StringComparison.OrdinalIgnoreCase)) return;
        if (!_headers.TryGetValue(Uri.UnescapeDataString(request.Path), out var crc)) return;
        headers.RemoveAll(h => h.Key.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase));
        headers.Add(new("x-amz-checksum-crc64nvme", crc));
        headers.Add(new("x-amz-checksum-type", "FULL_OBJECT"));
        Interlocked.Increment(ref _answered);
    }
}
