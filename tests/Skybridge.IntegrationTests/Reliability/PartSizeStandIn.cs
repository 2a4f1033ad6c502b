using System.Collections.Concurrent;
using System.Globalization;

namespace Skybridge.IntegrationTests.Reliability;

/// <summary>
/// TEST STAND-IN (never shipped): makes a <see cref="FaultProxy"/> in front of RGW answer
/// HEAD ?partNumber=N the way S3 does, for the multipart objects a test uploaded. The sandbox's RGW
/// (Pacific) ignores partNumber and answers with the whole object (measured by the source contract:
/// <c>RgwSourceContract</c>), so S3ObjectSource rightly reports "part sizes unknown" there; behind
/// this stand-in the HEAD says part N's length (Content-Length) and the number of parts
/// (x-amz-mp-parts-count), as AWS S3 and RGW from Squid on do. Everything else passes untouched.
/// </summary>
public sealed class PartSizeStandIn
{
    private readonly ConcurrentDictionary<string, long[]> _layouts = new(StringComparer.Ordinal);
    private int _answered;

    /// <summary>HEADs answered with a part's size.</summary>
    public int Answered => Volatile.Read(ref _answered);

    /// <summary>Makes <paramref name="proxy"/> (a path-style S3 proxy) report the parts of the objects added with <see cref="Add"/>.</summary>
    public PartSizeStandIn(FaultProxy proxy) => proxy.OnResponseHeaders = Edit;

    /// <summary>The part sizes of <paramref name="bucket"/>/<paramref name="key"/>, as it was uploaded.</summary>
    public void Add(string bucket, string key, IEnumerable<int> partSizes) => _layouts[$"/{bucket}/{key}"] = partSizes.Select(p => (long)p).ToArray();

    private void Edit(ProxyRequest request, int status, List<KeyValuePair<string, string>> headers)
    {
        if (request.Method != "HEAD" || status != 200) return;
        var partNumber = request.Query.Split('&').Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0] == "partNumber" && p.Length == 2)?[1];
        if (partNumber is null || !int.TryParse(partNumber, CultureInfo.InvariantCulture, out var n)) return;
        if (!_layouts.TryGetValue(Uri.UnescapeDataString(request.Path), out var parts) || n < 1 || n > parts.Length) return;
        headers.RemoveAll(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("x-amz-mp-parts-count", StringComparison.OrdinalIgnoreCase));
        headers.Add(new("Content-Length", parts[n - 1].ToString(CultureInfo.InvariantCulture)));
        headers.Add(new("x-amz-mp-parts-count", parts.Length.ToString(CultureInfo.InvariantCulture)));
        Interlocked.Increment(ref _answered);
    }
}
