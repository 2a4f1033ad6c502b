using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Skybridge.Transfer;

namespace Skybridge.Providers.S3;

/// <summary>
/// <see cref="IObjectSource"/> over the AWS SDK: ListObjectsV2 pages, ranged GETs with If-Match on
/// the listed ETag, HEAD ?partNumber= for multipart boundaries, GetObjectTagging. The SDK's retry
/// policy handles throttling and transient HTTP failures; this class only retries a body that broke
/// off mid-stream (which the SDK cannot replay).
/// </summary>
public sealed class S3ObjectSource(IAmazonS3 s3, S3Location location) : IObjectSource, IResumableSource, IStreamingSource, IFolderListing, IObjectHead
{
    /// <summary>Presigns URLs for service-side copies (null: this source is read by streaming only).</summary>
    public Transfer.ServiceSide.IPresigningSource? Presigner { get; init; }

    /// <summary>S3: listing after a key and by folder (delimiter '/'), ETags that are MD5s or multipart ETags, full-object CRC64s on HEAD, objects up to 5 TiB; presigning when configured.</summary>
    public SourceCapabilities Capabilities => _capabilities ??= new SourceCapabilities
    {
        ListAfter = this,
        Folders = this,
        Presigner = Presigner,
        Checksums = SourceChecksums.EtagMd5 | SourceChecksums.MultipartEtag | SourceChecksums.Crc64Nvme,
        MaxObjectSize = 5L << 40,
        Streams = this,
        Head = this,
    };
    private SourceCapabilities? _capabilities;

    // 3 was not enough under the reliability suite's 12% faults: with ~4.6% of GET bodies cut off,
    // three in a row for one of ~600 reads failed an object in about one run in 16. 5 attempts
    // (waits 0.2 + 0.8 + 1.8 + 3.2 s) make that ~1 in 10,000.
    private const int BodyAttempts = 5;

    /// <inheritdoc/>
    public string Describe => location.ToString();
    /// <inheritdoc/>
    public string Bucket => location.Bucket;
    /// <inheritdoc/>
    public string Prefix => location.Prefix;

    /// <summary>First-level folders listed in parallel (1 = one flat listing).</summary>
    public int ListParallelism { get; init; } = 4;

    /// <inheritdoc/>
    public IAsyncEnumerable<SourceObject> ListAsync(CancellationToken ct)
        => PrefixFanOut.ListAsync((p, d, c, t) => ListPageAsync(p, d, c, null, t), location.Prefix, ListParallelism, bufferPerPrefix: 2000, ct);

    /// <summary>A resumed job's listing: only keys after <paramref name="startAfter"/> are requested (StartAfter).</summary>
    public IAsyncEnumerable<SourceObject> ListAfterAsync(string startAfter, CancellationToken ct)
        => PrefixFanOut.ListAsync(StartAfterListing.Wrap(ListPageAsync, startAfter), location.Prefix, ListParallelism, bufferPerPrefix: 2000, ct);

    /// <summary>
    /// One level under <paramref name="prefix"/>: ListObjectsV2 with delimiter '/', objects and common
    /// prefixes merged in key order; after a key as <see cref="StartAfterListing"/> does it (a folder
    /// holding the key is kept, whatever the server does with StartAfter inside a folder).
    /// </summary>
    public async IAsyncEnumerable<FolderEntry> ListLevelAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken ct)
    {
        ListPageFunc listPage = startAfter is null ? (p, d, c, t) => ListPageAsync(p, d, c, null, t) : StartAfterListing.Wrap(ListPageAsync, startAfter);
        string? continuation = null;
        do
        {
            var page = await listPage(prefix, "/", continuation, ct).ConfigureAwait(false);
            foreach (var (obj, folder) in page.InKeyOrder()) yield return obj is not null ? new FolderEntry(obj.Key, false) : new FolderEntry(folder!, true);
            continuation = page.NextToken;
        } while (continuation is not null);
    }

    /// <summary>The object as a listing shows it now (ListObjectsV2 with the key as prefix: its first entry is the key itself).</summary>
    public async Task<SourceObject?> GetAsync(string key, CancellationToken ct)
    {
        var page = await ListPageAsync(key, null, null, null, ct).ConfigureAwait(false);
        return page.Objects.FirstOrDefault(o => o.Key == key);
    }

    private async Task<ListPage> ListPageAsync(string prefix, string? delimiter, string? continuation, string? startAfter, CancellationToken ct)
    {
        var request = new ListObjectsV2Request
        {
            BucketName = location.Bucket, Prefix = prefix, Delimiter = delimiter, ContinuationToken = continuation, MaxKeys = 1000,
            StartAfter = startAfter,
        };
        var page = await ListPageAsync(request, ct).ConfigureAwait(false);
        var objects = (page.S3Objects ?? []).Select(o => new SourceObject(o.Key, o.Size ?? 0, CompositeEtag.Normalize(o.ETag), Utc(o.LastModified), o.StorageClass?.Value)).ToList();
        return new ListPage(objects, page.CommonPrefixes ?? [], page.IsTruncated == true ? page.NextContinuationToken : null);
    }

    private async Task<ListObjectsV2Response> ListPageAsync(ListObjectsV2Request request, CancellationToken ct)
    {
        try
        {
            return await s3.ListObjectsV2Async(request, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw Refused(e, "list", $"s3:ListBucket on arn:aws:s3:::{location.Bucket}" + (location.Prefix.Length > 0 ? $" (prefix {location.Prefix}*)" : ""));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw SkybridgeException.Usage($"S3 bucket '{location.Bucket}' does not exist ({e.ErrorCode}).", "Check the bucket name, --region and --s3-endpoint.");
        }
        catch (AmazonServiceException e)
        {
            throw S3Errors.Map(e);
        }
    }

    private SkybridgeException Refused(AmazonS3Exception e, string what, string permission)
        => SkybridgeException.Auth($"S3 refused to {what} {location} ({(int)e.StatusCode} {e.ErrorCode}).",
            $"Grant the role {permission}; 'skybridge doctor' checks every link of the chain.", e);

    /// <inheritdoc/>
    public async Task<SourceProperties> ReadAsync(SourceObject obj, long offset, Memory<byte> destination, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var range = destination.Length == 0 || (offset == 0 && destination.Length == obj.Size && obj.Size <= WholeGetMax)
                    ? null : new ByteRange(offset, offset + destination.Length - 1);
                using var response = await GetAsync(obj, range, ct).ConfigureAwait(false);
                await ReadBodyAsync(obj, response, destination, ct).ConfigureAwait(false);
                return S3ObjectProperties.From(response);
            }
            catch (Exception e) when (attempt < BodyAttempts && e is IOException or EndOfStreamException && !ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt * attempt), ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task ReadBodyAsync(SourceObject obj, GetObjectResponse response, Memory<byte> destination, CancellationToken ct)
    {
        try
        {
            await using var body = response.ResponseStream;
            await body.ReadExactlyAsync(destination, ct).ConfigureAwait(false);
        }
        catch (AmazonClientException e)
        {
            // Reading and closing a body fail with IOException; this is the SDK's MD5 check of a whole body.
            throw new SkybridgeException(ErrorKind.Integrity,
                $"MD5 check failed for {Diagnostics.DisplayName.Escape(obj.Key)}: the bytes read from S3 do not match its ETag (the S3 SDK's check of a whole-object GET); nothing was committed",
                "Run the same command again: the bytes changed on the way from S3 (objects already copied are skipped).", e);
        }
    }

    /// <summary>
    /// A small object is read whole without a Range header: Ceph RGW spends ~30% more CPU on a ranged
    /// GET of a 16 KiB object than on a plain one (bench/findings.md), on the same cores as this
    /// host in a benchmark. The SDK then checks the body against a plain-MD5 ETag itself (~30 us for
    /// 16 KiB; the destination's check makes it redundant, but it costs less than the range saves);
    /// above this size the hash costs more than the range saves.
    /// </summary>
    internal const long WholeGetMax = 64 * 1024;

    /// <summary>
    /// The whole body in one GET pinned to the listed ETag (a body that breaks off is the caller's to
    /// retry: it cannot be resumed mid-request). Asked as the range 0..size-1: for a GET of a whole
    /// object the SDK hashes every byte to compare with the ETag (its MD5 fallback, whatever
    /// ResponseChecksumValidation says), the very pass the destination's check makes unneeded.
    /// </summary>
    public async Task<SourceBody> OpenAsync(SourceObject obj, CancellationToken ct)
    {
        var response = await GetAsync(obj, obj.Size > 0 ? new ByteRange(0, obj.Size - 1) : null, ct).ConfigureAwait(false);
        return new SourceBody(response.ResponseStream, S3ObjectProperties.From(response), response);
    }

    /// <summary>GetObject with If-Match on the listed ETag; its failures mapped (changed, refused, the rest).</summary>
    private async Task<GetObjectResponse> GetAsync(SourceObject obj, ByteRange? range, CancellationToken ct)
    {
        var request = new GetObjectRequest { BucketName = location.Bucket, Key = obj.Key, EtagToMatch = Quote(obj.ETag), ByteRange = range };
        try
        {
            var response = await s3.GetObjectAsync(request, ct).ConfigureAwait(false);
            if (CompositeEtag.Normalize(response.ETag) is var etag && etag.Length > 0 && etag != CompositeEtag.Normalize(obj.ETag))
            {
                response.Dispose();
                throw new SourceChangedException(obj.Key);
            }
            return response;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            throw new SourceChangedException(obj.Key, e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw Refused(e, "read objects of", $"s3:GetObject on arn:aws:s3:::{location.Bucket}/{location.Prefix}*");
        }
        catch (AmazonServiceException e)
        {
            throw S3Errors.Map(e);
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<long>?> GetPartSizesAsync(SourceObject obj, int partCount, CancellationToken ct)
    {
        if (partCount == 1) return [obj.Size];
        var sizes = new long[partCount];
        // A server that honours partNumber answers with the part's length and x-amz-mp-parts-count;
        // one that ignores it (Ceph RGW before Squid) returns the whole object.
        var first = await HeadPartAsync(obj, 1, ct).ConfigureAwait(false);
        if (first.PartsCount is null && first.ContentLength == obj.Size) return null;
        sizes[0] = first.ContentLength;
        await Parallel.ForEachAsync(Enumerable.Range(2, partCount - 1), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (part, token) => sizes[part - 1] = (await HeadPartAsync(obj, part, token).ConfigureAwait(false)).ContentLength).ConfigureAwait(false);
        return sizes;
    }

    /// <summary>
    /// HEAD with ChecksumMode ENABLED, pinned to the listed ETag: S3 then reports the object's
    /// checksums (x-amz-checksum-crc64nvme for every object uploaded to AWS since early 2025). A
    /// ranged GET never carries them, and a whole-object GET would have the SDK hash every byte.
    /// </summary>
    public async Task<SourceProperties> HeadAsync(SourceObject obj, CancellationToken ct)
        => S3ObjectProperties.From(await HeadAsync(obj, null, ct).ConfigureAwait(false));

    private Task<GetObjectMetadataResponse> HeadPartAsync(SourceObject obj, int part, CancellationToken ct) => HeadAsync(obj, part, ct);

    private async Task<GetObjectMetadataResponse> HeadAsync(SourceObject obj, int? part, CancellationToken ct)
    {
        try
        {
            return await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest
            {
                BucketName = location.Bucket, Key = obj.Key, PartNumber = part, EtagToMatch = Quote(obj.ETag),
                ChecksumMode = part is null ? ChecksumMode.ENABLED : null,
            }, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            throw new SourceChangedException(obj.Key, e);
        }
        catch (AmazonServiceException e)
        {
            throw S3Errors.Map(e);
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<string, string>> GetTagsAsync(SourceObject obj, CancellationToken ct)
    {
        GetObjectTaggingResponse response;
        try
        {
            response = await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = location.Bucket, Key = obj.Key }, ct).ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            throw S3Errors.Map(e);
        }
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in response.Tagging ?? []) tags[t.Key] = t.Value ?? "";
        return tags;
    }

    /// <summary>The SDK may hand back local or unspecified kinds; S3 times are UTC.</summary>
    internal static DateTimeOffset Utc(DateTime? t) => t switch
    {
        null => DateTimeOffset.UnixEpoch,
        { Kind: DateTimeKind.Unspecified } u => new DateTimeOffset(DateTime.SpecifyKind(u, DateTimeKind.Utc)),
        { } k => new DateTimeOffset(k.ToUniversalTime()),
    };

    private static string Quote(string etag) => "\"" + CompositeEtag.Normalize(etag) + "\"";
}
