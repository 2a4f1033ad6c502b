using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Skybridge.Transfer;

namespace Skybridge.Tests.Transfer;

/// <summary>
/// An in-memory S3 bucket: sorted listing, ranged reads pinned to ETags, real multipart ETags.
/// Passes the source contract (Contracts/SourceContract.cs, run by FakeSourceContract).
/// </summary>
internal sealed class FakeSource(string bucket = "bucket", string prefix = "", FakeSource? sameBucketAs = null) : IObjectSource, IResumableSource, IStreamingSource, IFolderListing, IObjectHead
{
    private readonly SortedDictionary<string, Entry> _objects = sameBucketAs?._objects ?? new(Utf8Ordinal.Instance);
    public sealed record Entry(SourceObject Object, byte[] Data, long[]? Parts, SourceProperties Props, Dictionary<string, string> Tags);

    public string Describe => $"s3://{bucket}/{prefix}";
    public string Bucket => bucket;
    public string Prefix => prefix;
    /// <summary>Set to offer service-side copies (a FakePresigner over this source).</summary>
    public Skybridge.Transfer.ServiceSide.IPresigningSource? Presigner { get; set; }
    /// <summary>Set to offer listing after a key (<see cref="IResumableSource"/>), as S3 does.</summary>
    public bool OffersListAfter { get; set; }
    public SourceCapabilities Capabilities => new()
    {
        Presigner = Presigner, ListAfter = OffersListAfter ? this : null, Folders = OffersFolders ? this : null, Checksums = SourceChecksums.EtagMd5 | SourceChecksums.MultipartEtag | (OffersCrc64 ? SourceChecksums.Crc64Nvme : 0),
        Streams = OffersStreams ? this : null, Head = OffersCrc64 ? this : null,
    };

    /// <summary>Set to keep a full-object CRC64 of every object, reported by HEAD (<see cref="IObjectHead"/>), as AWS S3 does.</summary>
    public bool OffersCrc64 { get; set; }
    public int Heads;

    /// <summary>Like S3's HEAD with ChecksumMode ENABLED: the properties with the CRC64 of the stored bytes.</summary>
    public Task<SourceProperties> HeadAsync(SourceObject obj, CancellationToken ct)
    {
        Interlocked.Increment(ref Heads);
        lock (_objects)
        {
            if (!_objects.TryGetValue(obj.Key, out var e) || e.Object.ETag != obj.ETag) throw new SourceChangedException(obj.Key);
            return Task.FromResult(e.Props with { Crc64Nvme = e.Props.Crc64Nvme ?? Crc64.Of(e.Data) });
        }
    }

    /// <summary>Set to list one level of folders at a time (<see cref="IFolderListing"/>), as S3 with delimiter '/' does.</summary>
    public bool OffersFolders { get; set; }
    /// <summary>Level listings served (each stands for at least one ListObjectsV2 request).</summary>
    public int LevelListings;

    /// <summary>Every key under the prefix, its first '/'-segment after the prefix a folder; after a key as S3 with StartAfter (a folder holding the key is kept).</summary>
    public async IAsyncEnumerable<FolderEntry> ListLevelAsync(string levelPrefix, string? startAfter, [EnumeratorCancellation] CancellationToken ct)
    {
        Interlocked.Increment(ref LevelListings);
        List<string> keys;
        lock (_objects) keys = _objects.Keys.Where(k => k.StartsWith(levelPrefix, StringComparison.Ordinal)).ToList();
        string? lastFolder = null;
        foreach (var key in keys)
        {
            await Task.Yield();
            var slash = key.IndexOf('/', levelPrefix.Length);
            if (slash < 0)
            {
                if (startAfter is null || Utf8Ordinal.Instance.Compare(key, startAfter) > 0) yield return new FolderEntry(key, false);
                continue;
            }
            var folder = key[..(slash + 1)];
            if (folder == lastFolder) continue;
            lastFolder = folder;
            if (startAfter is null || Utf8Ordinal.Instance.Compare(folder, startAfter) > 0 || startAfter.StartsWith(folder, StringComparison.Ordinal))
                yield return new FolderEntry(folder, true);
        }
    }

    /// <summary>Set to hand out whole bodies as one stream (<see cref="IStreamingSource"/>), as S3 does.</summary>
    public bool OffersStreams { get; set; }
    public int Opens;
    /// <summary>Bodies of the first N opens break off halfway (IOException), like a reset connection.</summary>
    public int BreakOpens;

    public Task<SourceBody> OpenAsync(SourceObject obj, CancellationToken ct)
    {
        var n = Interlocked.Increment(ref Opens);
        lock (_objects)
        {
            if (!_objects.TryGetValue(obj.Key, out var e) || e.Object.ETag != obj.ETag) throw new SourceChangedException(obj.Key);
            var data = (byte[])e.Data.Clone();
            if (Corrupt && data.Length > 0) data[0] ^= 0xFF;
            Stream body = new MemoryStream(data);
            if (n <= BreakOpens) body = new BreakingStream(data[..(data.Length / 2)]);
            return Task.FromResult(new SourceBody(body, e.Props));
        }
    }

    private sealed class BreakingStream(byte[] head) : MemoryStream(head)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
            => await base.ReadAsync(buffer, ct) is > 0 and var n ? n : throw new IOException("connection reset by peer");
    }

    /// <summary>Another view of the same bucket, at another prefix (as a second S3ObjectSource would be).</summary>
    public FakeSource At(string otherPrefix) => new(bucket, otherPrefix, this) { OffersListAfter = OffersListAfter, OffersFolders = OffersFolders, HidePartSizes = HidePartSizes };
    public int Reads;
    /// <summary>Called before each ranged read (to simulate an overwrite mid-copy).</summary>
    public Action<SourceObject, long>? BeforeRead;
    /// <summary>Flip bytes returned by reads (a corrupting network path).</summary>
    public bool Corrupt;

    public SourceObject Put(string key, byte[] data, long[]? parts = null, SourceProperties? props = null,
        Dictionary<string, string>? tags = null, DateTimeOffset? modified = null, string? storageClass = null)
    {
        var etag = parts is null ? Convert.ToHexStringLower(MD5.HashData(data)) : MultipartEtag(data, parts);
        var obj = new SourceObject(key, data.Length, etag, modified ?? new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), storageClass);
        props ??= new SourceProperties();
        tags ??= [];
        lock (_objects) _objects[key] = new Entry(obj, data, parts, props with { TagCount = tags.Count }, tags);
        return obj;
    }

    public void Remove(string key)
    {
        lock (_objects) _objects.Remove(key);
    }

    public static string MultipartEtag(byte[] data, long[] parts)
    {
        var digests = new List<byte>();
        long off = 0;
        foreach (var p in parts) { digests.AddRange(MD5.HashData(data.AsSpan((int)off, (int)p))); off += p; }
        return Convert.ToHexStringLower(MD5.HashData(digests.ToArray())) + "-" + parts.Length;
    }

    public IAsyncEnumerable<SourceObject> ListAsync(CancellationToken ct) => ListAfterAsync("", ct);

    public async IAsyncEnumerable<SourceObject> ListAfterAsync(string startAfter, [EnumeratorCancellation] CancellationToken ct)
    {
        List<Entry> snapshot;
        lock (_objects) snapshot = _objects.Values.ToList();
        foreach (var e in snapshot)
        {
            await Task.Yield();
            if (e.Object.Key.StartsWith(prefix, StringComparison.Ordinal) && Utf8Ordinal.Instance.Compare(e.Object.Key, startAfter) > 0) yield return e.Object;
        }
    }

    public Task<SourceObject?> GetAsync(string key, CancellationToken ct)
    {
        lock (_objects) return Task.FromResult(_objects.TryGetValue(key, out var e) ? e.Object : null);
    }

    public Task<SourceProperties> ReadAsync(SourceObject obj, long offset, Memory<byte> destination, CancellationToken ct)
    {
        BeforeRead?.Invoke(obj, offset);
        Interlocked.Increment(ref Reads);
        lock (_objects)
        {
            if (!_objects.TryGetValue(obj.Key, out var e) || e.Object.ETag != obj.ETag) throw new SourceChangedException(obj.Key);
            e.Data.AsSpan((int)offset, destination.Length).CopyTo(destination.Span);
            if (Corrupt && destination.Length > 0) destination.Span[0] ^= 0xFF;
            return Task.FromResult(e.Props);
        }
    }

    /// <summary>Behave like Ceph RGW before Squid: partNumber is ignored, part sizes unknown.</summary>
    public bool HidePartSizes;

    /// <summary>Like S3ObjectSource: a single-part object is its one part (no request), whatever the server does with partNumber.</summary>
    public Task<IReadOnlyList<long>?> GetPartSizesAsync(SourceObject obj, int partCount, CancellationToken ct)
    {
        if (obj.MultipartCount is null) return Task.FromResult<IReadOnlyList<long>?>([obj.Size]);
        lock (_objects)
        {
            // Like HEAD ?partNumber= with If-Match: a changed object fails even where partNumber is ignored.
            if (!_objects.TryGetValue(obj.Key, out var e) || e.Object.ETag != obj.ETag) throw new SourceChangedException(obj.Key);
            return Task.FromResult<IReadOnlyList<long>?>(HidePartSizes ? null : e.Parts);
        }
    }

    public Task<IReadOnlyDictionary<string, string>> GetTagsAsync(SourceObject obj, CancellationToken ct)
    {
        lock (_objects) return Task.FromResult<IReadOnlyDictionary<string, string>>(_objects[obj.Key].Tags);
    }
}

/// <summary>
/// An in-memory container that checks transactional MD5s like the service does. Passes the
/// destination contract (Contracts/DestinationContract.cs, run by FakeDestinationContract).
/// </summary>
internal sealed class FakeDestination(string prefix = "", FakeDestination? sameContainerAs = null) : IBlobDestination, IStagedBlockListing, IStreamedPut, IResumableDestination, ICrc64Staging
{
    /// <summary>Set to check a transactional CRC64 on Put Block (<see cref="ICrc64Staging"/>), as Azure does and Azurite does not.</summary>
    public bool ChecksCrc64 { get; set; }
    public int StagedWithCrc64;

    /// <summary>Set to change a byte of every staged block on the way (a Put Block body flipped after this host hashed it).</summary>
    public bool FlipInTransit { get; set; }

    /// <summary>What arrives for <paramref name="sent"/>: the same bytes, or (<see cref="FlipInTransit"/>) its first byte flipped, the same way each time.</summary>
    private ReadOnlyMemory<byte> Received(ReadOnlyMemory<byte> sent)
    {
        if (!FlipInTransit || sent.Length == 0) return sent;
        var bytes = sent.ToArray();
        bytes[0] ^= 0xFF;
        return bytes;
    }

    /// <summary>Like Azure: refuses a block whose bytes do not have the CRC64 sent with them (400 Crc64Mismatch).</summary>
    public async Task StageBlockAsync(string name, string blockId, ReadOnlyMemory<byte> content, Crc64 crc, CancellationToken ct)
    {
        if (Crc64.Of(Received(content).Span) != crc) throw new InvalidOperationException("Crc64Mismatch");
        await StageBlockAsync(name, blockId, content, (byte[]?)null, ct);
        Interlocked.Decrement(ref StagedWithoutMd5);
        Interlocked.Increment(ref StagedWithCrc64);
    }

    /// <summary>Set to list from a name on (<see cref="IResumableDestination"/>), as Azure's List Blobs startFrom does.</summary>
    public bool OffersListAfter { get; set; }
    /// <summary>Blobs the listings handed out (what a listing from the prefix's start costs, and one from a name on saves).</summary>
    public int Listed;

    /// <summary>Set to take whole objects in one streamed request (<see cref="IStreamedPut"/>), as Azure's Put Blob does.</summary>
    public bool TakesStreamedPuts { get; set; }
    public int StreamedPuts;

    /// <summary>Reads the stream once; like Azure, refuses bytes whose MD5 is not the transactional one (400 Md5Mismatch: an integrity failure).</summary>
    public async Task PutAsync(string name, Stream content, long length, BlobWrite write, CancellationToken ct)
    {
        var data = new MemoryStream();
        await content.CopyToAsync(data, ct);
        if (data.Length != length) throw new IOException($"the body was {data.Length} bytes, not {length}");
        if (write.VerifyOnArrival && !MD5.HashData(data.ToArray()).AsSpan().SequenceEqual(write.ContentMd5))
            throw new SkybridgeException(ErrorKind.Integrity, "Azure 400 Md5Mismatch: the bytes Azure received differ from the checksum sent with them (the source's), so nothing was written");
        Interlocked.Increment(ref StreamedPuts);
        CheckMetadata(write);
        lock (Blobs) Blobs[name] = (data.ToArray(), write, DateTimeOffset.UtcNow);
    }

    /// <summary>Set to offer service-side copies (a FakeFromUrl writing into this destination).</summary>
    public Skybridge.Transfer.ServiceSide.ICopyFromUrlDestination? FromUrl { get; set; }
    public int UrlLimit { get; set; } = Skybridge.Transfer.ServiceSide.PresignPolicy.CopySourceLimit;
    /// <summary>Publishes that writes may carry a transactional MD5 it checks (false: a destination that cannot prove a copy itself).</summary>
    public bool ChecksTransactionalMd5 { get; set; } = true;
    public DestinationCapabilities Capabilities => Skybridge.Providers.AzureBlob.AzureBlockBlob.Capabilities with
    {
        CopyFromUrl = FromUrl, CopySourceUrlLimit = UrlLimit, StagedBlocks = this, ListAfter = OffersListAfter ? this : null,
        ListingCarriesMetadata = true, TransactionalMd5 = ChecksTransactionalMd5,
        StreamedPut = TakesStreamedPuts ? this : null, TransactionalCrc64 = ChecksCrc64 ? this : null,
    };

    /// <summary>
    /// In UTF-16 code-unit order, as Azure and Azurite list blobs (not UTF-8: the two differ for names
    /// mixing characters above U+FFFF with U+E000..U+FFFF; see the destination contract).
    /// </summary>
    public readonly SortedDictionary<string, (byte[] Data, BlobWrite Write, DateTimeOffset Modified)> Blobs = sameContainerAs?.Blobs ?? new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string), byte[]> _staged = sameContainerAs?._staged ?? new();

    /// <summary>Another view of the same container, at another prefix.</summary>
    public FakeDestination At(string otherPrefix) => new(otherPrefix, this) { UrlLimit = UrlLimit, OffersListAfter = OffersListAfter };
    public int Puts, Commits, StagedBlocks, StagedWithoutMd5, Deletes;
    public Func<string, Exception?>? FailWrite;
    public readonly List<List<string>> CommittedIds = [];

    public string Describe => "https://acct.blob.core.windows.net/c/" + prefix;
    public string Prefix => prefix;

    /// <summary>Like Azure: the store orders names by UTF-16 code units, and the listing restores UTF-8 order as the Azure destination does.</summary>
    public IAsyncEnumerable<DestinationBlob> ListAsync(CancellationToken ct) => Utf16ListingOrder.InUtf8Order(ListAsStoredAsync(null, ct), b => b.Name, ct);

    /// <summary>Like Azure's startFrom: the store's (UTF-16) order from a name on, inclusive, put back in UTF-8 order as the Azure destination does.</summary>
    public IAsyncEnumerable<DestinationBlob> ListAfterAsync(string after, CancellationToken ct)
        => Utf16ListingOrder.ListAfter(from => ListAsStoredAsync(from, ct), b => b.Name, after, ct);

    private async IAsyncEnumerable<DestinationBlob> ListAsStoredAsync(string? startFrom, [EnumeratorCancellation] CancellationToken ct)
    {
        List<DestinationBlob> snapshot;
        lock (Blobs) snapshot = Blobs.Where(b => b.Key.StartsWith(prefix, StringComparison.Ordinal) && (startFrom is null || string.CompareOrdinal(b.Key, startFrom) >= 0))
            .Select(b => ToBlob(b.Key, b.Value)).ToList();
        foreach (var b in snapshot) { await Task.Yield(); Interlocked.Increment(ref Listed); yield return b; }
    }

    private static DestinationBlob ToBlob(string name, (byte[] Data, BlobWrite Write, DateTimeOffset Modified) b)
        => new(name, b.Data.Length, b.Write.ContentMd5.Length > 0 ? b.Write.ContentMd5 : null, b.Modified, new Dictionary<string, string>(b.Write.Metadata));

    public Task<DestinationBlob?> GetAsync(string name, CancellationToken ct)
    {
        lock (Blobs) return Task.FromResult(Blobs.TryGetValue(name, out var b) ? ToBlob(name, b) : null);
    }

    /// <summary>What Azure refuses in metadata: names that are not C# identifiers (400 InvalidMetadata), values with non-ASCII characters (the SDK refuses the header).</summary>
    private static void CheckMetadata(BlobWrite write)
    {
        foreach (var (k, v) in write.Metadata)
        {
            if (k.Length == 0 || !(char.IsAsciiLetter(k[0]) || k[0] == '_') || !k.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new InvalidOperationException($"InvalidMetadata: '{k}' is not a C# identifier");
            if (!v.All(char.IsAscii)) throw new InvalidOperationException("Request headers must contain only ASCII characters.");
        }
    }

    public Task PutAsync(string name, ReadOnlyMemory<byte> content, BlobWrite write, CancellationToken ct)
    {
        if (FailWrite?.Invoke(name) is { } e) throw Mapped(e);
        CheckMetadata(write);
        if (!MD5.HashData(content.Span).AsSpan().SequenceEqual(write.ContentMd5)) throw new InvalidOperationException("Md5Mismatch");
        Interlocked.Increment(ref Puts);
        lock (Blobs) Blobs[name] = (content.ToArray(), write, DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }

    public async Task StageBlockAsync(string name, string blockId, ReadOnlyMemory<byte> content, byte[]? blockMd5, CancellationToken ct)
    {
        content = Received(content);
        await Task.Yield();
        if (FailWrite?.Invoke(name) is { } e) throw Mapped(e);
        if (blockMd5 is not null && !MD5.HashData(content.Span).AsSpan().SequenceEqual(blockMd5)) throw new InvalidOperationException("Md5Mismatch");
        // Like Azure (400 InvalidBlobOrBlock): every block id of one blob has the same length.
        if (_staged.Keys.FirstOrDefault(k => k.Item1 == name) is { Item2: { } other } && other.Length != blockId.Length)
            throw new InvalidOperationException($"InvalidBlobOrBlock: block id length {blockId.Length} differs from the staged {other.Length}");
        if (blockMd5 is null) Interlocked.Increment(ref StagedWithoutMd5);
        Interlocked.Increment(ref StagedBlocks);
        _staged[(name, blockId)] = content.ToArray();
    }

    public Task CommitAsync(string name, IReadOnlyList<string> blockIds, BlobWrite write, CancellationToken ct)
    {
        Commit(name, blockIds, write, streamed: true);
        return Task.CompletedTask;
    }

    /// <summary>Put Block List, whoever staged the blocks (this host or a from-URL call); unknown ids fail like InvalidBlockList.</summary>
    public void Commit(string name, IReadOnlyList<string> blockIds, BlobWrite write, bool streamed)
    {
        CheckMetadata(write);
        var data = blockIds.SelectMany(id => _staged.TryGetValue((name, id), out var b) ? b : throw new InvalidOperationException($"InvalidBlockList: no block {id} staged for {name}")).ToArray();
        if (streamed) Interlocked.Increment(ref Commits);
        lock (Blobs)
        {
            if (streamed) CommittedIds.Add([.. blockIds]);
            Blobs[name] = (data, write, DateTimeOffset.UtcNow);
        }
        // Like the service: a commit discards the blob's other uncommitted blocks.
        foreach (var key in _staged.Keys.Where(k => k.Item1 == name).ToList()) _staged.TryRemove(key, out _);
    }

    /// <summary>An injected Azure failure as the real adapter raises it (AzureErrors); anything else as is.</summary>
    private static Exception Mapped(Exception e) => (Exception?)Skybridge.Providers.AzureBlob.AzureErrors.Map(e) ?? e;

    /// <summary>Get Block List (uncommitted).</summary>
    public Task<IReadOnlyList<StagedBlock>> GetUncommittedBlocksAsync(string name, CancellationToken ct)
        => Task.FromResult<IReadOnlyList<StagedBlock>>(_staged.Where(k => k.Key.Item1 == name).Select(k => new StagedBlock(k.Key.Item2, k.Value.Length)).ToList());

    /// <summary>Stages a block as another run would have (e.g. for a different ETag).</summary>
    public void StageRaw(string name, string blockId, byte[] data) => _staged[(name, blockId)] = data;

    public Task DeleteAsync(string name, CancellationToken ct)
    {
        Interlocked.Increment(ref Deletes);
        lock (Blobs) Blobs.Remove(name);
        return Task.CompletedTask;
    }

    public Task<Stream> OpenReadAsync(string name, CancellationToken ct)
    {
        lock (Blobs) return Task.FromResult<Stream>(new MemoryStream(Blobs[name].Data));
    }

    public Task EnsureContainerAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Overwrites a blob's bytes, keeping its properties (a tamperer who knows what to keep).</summary>
    public void Tamper(string name, byte[] data)
    {
        lock (Blobs) Blobs[name] = (data, Blobs[name].Write, Blobs[name].Modified);
    }
}

/// <summary>Collects report entries.</summary>
internal sealed class ListReport : IReportSink
{
    public readonly ConcurrentQueue<ReportEntry> Entries = new();
    public void Write(ReportEntry entry) => Entries.Enqueue(entry);
    public ReportEntry For(string key) => Entries.Single(e => e.SourceKey == key || (e.SourceKey is null && e.BlobName == key));
}
