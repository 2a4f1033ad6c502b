using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Skybridge.Transfer.ServiceSide;

/// <summary>
/// Copies one object service-side: Azure pulls the bytes from presigned S3 URLs, so they never
/// cross this host. Objects that fit one block (AzCopy's rule, <see cref="BlockPlanner"/>) go in one
/// Put Blob From URL; larger ones as Put Block From URL per block (each block with its own, freshly
/// presigned URL and x-ms-source-range) + Put Block List with headers, metadata and tags. Every
/// fetch is pinned to the listed ETag (x-ms-source-if-match). A URL is re-presigned once when the
/// source refuses it (403); a second refusal ends the run like a refused GET in stream mode.
/// Objects whose presigned URL does not fit in x-ms-copy-source (2 KiB) are streamed instead; in
/// <see cref="CopyMode.Auto"/> also those Azure cannot fetch (and, once Azure showed it cannot reach
/// the S3 endpoint at all, every later object). The report says which way each object went and why.
/// </summary>
public sealed class ServiceSideCopier : IObjectTransfer
{
    /// <summary>Report reason of a multi-block service-side copy: nothing here saw the bytes.</summary>
    public const string UnverifiedBlocks =
        "unverified: copied service-side in blocks, no byte passed through this host and Azure does not hash block lists (source MD5 recorded as Content-MD5); verify --hash reads both sides";
    /// <summary>Report reason of a service-side copy in blocks whose CRC64s, as Azure computed them from what it fetched, combine into the source's.</summary>
    public const string Crc64ByDestination =
        "crc64 (Azure computed each block's CRC64 from the bytes it fetched; combined, they equal the source's full-object checksum)";
    /// <summary>Report reason of a multipart source copied service-side in one piece: its ETag cannot be rebuilt.</summary>
    public const string UnverifiedMultipart =
        "unverified: multipart source copied service-side, no byte passed through this host to rebuild its ETag; verify --hash reads both sides";
    /// <summary>Report reason of a service-side copy whose source ETag is no MD5 (SSE-KMS, SSE-C).</summary>
    public const string UnverifiedNotDigest =
        "unverified: the source ETag is not an MD5 and no byte passed through this host; verify --hash reads both sides";

    private readonly IObjectSource _source;
    private readonly IPresigningSource _presigner;
    private readonly ICopyFromUrlDestination _destination;
    private readonly DestinationCapabilities _capabilities;
    private readonly IObjectTransfer _streamed;
    private readonly CopySettings _copy;
    private readonly CopyMode _mode;
    private readonly ITransferProgress _stats;
    private readonly ILogger _log;
    private string? _streamAll;
    // The run's first from-URL call is a probe: the others wait for its answer, so that a
    // destination that cannot fetch URLs at all costs one object's attempt, not one per worker.
    private int _probing;
    private readonly TaskCompletionSource _probed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _destinationFailuresInARow;
    /// <summary>Auto: this many from-URL calls in a row failed by the destination (5xx) -> stream the rest of the run.</summary>
    public const int DestinationFailuresBeforeStreamingAll = 3;

    /// <summary>A copier Azure does the fetching for; <paramref name="destination"/> is the destination's capabilities (its from-URL feature, limits and block IDs).</summary>
    public ServiceSideCopier(IObjectSource source, IPresigningSource presigner, DestinationCapabilities destination,
        IObjectTransfer streamed, CopySettings copy, CopyMode mode, ITransferProgress stats, ILogger? logger = null)
    {
        if (mode == CopyMode.Stream) throw new ArgumentException("stream mode does not need a service-side copier", nameof(mode));
        _source = source;
        _presigner = presigner;
        _destination = destination.CopyFromUrl ?? throw new ArgumentException("the destination cannot copy from a URL", nameof(destination));
        _capabilities = destination;
        UrlLimit = destination.CopySourceUrlLimit;
        _streamed = streamed;
        _copy = copy;
        _mode = mode;
        _stats = stats;
        _log = logger ?? NullLogger.Instance;
        if (mode == CopyMode.Auto) _streamAll = Unreachable(presigner.Endpoint, _destination.Endpoint);
    }

    /// <summary>Longest x-ms-copy-source accepted (the destination's <see cref="DestinationCapabilities.CopySourceUrlLimit"/>; Azure: 2048).</summary>
    private int UrlLimit { get; }

    /// <summary>Set in auto mode when every object is streamed, and why.</summary>
    public string? StreamingAllBecause => Volatile.Read(ref _streamAll);

    /// <summary>
    /// Auto mode: Azure runs in the cloud; an S3 endpoint on a loopback or private address is out
    /// of its reach unless the Blob endpoint is local too (an emulator / test stand-in next to it).
    /// </summary>
    public static string? Unreachable(Uri s3, Uri blob)
    {
        if (!IsLocal(s3.Host) || IsLocal(blob.Host)) return null;
        return $"S3 endpoint {s3.Host} is a local/private address Azure cannot reach: streamed";
    }

    private static bool IsLocal(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        if (!IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return false;
        if (IPAddress.IsLoopback(ip)) return true;
        if (ip.AddressFamily == AddressFamily.InterNetworkV6) return ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || (ip.GetAddressBytes()[0] & 0xFE) == 0xFC;
        var b = ip.GetAddressBytes();
        return b[0] == 10 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
    }

    /// <inheritdoc/>
    public async Task<CopyResult> CopyAsync(SourceObject obj, string blobName, CancellationToken ct)
    {
        if (StreamingAllBecause is { } all) return await StreamAsync(obj, blobName, all, ct).ConfigureAwait(false);
        PresignedUrl url;
        try
        {
            url = await _presigner.PresignAsync(obj, ct).ConfigureAwait(false);
        }
        catch (CopySourceException e) when (_mode == CopyMode.Auto && e.StreamInstead is { } reason && !ct.IsCancellationRequested)
        {
            return await StreamAsync(obj, blobName, reason, ct).ConfigureAwait(false); // the session is too short to presign
        }
        if (PresignPolicy.TooLong(url, UrlLimit) is { } tooLong) return await StreamAsync(obj, blobName, tooLong, ct).ConfigureAwait(false);
        if (Interlocked.CompareExchange(ref _probing, 1, 0) != 0)
        {
            await _probed.Task.WaitAsync(ct).ConfigureAwait(false);
            if (StreamingAllBecause is { } now) return await StreamAsync(obj, blobName, now, ct).ConfigureAwait(false);
        }
        try
        {
            return await CopyServiceSideAsync(obj, blobName, url, ct).ConfigureAwait(false);
        }
        catch (CopySourceException e) when (_mode == CopyMode.Auto && e.StreamInstead is { } reason && !ct.IsCancellationRequested)
        {
            Observe(e);
            return await StreamAsync(obj, blobName, reason, ct).ConfigureAwait(false);
        }
        finally
        {
            _probed.TrySetResult(); // (normally already set by the first from-URL call's answer)
        }
    }

    /// <summary>Auto mode: a failure that shows the destination cannot fetch URLs here switches the rest of the run to streaming.</summary>
    private void Observe(Exception mapped)
    {
        if (_mode != CopyMode.Auto || mapped is not CopySourceException { StreamInstead: { } reason } e) return;
        var all = e.DestinationCannotFetch
            || (e.DestinationFailed && Interlocked.Increment(ref _destinationFailuresInARow) >= DestinationFailuresBeforeStreamingAll);
        if (all && Interlocked.CompareExchange(ref _streamAll, reason, null) is null)
            // Information, not a warning: nothing is wrong with the copy, and the summary says why objects were streamed.
            _log.LogInformation("Service-side copy is not possible here ({Reason}); streaming every object from now on", reason);
    }

    private async Task<CopyResult> StreamAsync(SourceObject obj, string blobName, string reason, CancellationToken ct)
    {
        var result = await _streamed.CopyAsync(obj, blobName, ct).ConfigureAwait(false);
        return result with { Mode = TransferModes.Stream, ModeReason = reason };
    }

    private async Task<CopyResult> CopyServiceSideAsync(SourceObject obj, string blobName, PresignedUrl first, CancellationToken ct)
    {
        var props = await _presigner.HeadAsync(obj, ct).ConfigureAwait(false);
        var plan = BlockPlanner.Plan(obj.Size, _copy.BlockSize, _capabilities);
        var notes = new List<string>();
        // The ETag is the MD5 of the bytes only for a single-part object without SSE-KMS/SSE-C.
        byte[]? md5 = obj.ETagIsMd5 && !props.EtagIsNotDigest ? CompositeEtag.Md5FromEtag(obj.ETag) : null;
        var write = await BlobWrites.BuildAsync(_capabilities.Metadata, _source, obj, props, md5, _copy, notes, ct, serviceSide: true).ConfigureAwait(false);

        string check;
        Execution.ProofKind proof;
        // The source's full-object CRC64 proves a copy in blocks when Azure reports each block's
        // CRC64 (computed from what it fetched): then even a one-block object goes as one Put Block
        // From URL (checked before its commit) rather than a Put Blob From URL nothing here can
        // check; a single-PUT object in one block stays service-md5 (Azure checks it itself).
        var crc = props.Crc64Nvme is { } c && !(plan.SingleShot && md5 is not null) ? c : (Crc64?)null;
        if (plan.SingleShot && crc is null)
        {
            // Azure compares x-ms-source-content-md5 with the bytes it fetched: a real check.
            await WithRepresignAsync(obj, first, u => _destination.PutFromUrlAsync(blobName, u, obj.ETag, md5, write, ct), ct).ConfigureAwait(false);
            _stats.OnServiceSideBytes(obj.Size);
            (check, proof) = md5 is not null
                ? ("md5 (Azure compared the source MD5 with the bytes it fetched)", Execution.ProofKind.ServiceMd5)
                : (obj.MultipartCount is not null ? UnverifiedMultipart : UnverifiedNotDigest, Execution.ProofKind.ServiceUnverified);
        }
        else
        {
            var blockCrcs = await StageBlocksAsync(obj, blobName, plan, first, ct).ConfigureAwait(false);
            (check, proof) = crc is { } expected && blockCrcs.All(b => b is not null)
                ? (ProveCrc64(obj, expected, Crc64.Concatenate([.. blockCrcs.Select(b => b!.Value)], i => plan.LengthOf(i))), Execution.ProofKind.Crc64)
                : (md5 is not null ? UnverifiedBlocks : obj.MultipartCount is not null ? UnverifiedMultipart : UnverifiedNotDigest, Execution.ProofKind.ServiceUnverified);
            if (crc is not null && proof != Execution.ProofKind.Crc64) notes.Add("the destination reported no CRC64 for some blocks it fetched: the source's CRC64 could not be compared");
            await _destination.CommitAsync(blobName, Enumerable.Range(0, plan.BlockCount).Select(i => _capabilities.BlockIds.IdOf(i, obj.ETag, plan.BlockSize)).ToList(),
                write, ct).ConfigureAwait(false);
        }
        return new CopyResult(md5, props.VersionId, check, notes) { Mode = TransferModes.Service, Proof = proof };
    }

    /// <summary>Nothing committed when they differ: the blocks Azure fetched are not the source's bytes.</summary>
    private static string ProveCrc64(SourceObject obj, Crc64 expected, Crc64 fetched)
        => fetched == expected ? Crc64ByDestination
            : throw new IntegrityException($"CRC64 check failed for '{obj.Key}': the blocks Azure fetched give CRC-64/NVME {fetched}, the source's full-object checksum is {expected}; nothing was committed");

    /// <summary>Put Block From URL per block, in parallel; each block's CRC64 as Azure reported it (null where it did not).</summary>
    private async Task<Crc64?[]> StageBlocksAsync(SourceObject obj, string blobName, BlockPlan plan, PresignedUrl first, CancellationToken ct)
    {
        var crcs = new Crc64?[plan.BlockCount];
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var window = new SemaphoreSlim(Math.Max(1, _copy.BlocksPerObject));
        var tasks = new List<Task>(plan.BlockCount);
        try
        {
            for (int i = 0; i < plan.BlockCount; i++)
            {
                await window.WaitAsync(failed.Token).ConfigureAwait(false);
                var index = i;
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        // A fresh URL per block: a long copy never outlives its URLs or their session.
                        var url = index == 0 ? first : await _presigner.PresignAsync(obj, failed.Token).ConfigureAwait(false);
                        if (PresignPolicy.TooLong(url, UrlLimit) is { } tooLong) throw new CopySourceException(tooLong, tooLong);
                        var id = _capabilities.BlockIds.IdOf(index, obj.ETag, plan.BlockSize);
                        await WithRepresignAsync(obj, url, async u => crcs[index] = await _destination.StageBlockFromUrlAsync(blobName, id, u, obj.ETag, plan.OffsetOf(index), plan.LengthOf(index), failed.Token).ConfigureAwait(false),
                            failed.Token).ConfigureAwait(false);
                        _stats.OnServiceSideBytes(plan.LengthOf(index)); // progress: Azure has these bytes now
                    }
                    catch
                    {
                        failed.Cancel();
                        throw;
                    }
                    finally
                    {
                        window.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // A block failed and cancelled the loop: its exception is reported below.
        }
        await BlockTasks.WhenAllAsync(tasks, ct).ConfigureAwait(false);
        return crcs;
    }

    /// <summary>Runs a from-URL call; when the source refuses the URL, presigns a fresh one and tries once more.</summary>
    internal async Task WithRepresignAsync(SourceObject obj, PresignedUrl url, Func<PresignedUrl, Task> call, CancellationToken ct)
    {
        try
        {
            await call(url).ConfigureAwait(false);
            Volatile.Write(ref _destinationFailuresInARow, 0);
            return;
        }
        catch (CopyFromUrlException e) when (e.SourceFailure is { Kind: SourceFailureKind.AccessDenied } f)
        {
            _stats.OnRepresigned();
            _log.LogInformation("Source refused the presigned URL for {Key} ({Source}): presigning a fresh one", obj.Key, f.Source);
        }
        catch (CopyFromUrlException e)
        {
            var mapped = Map(obj, e);
            Observe(mapped);
            throw mapped;
        }
        finally
        {
            _probed.TrySetResult(); // the destination has answered: waiting workers may go on
        }
        var fresh = await _presigner.PresignAsync(obj, ct).ConfigureAwait(false);
        try
        {
            await call(fresh).ConfigureAwait(false);
        }
        catch (CopyFromUrlException e) when (e.SourceFailure is { Kind: SourceFailureKind.AccessDenied } f)
        {
            throw SkybridgeException.Auth(
                $"S3 refused to read objects of {_source.Describe} ({f.Source}, reported by Azure for a freshly presigned URL of '{obj.Key}').",
                $"Grant the role s3:GetObject on arn:aws:s3:::{_source.Bucket}/{_source.Prefix}* and check the clock; 'skybridge doctor' checks every link of the chain.", e);
        }
        catch (CopyFromUrlException e)
        {
            throw Map(obj, e);
        }
    }

    /// <summary>The destination's answer to a from-URL call, as the same reasons stream mode gives (plus whether streaming could still work).</summary>
    public static Exception Map(SourceObject obj, CopyFromUrlException e)
    {
        if (e.SourceFailure is { } f)
        {
            return f.Kind switch
            {
                SourceFailureKind.Changed => new SourceChangedException(obj.Key, e),
                SourceFailureKind.Missing => new CopySourceException(
                    $"source object '{obj.Key}' is missing ({f.Source}, reported by Azure): deleted after listing; the next run will not see it", inner: e),
                SourceFailureKind.AccessDenied => SkybridgeException.Auth($"S3 refused to read '{obj.Key}' ({f.Source}, reported by Azure).",
                    "Grant the role s3:GetObject on the source; 'skybridge doctor' checks every link of the chain.", e),
                SourceFailureKind.Unreachable => new CopySourceException(
                    $"Azure could not fetch the presigned URL of '{obj.Key}' ({e.Status} {f.ErrorCode}, no answer from the source): is the S3 endpoint reachable from Azure?",
                    $"destination could not fetch from the S3 endpoint ({e.Status} {f.ErrorCode}): streamed", destinationCannotFetch: true, inner: e),
                _ => new CopySourceException($"Azure could not read '{obj.Key}' from the source ({f.Source})",
                    $"Azure could not read the source ({f.Source}): streamed", inner: e),
            };
        }
        if (e.SourceConditionNotMet) return new SourceChangedException(obj.Key, e);
        if (e.RefusedFromUrl is { } refused)
            return new CopySourceException($"{refused} for '{obj.Key}'", refused + ": streamed", destinationCannotFetch: e.Status == 501, inner: e);
        return new CopySourceException($"Azure failed the from-URL call for '{obj.Key}' ({e.Status} {e.ErrorCode})",
            $"destination failed the from-URL call ({e.Status} {e.ErrorCode}): streamed", destinationFailed: true, inner: e);
    }
}
