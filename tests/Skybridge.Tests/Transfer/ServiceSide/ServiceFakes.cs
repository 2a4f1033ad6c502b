using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Tests.Transfer.ServiceSide;

/// <summary>A minimal Azure response: status, headers, body (to build the RequestFailedException Azure would throw).</summary>
internal sealed class FakeResponse(int status, IDictionary<string, string> headers, string body = "") : Response
{
    public override int Status => status;
    public override string ReasonPhrase => "";
    public override Stream? ContentStream { get; set; } = new MemoryStream(Encoding.UTF8.GetBytes(body));
    public override string ClientRequestId { get; set; } = "test";
    public override void Dispose() { }
    protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
    {
        foreach (var (k, v) in headers) if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) { value = v; return true; }
        value = null;
        return false;
    }
    protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
    {
        var ok = TryGetHeader(name, out var v);
        values = ok ? [v!] : null;
        return ok;
    }
    protected override bool ContainsHeader(string name) => TryGetHeader(name, out _);
    protected override IEnumerable<HttpHeader> EnumerateHeaders() => headers.Select(h => new HttpHeader(h.Key, h.Value));

    /// <summary>What Azure answers when the source of a from-URL call fails (sourceStatus null: Azure got no answer).</summary>
    public static RequestFailedException CopySourceError(int? sourceStatus, string? sourceCode = null, int destinationStatus = 409)
    {
        var h = new Dictionary<string, string> { ["x-ms-error-code"] = "CannotVerifyCopySource" };
        if (sourceStatus is { } s) h["x-ms-copy-source-status-code"] = s.ToString();
        if (sourceCode is not null) h["x-ms-copy-source-error-code"] = sourceCode;
        return new RequestFailedException(new FakeResponse(destinationStatus, h,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>CannotVerifyCopySource</Code><Message>source failed</Message></Error>"));
    }

    public static RequestFailedException Plain(int status, string code)
        => new(new FakeResponse(status, new Dictionary<string, string> { ["x-ms-error-code"] = code }));
}

/// <summary>Presigns fake URLs for a <see cref="FakeSource"/>; URLs can be made to look revoked.</summary>
internal sealed class FakePresigner(FakeSource source, Uri? endpoint = null) : IPresigningSource
{
    public int Presigned;
    public int PadTo;                       // pad URLs to this length (URL-length decisions)
    public bool SessionsTooShort;           // like S3Presigner when even a fresh session ends within a minute
    public readonly ConcurrentDictionary<string, SourceObject> Urls = new();
    public Uri Endpoint { get; } = endpoint ?? new Uri("https://s3.eu-west-1.amazonaws.com/");

    public Task<PresignedUrl> PresignAsync(SourceObject obj, CancellationToken ct)
    {
        if (SessionsTooShort) throw PresignPolicy.SessionTooShort(DateTimeOffset.UtcNow.AddSeconds(20));
        var n = Interlocked.Increment(ref Presigned);
        var url = $"{Endpoint}{source.Bucket}/{Uri.EscapeDataString(obj.Key)}?X-Amz-Signature=sig{n}&X-Amz-Security-Token=token";
        if (url.Length < PadTo) url += "&pad=" + new string('p', PadTo - url.Length - 5);
        var u = new Uri(url);
        Urls[u.AbsoluteUri] = obj;
        return Task.FromResult(new PresignedUrl(u, DateTimeOffset.UtcNow.AddHours(1)));
    }

    public async Task<SourceProperties> HeadAsync(SourceObject obj, CancellationToken ct)
        => source.OffersCrc64 ? await source.HeadAsync(obj, ct) : await source.ReadAsync(obj, 0, Memory<byte>.Empty, ct);
}

/// <summary>
/// Plays Azure for from-URL calls: "fetches" the presigned URL's object from the fake source by
/// range (pinned to the ETag like x-ms-source-if-match) and stores blocks/blobs in a
/// <see cref="FakeDestination"/> (blocks staged from a URL are the blob's uncommitted blocks, as in
/// Azure). <see cref="Fail"/> injects Azure's answers per call.
/// </summary>
internal sealed class FakeFromUrl(FakePresigner presigner, FakeSource source, FakeDestination blobs, Uri? endpoint = null) : ICopyFromUrlDestination
{
    public int Calls, Fetched;
    public long BytesFetched;
    /// <summary>Called per from-URL call with the call number (1-based): an exception to throw instead, or null.</summary>
    public Func<int, PresignedUrl, Exception?>? Fail;
    public Uri Endpoint { get; } = endpoint ?? new Uri("https://acct.blob.core.windows.net/c");

    /// <summary>The URL's object from <paramref name="offset"/>, <paramref name="length"/> bytes (null: to the end).</summary>
    private async Task<byte[]> FetchAsync(PresignedUrl url, string etag, long offset, long? length)
    {
        var n = Interlocked.Increment(ref Calls);
        if (Fail?.Invoke(n, url) is { } e) throw e;
        // Azure checks x-ms-copy-source's length before fetching anything.
        if (url.Length > blobs.UrlLimit) throw FakeResponse.Plain(400, "OutOfRangeInput");
        var obj = presigner.Urls[url.Url.AbsoluteUri];
        if (obj.ETag != etag) throw FakeResponse.CopySourceError(412, "PreconditionFailed");
        var data = new byte[length ?? obj.Size - offset];
        try { await source.ReadAsync(obj, offset, data, CancellationToken.None); }
        catch (SourceChangedException) { throw FakeResponse.CopySourceError(412, "PreconditionFailed"); }
        Interlocked.Increment(ref Fetched);
        Interlocked.Add(ref BytesFetched, data.Length);
        return data;
    }

    // Failures are Azure's wire answers, passed through the real adapter's mapping (as AzureCopyFromUrlDestination does).
    public Task PutFromUrlAsync(string name, PresignedUrl src, string sourceEtag, byte[]? sourceMd5, BlobWrite write, CancellationToken ct)
        => Skybridge.Providers.AzureBlob.AzureCopySourceErrors.Call(() => PutAsync(name, src, sourceEtag, sourceMd5, write));

    private async Task PutAsync(string name, PresignedUrl src, string sourceEtag, byte[]? sourceMd5, BlobWrite write)
    {
        var data = await FetchAsync(src, sourceEtag, 0, null);
        if (sourceMd5 is not null && !MD5.HashData(data).AsSpan().SequenceEqual(sourceMd5)) throw FakeResponse.Plain(400, "Md5Mismatch");
        lock (blobs.Blobs) blobs.Blobs[name] = (data, write, DateTimeOffset.UtcNow);
    }

    /// <summary>Like Azure: each staged block's CRC64, computed from what was fetched, is in the answer (unless <see cref="ReportsCrc64"/> is off).</summary>
    public bool ReportsCrc64 { get; set; } = true;

    public async Task<Crc64?> StageBlockFromUrlAsync(string name, string blockId, PresignedUrl src, string sourceEtag, long offset, long length, CancellationToken ct)
    {
        Crc64? crc = null;
        await Skybridge.Providers.AzureBlob.AzureCopySourceErrors.Call(async () =>
        {
            var data = await FetchAsync(src, sourceEtag, offset, length);
            blobs.StageRaw(name, blockId, data);
            if (ReportsCrc64) crc = Crc64.Of(data);
        });
        return crc;
    }

    public Task CommitAsync(string name, IReadOnlyList<string> blockIds, BlobWrite write, CancellationToken ct)
    {
        blobs.Commit(name, blockIds, write, streamed: false);
        return Task.CompletedTask;
    }
}
