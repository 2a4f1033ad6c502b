using System.Security.Cryptography;

namespace Skybridge.Transfer;

/// <summary>Per-object settings of the streamed copy.</summary>
public sealed record CopySettings
{
    /// <summary>--block-size (null: AzCopy's 8 MiB start); doubled as needed to stay within 50,000 blocks.</summary>
    public long? BlockSize { get; init; }
    /// <summary>Blocks of one object read/staged at the same time.</summary>
    public int BlocksPerObject { get; init; } = 8;
    /// <summary>Access tier the blobs are written with (Hot, Cool, Cold, Archive); null: the account's default.</summary>
    public string? AccessTier { get; init; }
    /// <summary>Copy the source object's tags as blob index tags (one more request per tagged object).</summary>
    public bool CopyTags { get; init; } = true;
    /// <summary>
    /// Send a transactional MD5 with every Put Block / Put Blob, so the service refuses bytes that
    /// changed on the way. Costs one more MD5 pass over every byte on each side (the whole-object MD5
    /// that proves the copy against the source ETag is computed either way); over https, TLS
    /// already protects the hop (see <see cref="UploadChecksum"/>).
    /// </summary>
    public bool UploadMd5 { get; init; } = true;
    /// <summary>
    /// Where the destination checks a Put Block's CRC64 (<see cref="DestinationCapabilities.TransactionalCrc64"/>:
    /// Azure does), every block carries its CRC64 instead of an MD5, whatever proves the copy: ~6 GB/s,
    /// a tenth of an MD5 pass, and the destination refuses a block whose bytes changed after they were
    /// hashed here, which the whole-object MD5 (computed before the bytes leave) cannot see. Where an
    /// MD5 goes anyway (<see cref="UploadMd5"/>, or blocks that are the source's parts) it stays.
    /// Off with --upload-checksum none.
    /// </summary>
    public bool BlockCrc64 { get; init; } = true;
    /// <summary>
    /// --put-blob-max: a single-PUT object (plain-MD5 ETag) up to this size goes in one streamed
    /// Put Blob that the destination proves against the ETag's MD5, instead of blocks hashed here
    /// (0: blocks only). Larger objects go in blocks: they are read in parallel and resume block by block.
    /// </summary>
    public long PutBlobMax { get; init; } = DefaultPutBlobMax;
    /// <summary>
    /// 1 GiB. Measured here (bench/findings.md): one streamed Put Blob of a 1 GiB object took 5.8-8.3 s
    /// and 2.1 CPU-s, the same object in 8 MiB blocks hashed here 17.8 s and 6.2 CPU-s (load 25-30);
    /// parallel ranged GETs feeding the one Put Blob were no faster and cost more CPU. Objects above
    /// it go in blocks, which a resumed job does not send again.
    /// </summary>
    public const long DefaultPutBlobMax = 1L << 30;
}

/// <summary>--upload-checksum: whether Put Block / Put Blob carry a transactional MD5 (or a block its CRC64).</summary>
public static class UploadChecksum
{
    /// <summary>Each block's CRC64 where the destination checks one and no MD5 is sent (<see cref="CopySettings.BlockCrc64"/>): not with none.</summary>
    public static bool BlockCrc64(string? value) => !string.Equals(value, "none", StringComparison.OrdinalIgnoreCase);

    /// <summary>auto: md5 over plain http (nothing else protects the bytes on the wire), none over https.</summary>
    public static bool Resolve(string? value, Uri destination) => value?.ToLowerInvariant() switch
    {
        null or "" or "auto" => destination.Scheme != Uri.UriSchemeHttps,
        "md5" => true,
        "none" => false,
        _ => throw SkybridgeException.Usage($"--upload-checksum '{value}' is not valid.",
            "Use auto (md5 over http, none over https), md5 or none."),
    };
}

/// <summary>What a successful copy proved and wrote (<paramref name="Md5"/> null: not known, a multipart source copied service-side or in blocks that are its parts).</summary>
public sealed record CopyResult(byte[]? Md5, string? VersionId, string IntegrityCheck, IReadOnlyList<string> Notes)
{
    /// <summary>What proved the copy (<see cref="IntegrityCheck"/> says it in words).</summary>
    public Execution.ProofKind Proof { get; init; }
    /// <summary>How the bytes travelled: "stream" (through this host) or "service" (Azure fetched them).</summary>
    public string Mode { get; init; } = ServiceSide.TransferModes.Stream;
    /// <summary>Why an object went the way it did when that was not the requested mode (e.g. "presigned URL 2210 chars > 2048: streamed").</summary>
    public string? ModeReason { get; init; }
    /// <summary>Nothing compared the written bytes with the source (then <see cref="IntegrityCheck"/> says why).</summary>
    public bool IsUnverified => Proof is Execution.ProofKind.None or Execution.ProofKind.BlockMd5Only or Execution.ProofKind.ServiceUnverified;
    /// <summary>The report's wording: "verified by md5", or the unverified explanation.</summary>
    public string Verification => Proof is Execution.ProofKind.None or Execution.ProofKind.ServiceUnverified ? IntegrityCheck : "verified by " + IntegrityCheck;
}

/// <summary>How the engine transfers one object: streamed (<see cref="ObjectCopier"/>) or service-side (<see cref="ServiceSide.ServiceSideCopier"/>).</summary>
public interface IObjectTransfer
{
    /// <summary>Copies <paramref name="obj"/> (pinned to its listed ETag) to the blob <paramref name="blobName"/> and says what proved it; on any failure nothing is committed and the exception is thrown.</summary>
    Task<CopyResult> CopyAsync(SourceObject obj, string blobName, CancellationToken ct);
}

/// <summary>The bytes read did not match the source's ETag: nothing was committed.</summary>
internal sealed class IntegrityException(string message) : SkybridgeException(ErrorKind.Integrity, message);

/// <summary>
/// Copies one object, streamed: ranged GETs pinned to the listed ETag -> Put Block (with a
/// transactional MD5 when <see cref="CopySettings.UploadMd5"/>) -> (after proving the whole-object MD5 or the rebuilt multipart ETag equals the
/// source's) Put Block List carrying Content-MD5, properties, metadata and tags. A multipart source
/// whose part sizes the source reports is cut at its parts instead, one block per part: each block
/// is hashed once by its worker, that MD5 is its transactional MD5 and its part's digest, and the
/// ETag rebuilt from them must equal the source's before the commit (<see cref="Execution.ProofKind.CompositeEtag"/>;
/// no serial whole-object pass, so no Content-MD5 either). Where the source keeps a full-object
/// CRC-64/NVME (one HEAD), blocks are hashed that way instead, once each, in parallel, and their
/// CRCs combined must equal the source's before the commit (<see cref="Execution.ProofKind.Crc64"/>).
/// Small objects go in
/// one Put Blob, and so do single-PUT objects up to <see cref="CopySettings.PutBlobMax"/>, streamed:
/// both carry the source ETag's MD5 as their transactional MD5, so the destination proves them and
/// this host hashes nothing (<see cref="Execution.ProofKind.Md5ByDestination"/>). Every buffer is
/// charged to the shared <see cref="MemoryBudget"/>, so memory stays bounded whatever the object sizes. A failed check means no commit: the old blob (if any) stays.
/// </summary>
public sealed class ObjectCopier(
    IObjectSource source, IBlobDestination destination, CopySettings settings,
    MemoryBudget budget, ITransferProgress stats, BandwidthLimiter? limiter = null) : IObjectTransfer
{
    /// <summary>Optional (the job journal): keeps blocks an interrupted run staged, records the ones staged now.</summary>
    public IBlockCheckpoints? Blocks { get; set; }

    /// <inheritdoc/>
    public async Task<CopyResult> CopyAsync(SourceObject obj, string blobName, CancellationToken ct)
    {
        var plan = BlockPlanner.Plan(obj.Size, settings.BlockSize, destination.Capabilities);
        if (plan.SingleShot) return await CopySingleShotAsync(obj, blobName, ct).ConfigureAwait(false);
        if (StreamedPutFor(obj) is { } streams && await CopyStreamedPutAsync(obj, blobName, streams, ct).ConfigureAwait(false) is { } put) return put;
        // Which proof, cheapest first (md5-by-destination, above, hashes nothing here). The source's
        // full-object CRC64 lets every block be hashed once, in parallel, at ~6 GB/s (MD5: ~0.55
        // GB/s, and a whole-object MD5 or a rebuilt multipart ETag is one serial pass): it beats
        // both. It also beats composite-etag where the destination checks a block's CRC64 on
        // arrival; where it does not, each block must carry an MD5 anyway (so that the upload hop is
        // checked), which composite-etag's part MD5s already are: then composite-etag stays.
        var crc = await SourceCrc64Async(obj, ct).ConfigureAwait(false);
        if (crc is not null && destination.Capabilities.TransactionalCrc64 is not null)
            return await CopyBlocksAsync(obj, blobName, plan, null, [], ct, crc).ConfigureAwait(false);
        var parts = await ExactPartSizesAsync(source, obj, ct).ConfigureAwait(false);
        var (aligned, whyNot) = parts is null ? (null, null) : BlockPlanner.AlignToParts(obj.Size, parts, destination.Capabilities, budget.Capacity);
        if (aligned is not null) return await CopyBlocksAsync(obj, blobName, aligned, null, [], ct).ConfigureAwait(false);
        if (crc is not null) return await CopyBlocksAsync(obj, blobName, plan, null, [], ct, crc).ConfigureAwait(false);
        return parts is null
            ? await CopyBlocksAsync(obj, blobName, plan, MultipartFor(obj, null), [], ct).ConfigureAwait(false)
            : await CopyBlocksAsync(obj, blobName, plan, MultipartVerifier.Exact(parts), [$"parts not copied as blocks ({whyNot}): the multipart ETag was rebuilt from the whole object, hashed here"], ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The source's full-object CRC-64/NVME (one HEAD), when it keeps one for this object; null when
    /// it does not (RGW here; objects uploaded to AWS before 2025; a COMPOSITE checksum).
    /// </summary>
    private async Task<Crc64?> SourceCrc64Async(SourceObject obj, CancellationToken ct)
        => source.Capabilities is { Head: { } head, Checksums: var offered } && offered.HasFlag(SourceChecksums.Crc64Nvme)
            ? (await head.HeadAsync(obj, ct).ConfigureAwait(false)).Crc64Nvme
            : null;

    /// <summary>
    /// A single-PUT object that fits in one request (--put-blob-max, the destination's limit) goes as
    /// one Put Blob streamed from one GET, when both sides can and the destination checks a
    /// transactional MD5: then the source ETag's MD5 proves it there, and nothing is hashed or buffered here.
    /// </summary>
    private (IStreamingSource Source, IStreamedPut Destination)? StreamedPutFor(SourceObject obj)
        => obj.ETagIsMd5 && obj.Size <= settings.PutBlobMax && obj.Size <= destination.Capabilities.MaxSinglePut && DestinationCanProveEtagMd5
           && source.Capabilities.Streams is { } from && destination.Capabilities.StreamedPut is { } to
            ? (from, to)
            : null;

    // A streamed Put Blob cannot be replayed by the SDK (its bytes were read once): a transient
    // failure reads the source again, up to this many times. Nothing is written until one succeeds.
    private const int StreamedPutAttempts = 4;

    /// <summary>The streamed Put Blob; null when the GET says the ETag is no digest (SSE-KMS / SSE-C): then blocks, hashed here.</summary>
    private async Task<CopyResult?> CopyStreamedPutAsync(SourceObject obj, string blobName, (IStreamingSource Source, IStreamedPut Destination) via, CancellationToken ct)
    {
        var etagMd5 = CompositeEtag.Md5FromEtag(obj.ETag)!;
        for (int attempt = 1; ; attempt++)
        {
            long sent = 0;
            try
            {
                await using var body = await via.Source.OpenAsync(obj, ct).ConfigureAwait(false);
                if (body.Properties.EtagIsNotDigest) return null;
                var paced = new PacedStream(body.Content, limiter, n => { sent += n; stats.OnBytes(n); });
                return await PutProvedByDestinationAsync(obj, body.Properties, etagMd5,
                    write => via.Destination.PutAsync(blobName, paced, obj.Size, write, ct), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < StreamedPutAttempts && IsWorthAnotherRead(e) && !ct.IsCancellationRequested)
            {
                stats.OnBytes(-sent); // progress counts what ends written: this attempt's bytes are sent again
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt * attempt), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A broken body or connection, or a service that outlasted its retries: reading the source again may succeed. A refusal, a changed source or a checksum mismatch will not.</summary>
    private static bool IsWorthAnotherRead(Exception e) => e switch
    {
        SkybridgeException s => s.Kind == ErrorKind.Transient,
        OperationCanceledException => false,
        _ => true, // IO, HTTP and "cannot be replayed" failures of the one-shot body
    };

    private async Task<CopyResult> CopySingleShotAsync(SourceObject obj, string blobName, CancellationToken ct)
    {
        var size = (int)obj.Size;
        using var buffer = await budget.RentAsync(size, ct).ConfigureAwait(false);
        var content = buffer.Memory[..size];
        if (limiter is not null) await limiter.WaitAsync(size, ct).ConfigureAwait(false);
        var props = await source.ReadAsync(obj, 0, content, ct).ConfigureAwait(false);
        if (DestinationCanProveEtagMd5 && !props.EtagIsNotDigest && CompositeEtag.Md5FromEtag(obj.ETag) is { } etagMd5)
        {
            var proved = await PutProvedByDestinationAsync(obj, props, etagMd5, write => destination.PutAsync(blobName, content, write, ct), ct).ConfigureAwait(false);
            stats.OnBytes(size);
            return proved;
        }
        var md5 = MD5.HashData(content.Span);
        // Where the ETag proves nothing (SSE-KMS / SSE-C) or is a multipart one, the source's
        // full-object CRC64 (one HEAD) proves the bytes read; the MD5 computed for the blob's
        // Content-MD5 then goes on the Put Blob, so the destination checks the bytes it receives too.
        var crc = props.EtagIsNotDigest || obj.MultipartCount is not null ? await SourceCrc64Async(obj, ct).ConfigureAwait(false) : null;
        var composite = crc is null ? await MultipartFor(source, obj, ct).ConfigureAwait(false) : null;
        composite?.Append(content.Span);
        var (check, proof, notes) = crc is { } expected
            ? (ProveCrc64(expected, Crc64.Of(content.Span)), Execution.ProofKind.Crc64, new List<string>())
            : Prove(obj, props, md5, composite, null, settings.UploadMd5, []);
        var write = await BlobWrites.BuildAsync(destination.Capabilities.Metadata, source, obj, props, md5, settings, notes, ct).ConfigureAwait(false);
        if (crc is not null) write = write with { VerifyOnArrival = true };
        await destination.PutAsync(blobName, content, write, ct).ConfigureAwait(false);
        stats.OnBytes(size); // counted when written: progress follows the slower side
        return new CopyResult(md5, props.VersionId, check, notes) { Proof = proof };
    }

    /// <summary>
    /// Staged blocks, then the proof, then the commit. Blocks that are the source's parts
    /// (<see cref="BlockPlan.PartSizes"/>) are each hashed once, in parallel, by the worker that
    /// stages them (the MD5 is the block's transactional MD5 and the part's digest in the rebuilt
    /// ETag); any other cut is hashed whole, in order (the MD5, and <paramref name="composite"/>).
    /// </summary>
    private async Task<CopyResult> CopyBlocksAsync(SourceObject obj, string blobName, BlockPlan plan, MultipartVerifier? composite, List<string> notes, CancellationToken ct,
        Crc64? sourceCrc = null)
    {
        var aligned = plan.PartSizes is not null;
        var partMd5s = aligned ? new byte[plan.BlockCount][] : null;
        // crc64: each block's CRC, computed by its worker; combined in order once all are staged.
        var blockCrcs = sourceCrc is not null ? new Crc64[plan.BlockCount] : null;
        // Each block is checked where it lands when the destination can: by its MD5 when one is sent
        // anyway (--upload-checksum md5, auto over http, or a part's, computed for the ETag), else by
        // its CRC64 where the destination checks one (a crc64 copy; any other, unless told none).
        var crcStaging = blockCrcs is not null || (settings.BlockCrc64 && !settings.UploadMd5 && !aligned) ? destination.Capabilities.TransactionalCrc64 : null;
        var hashedApart = aligned || blockCrcs is not null;
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var ids = Enumerable.Range(0, plan.BlockCount).Select(i => destination.Capabilities.BlockIds.IdOf(i, obj.ETag, plan.BlockSize)).ToArray();
        // Resuming: blocks already staged for this version are re-read and hashed (the whole-object MD5 needs the bytes) but not sent again.
        var reuse = Blocks is { } tracker && tracker.MayHaveStaged(obj) && destination.Capabilities.StagedBlocks is { } listing
            ? tracker.ReusableBlocks(obj, plan, ids, await listing.GetUncommittedBlocksAsync(blobName, ct).ConfigureAwait(false))
            : null;
        SourceProperties? props = null;

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var window = new SemaphoreSlim(Math.Max(1, settings.BlocksPerObject));
        var tasks = new List<Task>(plan.BlockCount);
        // Whole-object hashes need the bytes in order while blocks arrive in any order: each block
        // waits for its predecessor to be hashed (a chain of tasks), then hashes itself.
        Task previousHashed = Task.CompletedTask;
        try
        {
            for (int i = 0; i < plan.BlockCount; i++)
            {
                await window.WaitAsync(failed.Token).ConfigureAwait(false);
                // Acquired in block order, so an earlier block never waits for memory held by a later one.
                MemoryBudget.Buffer buffer;
                try { buffer = await budget.RentAsync(plan.LengthOf(i), failed.Token).ConfigureAwait(false); }
                catch { window.Release(); throw; }
                var hashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var index = i;
                var before = previousHashed;
                previousHashed = hashed.Task;
                tasks.Add(Task.Run(async () =>
                {
                    var length = plan.LengthOf(index);
                    var block = buffer.Memory;
                    try
                    {
                        if (limiter is not null) await limiter.WaitAsync(length, failed.Token).ConfigureAwait(false);
                        var p = await source.ReadAsync(obj, plan.OffsetOf(index), block, failed.Token).ConfigureAwait(false);
                        byte[]? known = null;
                        var reusable = reuse is not null && reuse.TryGetValue(index, out known);
                        // The block's own MD5 only when something needs it: the service's check on
                        // arrival, the journal's record of a block staged by an earlier run, or (a
                        // block that is a part) the rebuilt ETag, which then goes on the request too.
                        // A crc64 copy checks every block on arrival: by its CRC64 where the
                        // destination takes one, else by its MD5 (as composite-etag does).
                        var sendMd5 = crcStaging is null && (settings.UploadMd5 || aligned || blockCrcs is not null);
                        var blockMd5 = sendMd5 || known is not null ? MD5.HashData(block.Span) : null;
                        var blockCrc = crcStaging is not null || blockCrcs is not null ? Crc64.Of(block.Span) : default;
                        if (blockCrcs is not null) blockCrcs[index] = blockCrc;
                        var keep = reusable && (known is null || known.AsSpan().SequenceEqual(blockMd5!));
                        var stage = keep ? Task.CompletedTask
                            : crcStaging is not null ? crcStaging.StageBlockAsync(blobName, ids[index], block, blockCrc, failed.Token)
                            : destination.StageBlockAsync(blobName, ids[index], block, sendMd5 ? blockMd5 : null, failed.Token);
                        if (aligned) partMd5s![index] = blockMd5!;
                        else if (!hashedApart)
                        {
                            await before.ConfigureAwait(false);
                            whole.AppendData(block.Span);
                            composite?.Append(block.Span);
                        }
                        if (index == 0) props = p;
                        hashed.TrySetResult();
                        await stage.ConfigureAwait(false);
                        Blocks?.BlockStaged(obj, blobName, index, ids[index], length, blockMd5, reused: keep);
                        stats.OnBytes(length);
                    }
                    catch (Exception e)
                    {
                        hashed.TrySetException(e);
                        failed.Cancel();
                        throw;
                    }
                    finally
                    {
                        buffer.Dispose();
                        window.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException)
        {
            // Either a block failed and cancelled the rest (its exception is reported below), or the
            // run was interrupted: in both cases let the blocks in flight finish and free their buffers.
            if (ct.IsCancellationRequested)
            {
                try { await Task.WhenAll(tasks).ConfigureAwait(false); } catch { /* interrupted anyway */ }
                throw;
            }
        }
        await BlockTasks.WhenAllAsync(tasks, ct).ConfigureAwait(false);

        // Blocks hashed apart: no whole-object MD5 was computed, so the blob gets no Content-MD5 and
        // records its proof instead; except a crc64 copy of a single-PUT object, whose bytes, now
        // proved to be the source's, have the MD5 its plain ETag is.
        byte[]? md5;
        string check;
        Execution.ProofKind proof;
        if (blockCrcs is not null)
        {
            check = ProveCrc64(sourceCrc!.Value, Crc64.Concatenate(blockCrcs, i => plan.LengthOf(i)));
            proof = Execution.ProofKind.Crc64;
            md5 = props!.EtagIsNotDigest ? null : CompositeEtag.Md5FromEtag(obj.ETag);
        }
        else
        {
            md5 = aligned ? null : whole.GetHashAndReset();
            (check, proof, _) = Prove(obj, props!, md5, composite, partMd5s, settings.UploadMd5 || aligned, notes, blockCrc64: crcStaging is not null);
        }
        var write = await BlobWrites.BuildAsync(destination.Capabilities.Metadata, source, obj, props!, md5, settings, notes, ct).ConfigureAwait(false);
        if (hashedApart && md5 is null) write.Metadata[ProvenanceKeys.Proof] = Execution.ProofNames.Of(proof);
        await destination.CommitAsync(blobName, ids, write, ct).ConfigureAwait(false);
        return new CopyResult(md5, props!.VersionId, check, notes) { Proof = proof };
    }

    /// <summary>
    /// The destination checks a transactional MD5 and the source's plain ETags are MD5s of their
    /// bytes: a one-request write carrying the ETag's MD5 is proved where it lands.
    /// </summary>
    private bool DestinationCanProveEtagMd5 => destination.Capabilities.TransactionalMd5 && source.Capabilities.Checksums.HasFlag(SourceChecksums.EtagMd5);

    /// <summary>
    /// Writes the object in one request with the source ETag's MD5 as its transactional MD5: the
    /// destination refuses (and commits nothing) unless the bytes it received are the source's.
    /// </summary>
    private async Task<CopyResult> PutProvedByDestinationAsync(SourceObject obj, SourceProperties props, byte[] etagMd5, Func<BlobWrite, Task> put, CancellationToken ct)
    {
        var notes = new List<string>();
        var write = await BlobWrites.BuildAsync(destination.Capabilities.Metadata, source, obj, props, etagMd5, settings, notes, ct).ConfigureAwait(false);
        await put(write with { VerifyOnArrival = true }).ConfigureAwait(false);
        return new CopyResult(etagMd5, props.VersionId, Md5ByDestinationCheck, notes) { Proof = Execution.ProofKind.Md5ByDestination };
    }

    /// <summary>For a multipart source, what rebuilds its ETag: exact part sizes when the source reports them, else inferred ones.</summary>
    internal static async Task<MultipartVerifier?> MultipartFor(IObjectSource source, SourceObject obj, CancellationToken ct)
        => MultipartFor(obj, await ExactPartSizesAsync(source, obj, ct).ConfigureAwait(false));

    private static MultipartVerifier? MultipartFor(SourceObject obj, IReadOnlyList<long>? exact)
        => obj.MultipartCount is not { } parts ? null : exact is null ? MultipartVerifier.Inferred(obj.Size, parts) : MultipartVerifier.Exact(exact);

    /// <summary>A multipart source's part sizes as the source reports them; null for a single-part object or a server that cannot tell (it ignores partNumber).</summary>
    private static async Task<IReadOnlyList<long>?> ExactPartSizesAsync(IObjectSource source, SourceObject obj, CancellationToken ct)
    {
        if (obj.MultipartCount is not { } parts) return null;
        var sizes = await source.GetPartSizesAsync(obj, parts, ct).ConfigureAwait(false);
        if (sizes is not null && (sizes.Count != parts || sizes.Sum() != obj.Size))
            throw new IntegrityException($"the {parts} part sizes reported by the source add up to {sizes.Sum()} bytes, not {obj.Size}");
        return sizes;
    }

    /// <summary>Compares what was read with the source's ETag (whole-object <paramref name="md5"/>, <paramref name="multipart"/>, or the MD5s of blocks that are its parts); throws when they differ.</summary>
    private static (string Check, Execution.ProofKind Proof, List<string> Notes) Prove(SourceObject obj, SourceProperties props, byte[]? md5, MultipartVerifier? multipart,
        IReadOnlyList<byte[]>? partMd5s, bool blockMd5, List<string> notes, bool blockCrc64 = false)
    {
        // What else vouched for the bytes when the source's ETag cannot.
        var fallback = blockMd5 ? "checked by per-block MD5 only"
            : blockCrc64 ? "not compared with the source (no per-block MD5 either; each block's CRC64 checked on arrival)"
            : "not compared with the source (no per-block MD5 either: --upload-checksum none, or auto over https)";
        (string Check, Execution.ProofKind Proof) unverified = blockMd5 ? (UnverifiedCheck, Execution.ProofKind.BlockMd5Only) : (UncheckedCheck, Execution.ProofKind.None);
        var expected = CompositeEtag.Normalize(obj.ETag);
        if (props.EtagIsNotDigest)
        {
            notes.Add("ETag of an SSE-KMS/SSE-C object is not a digest: " + fallback);
            return (unverified.Check, unverified.Proof, notes);
        }
        if (partMd5s is not null)
        {
            var rebuilt = CompositeEtag.Of(partMd5s);
            if (rebuilt != expected) throw new IntegrityException($"multipart ETag check failed: the MD5s of the blocks read (its parts) give {rebuilt}, source has {expected}");
            return (CompositeEtagCheck, Execution.ProofKind.CompositeEtag, notes);
        }
        if (multipart is not null)
        {
            var (matched, rebuilt) = multipart.Finish(expected);
            if (matched is { } partSize)
            {
                if (multipart.IsInferred) notes.Add($"part size {partSize} inferred (the source does not report part sizes)");
                return ("multipart-etag", Execution.ProofKind.MultipartEtag, notes);
            }
            if (!multipart.IsInferred)
                throw new IntegrityException($"multipart ETag check failed: bytes read give {rebuilt}, source has {expected}");
            notes.Add("multipart ETag not rebuilt: the source does not report part sizes and none of the usual ones (" +
                string.Join(", ", multipart.CandidatePartSizes) + " bytes) matches; " + fallback);
            return (unverified.Check, unverified.Proof, notes);
        }
        if (obj.ETagIsMd5)
        {
            var actual = Convert.ToHexStringLower(md5!);
            if (actual != expected) throw new IntegrityException($"MD5 check failed: bytes read give {actual}, source ETag is {expected}");
            return ("md5", Execution.ProofKind.Md5, notes);
        }
        notes.Add($"ETag '{expected}' is neither an MD5 nor a multipart ETag: " + fallback);
        return (unverified.Check, unverified.Proof, notes);
    }

    /// <summary>The crc64 proof: the CRC-64/NVME of the bytes read equals the source's full-object one; throws (nothing committed) when it does not.</summary>
    private static string ProveCrc64(Crc64 expected, Crc64 actual)
        => actual == expected ? Crc64Check
            : throw new IntegrityException($"CRC64 check failed: the bytes read give CRC-64/NVME {actual}, the source's full-object checksum is {expected}");

    /// <summary>The check name of a copy proved by the source's full-object CRC64 (<see cref="Execution.ProofKind.Crc64"/>).</summary>
    public const string Crc64Check = "crc64 (each block's CRC-64/NVME computed once; combined, they equal the source's full-object checksum)";
    /// <summary>The check name of a copy the destination proved against the source ETag's MD5 (<see cref="Execution.ProofKind.Md5ByDestination"/>).</summary>
    public const string Md5ByDestinationCheck = "md5-by-destination (the destination checked the source ETag's MD5 on arrival)";
    /// <summary>The check name of a copy whose blocks were the source's parts (<see cref="Execution.ProofKind.CompositeEtag"/>).</summary>
    public const string CompositeEtagCheck = "composite-etag (each part hashed once as its block's transactional MD5; the multipart ETag rebuilt from them equals the source's)";
    /// <summary>The check name of a copy whose bytes could not be compared with the source's ETag.</summary>
    public const string UnverifiedCheck = "block-md5 only (unverified against the source ETag)";
    /// <summary>The same without per-block MD5s (--upload-checksum none).</summary>
    public const string UncheckedCheck = "unverified against the source ETag";
}
