using System.Net;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using Amazon.Runtime;
using Azure;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Skybridge.Blob;
using Skybridge.Diagnostics;

namespace Skybridge.Transfer;

/// <summary>
/// Runs copy / sync / plan / verify as a pipeline on bounded channels (DataMovement's job -> part ->
/// chunk): one producer merges the two listings (<see cref="March"/>) and decides per object while
/// the listings are still streaming; a fixed set of workers copies (or deep-verifies) objects as
/// soon as they are decided; deletes run last, behind guards. Per-object failures are recorded and
/// the run goes on; authentication/authorisation failures stop the run at once.
/// </summary>
public sealed partial class TransferEngine
{
    private readonly IObjectSource _source;
    private readonly IBlobDestination _destination;
    private readonly TransferOptions _options;
    private readonly TransferStats _stats;
    private readonly IReportSink _report;
    private readonly ObjectCopier _copier;

    private readonly ILogger _log;
    private readonly BandwidthLimiter? _limiter;

    public TransferEngine(IObjectSource source, IBlobDestination destination, TransferOptions options, TransferStats stats, IReportSink? report = null, ILogger? logger = null)
    {
        _log = logger ?? NullLogger.Instance;
        _source = source;
        _destination = destination;
        _options = options;
        _stats = stats;
        _report = report ?? NullReport.Instance;
        Budget = new MemoryBudget(options.MaxMemory);
        _limiter = options.MaxBandwidth is { } bw ? new BandwidthLimiter(bw) : null;
        _copier = new ObjectCopier(source, destination, options.Copy, Budget, stats, _limiter);
    }

    /// <summary>The buffer budget (its <see cref="MemoryBudget.Peak"/> is reported).</summary>
    public MemoryBudget Budget { get; }

    /// <summary>
    /// How objects are transferred, given the streamed copier: null (default) streams every object;
    /// e.g. <c>c => new ServiceSideCopier(..., streamed: c, ...)</c> lets Azure fetch them.
    /// </summary>
    public Func<ObjectCopier, IObjectTransfer>? TransferStrategy { get; init; }

    private IObjectTransfer? _transfer;
    private readonly Lock _transferGate = new();
    // Once per run, under a lock: concurrent first objects made two strategies (two auto-mode probes and notices).
    private IObjectTransfer Transfer { get { lock (_transferGate) return _transfer ??= TransferStrategy?.Invoke(_copier) ?? _copier; } }

    private sealed record WorkItem(SourceObject Source, string BlobName, string Reason, DestinationBlob? Existing);

    public async Task<RunResult> RunAsync(RunMode mode, CancellationToken ct)
    {
        if (mode is RunMode.Copy or RunMode.Sync) await _destination.EnsureContainerAsync(ct).ConfigureAwait(false);

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(Math.Max(1, _options.Concurrency) * 2)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        bool needsWorkers = mode is RunMode.Copy or RunMode.Sync || (mode == RunMode.Verify && _options.DeepVerify);
        Exception? fatal = null;
        var workers = Enumerable.Range(0, needsWorkers ? Math.Max(1, _options.Concurrency) : 0)
            .Select(_ => Task.Run(async () =>
            {
                try { await WorkAsync(channel.Reader, mode, abort.Token).ConfigureAwait(false); }
                catch (Exception e) when (IsFatal(e))
                {
                    Interlocked.CompareExchange(ref fatal, e, null);
                    abort.Cancel();
                }
                catch (OperationCanceledException) when (abort.IsCancellationRequested)
                {
                    // Interrupted, or the producer failed: the producer's exception is the one reported.
                }
            }, CancellationToken.None)).ToArray();

        var extras = new List<DestinationBlob>();
        var renamed = new HashSet<string>(StringComparer.Ordinal);
        var resume = mode is RunMode.Copy or RunMode.Sync ? _journal?.Resume : null; // a resumed job (see TransferEngine.Resume.cs)
        long sourcesInScope = resume?.SourcesInScope ?? 0;
        try
        {
            if (resume is not null) await ResumeUnfinishedAsync(mode, resume, channel.Writer, extras, renamed, abort.Token).ConfigureAwait(false);
            await foreach (var entry in March.MergeAsync(
                ListSource(resume?.ListedThrough, abort.Token), s => _destination.Prefix + Relative(s.Key),
                ListDestination(resume?.ListedThrough, abort.Token), d => d.Name, _options.ListingReadAhead, abort.Token).ConfigureAwait(false))
            {
                if (entry.Source is { } src)
                {
                    _stats.OnListed();
                    var rel = Relative(src.Key);
                    if (_options.Filter.Includes(rel, src.Size, src.LastModified))
                    {
                        sourcesInScope++;
                        await DecideAsync(mode, src, rel, entry.Destination, channel.Writer, renamed, abort.Token).ConfigureAwait(false);
                    }
                    _journal?.ListedThrough(src.Key);
                }
                // Under "encode" a blob can carry the raw spelling of a renamed key: it is not that key's blob.
                if (entry.Destination is { } dst && (entry.Source is null || MapsElsewhere(entry.Source)))
                {
                    if (!_options.Filter.IncludesName(dst.Name[_destination.Prefix.Length..])) continue;
                    if (mode == RunMode.Verify || _options.Delete) { extras.Add(dst); if (mode == RunMode.Sync) _journal?.Extra(dst); }
                }
            }
            _stats.OnListingDone();
            _journal?.ListingDone();
        }
        catch (Exception) when (fatal is not null)
        {
            // A worker hit an auth failure and cancelled the listing: report that instead (below).
        }
        catch
        {
            // Listing failed (or was interrupted): stop the workers rather than finish the queue.
            abort.Cancel();
            throw;
        }
        finally
        {
            channel.Writer.TryComplete();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        if (fatal is not null) ExceptionDispatchInfo.Throw(fatal);
        ct.ThrowIfCancellationRequested();

        // An encoded (renamed) blob is listed under its new name and looks destination-only; a blob an
        // older encoding wrote for a key renamed now is matched by the key it records (never deleted).
        extras.RemoveAll(d => renamed.Contains(d.Name) || _renamedKeys.RecordedBy(d, _source.Bucket));
        string? refused = null;
        if (mode == RunMode.Verify)
        {
            foreach (var d in extras)
            {
                _stats.OnExtra();
                _report.Write(new ReportEntry(null, null, null, d.Size, d.Name, Hex(d.ContentMd5), Outcome.Extra, NotInSource(d)));
            }
        }
        else if (_options.Delete && mode is RunMode.Sync or RunMode.Plan && extras.Count > 0)
        {
            refused = DeleteGuard(mode, extras.Count, sourcesInScope);
            if (refused is not null)
            {
                foreach (var d in extras)
                    _report.Write(new ReportEntry(null, null, null, d.Size, d.Name, Hex(d.ContentMd5), Outcome.Skipped, "delete refused: " + refused));
            }
            else if (mode == RunMode.Plan)
            {
                foreach (var d in extras)
                {
                    _stats.OnPlannedDelete();
                    _report.Write(new ReportEntry(null, null, null, d.Size, d.Name, Hex(d.ContentMd5), Outcome.WouldDelete, NotInSource(d)));
                }
            }
            else
            {
                await DeleteAsync(extras, ct).ConfigureAwait(false);
            }
        }

        return new RunResult
        {
            Mode = mode,
            Source = _source.Describe,
            Destination = _destination.Describe,
            Stats = _stats,
            DeleteRefused = refused,
            PeakBufferBytes = Budget.Peak,
        };
    }

    private readonly Dictionary<string, string> _claimedNames = new(StringComparer.Ordinal);
    private readonly RenamedSourceKeys _renamedKeys = new();
    private bool MapsElsewhere(SourceObject src) => _options.NamePolicy == NamePolicy.Encode && BlobNamePolicy.Map(Relative(src.Key), _destination.Prefix, NamePolicy.Encode).Renamed;
    private string NotInSource(DestinationBlob d) => BlobNamePolicy.NotInSource(d.Name[_destination.Prefix.Length..], _options.NamePolicy);

    private string Relative(string key) => key[_source.Prefix.Length..];

    /// <summary>Copy, skip or verify one source object that passed the filter.</summary>
    private async Task DecideAsync(RunMode mode, SourceObject src, string rel, DestinationBlob? existing,
        ChannelWriter<WorkItem> work, HashSet<string> renamed, CancellationToken ct)
    {
        if (src.IsDirectoryMarker) { Skip(src, null, "directory marker"); return; }
        if (src.IsArchived) { Skip(src, null, $"archived ({src.StorageClass}): restore it first"); return; }

        var name = BlobNamePolicy.Map(rel, _destination.Prefix, _options.NamePolicy);
        if (!name.Accepted)
        {
            var reason = "invalid blob name: " + name.Problem;
            if (_options.NamePolicy == NamePolicy.Fail) Fail(src, null, reason);
            else Skip(src, null, reason);
            return;
        }
        var note = "";
        if (name.Renamed)
        {
            renamed.Add(name.BlobName!);
            _renamedKeys.Add(src.Key);
            _stats.OnRenamed();
            note = $" (renamed: {name.Problem})";
            existing = await _destination.GetAsync(name.BlobName!, ct).ConfigureAwait(false);
        }

        // "encode" is injective over all keys, but a name can still meet a blob another mapping
        // wrote (an older encoding, or a run with another --name-policy: "a%2E" from the valid key
        // "a%2E"): never let one overwrite the other. Within this run, copies are still in flight,
        // so remember the names that could meet: encoded names, and names containing '%'.
        if (name.Renamed || name.BlobName!.Contains('%'))
        {
            if (!_claimedNames.TryAdd(name.BlobName!, src.Key))
            {
                Fail(src, name.BlobName, $"blob name collides with key '{_claimedNames[name.BlobName!]}' of this run");
                return;
            }
        }
        if (existing?.RecordedSourceKey is { } holder && holder != src.Key && existing.RecordedSourceBucket == _source.Bucket
            && (name.Renamed || BlobNamePolicy.Problem(holder) is not null))
        {
            Fail(src, name.BlobName, $"blob name collides with the blob copied from key '{holder}'");
            return;
        }

        if (mode == RunMode.Verify)
        {
            await VerifyAsync(src, name.BlobName!, existing, note, work, ct).ConfigureAwait(false);
            return;
        }

        var decision = _options.Decider.Decide(src, existing);
        if (decision.Kind == DecisionKind.Skip) { Skip(src, name.BlobName, decision.Reason + note); return; }
        _stats.OnPlannedCopy(src.Size);
        if (mode == RunMode.Plan)
            _report.Write(Entry(src, name.BlobName, null, Outcome.WouldCopy, decision.Reason + note));
        else
        {
            _journal?.Planned(src, name.BlobName!, decision.Reason + note);
            await work.WriteAsync(new WorkItem(src, name.BlobName!, decision.Reason + note, existing), ct).ConfigureAwait(false);
        }
    }

    private async Task WorkAsync(ChannelReader<WorkItem> work, RunMode mode, CancellationToken ct)
    {
        await foreach (var item in work.ReadAllAsync(ct).ConfigureAwait(false))
        {
            try
            {
                if (mode == RunMode.Verify) await DeepVerifyAsync(item, ct).ConfigureAwait(false);
                else
                {
                    _journal?.Copying(item.Source, item.BlobName);
                    var result = await Transfer.CopyAsync(item.Source, item.BlobName, ct).ConfigureAwait(false);
                    _journal?.Committed(item.Source, item.BlobName, result);
                    _stats.OnCopied(item.Source.Size);
                    if (result.IsUnverified) _stats.OnUnverified();
                    _stats.OnTransferMode(result.Mode, result.ModeReason);
                    var reason = $"{item.Reason}; {result.Verification}";
                    if (result.ModeReason is not null) reason += "; " + result.ModeReason;
                    if (result.Notes.Count > 0) reason += "; " + string.Join("; ", result.Notes);
                    _report.Write(Entry(item.Source, item.BlobName, result.Md5, Outcome.Copied, reason, result.VersionId) with { Mode = result.Mode });
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
            catch (Exception e) when (!IsFatal(e))
            {
                // The redacting logger provider masks secrets; the full exception helps diagnose.
                _log.LogDebug(e, "{Key} failed", item.Source.Key);
                Fail(item.Source, item.BlobName, Describe(e));
            }
        }
    }

    // ---- verify ----

    private async Task VerifyAsync(SourceObject src, string blobName, DestinationBlob? dst, string note, ChannelWriter<WorkItem> work, CancellationToken ct)
    {
        if (dst is null) { Different(src, blobName, null, Outcome.Missing, "not in destination" + note); return; }
        if (dst.Size != src.Size) { Different(src, blobName, dst, Outcome.Mismatch, $"size differs (source {src.Size}, destination {dst.Size})"); return; }
        if (_options.DeepVerify) { await work.WriteAsync(new WorkItem(src, blobName, note, dst), ct).ConfigureAwait(false); return; }
        // A multipart source copied service-side has no Content-MD5: no byte passed through this host to compute it.
        var unhashed = dst.ContentMd5 is null && !src.ETagIsMd5 && ServiceSide.ServiceSideCopier.WroteServiceSide(dst);
        if (dst.ContentMd5 is null && !unhashed) { Different(src, blobName, dst, Outcome.Mismatch, "destination has no Content-MD5"); return; }
        var recordedEtag = dst.RecordedSourceETag;
        if (src.ETagIsMd5 && (recordedEtag is null || recordedEtag == CompositeEtag.Normalize(src.ETag)))
        {
            if (!dst.ContentMd5!.AsSpan().SequenceEqual(CompositeEtag.Md5FromEtag(src.ETag)))
            { Different(src, blobName, dst, Outcome.Mismatch, "Content-MD5 differs from the source MD5"); return; }
            Same(src, blobName, dst, "size and MD5 equal" + note);
            return;
        }
        // Multipart (or non-digest) ETag: S3 does not know the whole-object MD5, so trust the ETag the
        // copy proved and recorded; the blob's Content-MD5 must be the MD5 that copy computed.
        if (recordedEtag != CompositeEtag.Normalize(src.ETag))
        { Different(src, blobName, dst, Outcome.Mismatch, recordedEtag is null ? "destination does not record the source ETag (use --deep)" : "source ETag differs from the one recorded at copy time"); return; }
        Same(src, blobName, dst, "size equal, source ETag recorded at copy" + (unhashed ? " (copied service-side: bytes not hashed, verify --hash reads both sides)" : "") + note);
    }

    /// <summary>Reads the blob back: its MD5 must equal its Content-MD5 and match the source ETag (plain or rebuilt multipart).</summary>
    private async Task DeepVerifyAsync(WorkItem item, CancellationToken ct)
    {
        var src = item.Source;
        var dst = item.Existing!;
        var composite = await ObjectCopier.MultipartFor(_source, src, ct).ConfigureAwait(false);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        await using (var stream = await _destination.OpenReadAsync(item.BlobName, ct).ConfigureAwait(false))
        {
            var buffer = new byte[1024 * 1024];
            int n;
            while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                if (_limiter is not null) await _limiter.WaitAsync(n, ct).ConfigureAwait(false);
                md5.AppendData(buffer.AsSpan(0, n));
                composite?.Append(buffer.AsSpan(0, n));
                _stats.OnBytes(n);
            }
        }
        var actual = md5.GetHashAndReset();
        var expected = CompositeEtag.Normalize(src.ETag);
        string? problem = null;
        if (dst.ContentMd5 is not null && !dst.ContentMd5.AsSpan().SequenceEqual(actual)) problem = "blob bytes do not match its Content-MD5";
        else if (composite is not null && composite.Finish(expected) is { MatchedPartSize: null } miss)
            problem = composite.IsInferred
                ? $"blob bytes match none of the usual part layouts of multipart ETag {expected} (the source does not report part sizes)"
                : $"blob bytes give multipart ETag {miss.Rebuilt}, source has {expected}";
        else if (composite is null && src.ETagIsMd5 && Convert.ToHexStringLower(actual) != expected) problem = "blob MD5 differs from the source MD5";
        var how = "bytes read back match";
        // verify --hash: an ETag that is not an MD5 proves nothing by itself (or its part layout is
        // unknown): hash the source's bytes too and compare them with the blob's.
        if (_options.HashSource && !src.ETagIsMd5 && (problem is null || composite is { IsInferred: true }) && problem != "blob bytes do not match its Content-MD5")
        {
            var sourceMd5 = await ServiceSide.SourceHash.Md5Async(_source, src, _limiter, _stats, ct).ConfigureAwait(false);
            problem = sourceMd5.AsSpan().SequenceEqual(actual) ? null : "blob MD5 differs from the MD5 of the source's bytes";
            how = "bytes read back match the source's bytes (both sides hashed)";
        }
        if (problem is null) Same(src, item.BlobName, dst, how + item.Reason);
        else Different(src, item.BlobName, dst, Outcome.Mismatch, problem);
    }

    // ---- deletes ----

    private string? DeleteGuard(RunMode mode, int count, long sourcesInScope)
    {
        if (mode == RunMode.Sync && _stats.Failed > 0)
            return $"{_stats.Failed} object(s) failed; deletes are skipped so a partial source view never removes data";
        if (_options.Force) return null;
        if (sourcesInScope == 0)
            return $"the source listing is empty but {count} blob(s) would be deleted (wrong prefix or permissions?); use --force if this is intended";
        if (_options.MaxDelete is { } max && count > max)
            return $"{count} blob(s) would be deleted, more than --max-delete {max}; raise it or use --force";
        return null;
    }

    private async Task DeleteAsync(List<DestinationBlob> extras, CancellationToken ct)
    {
        foreach (var _ in extras) _stats.OnPlannedDelete();
        await Parallel.ForEachAsync(extras, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Concurrency), CancellationToken = ct },
            async (d, token) =>
            {
                try
                {
                    await _destination.DeleteAsync(d.Name, token).ConfigureAwait(false);
                    _stats.OnDeleted();
                    _journal?.ExtraDone(d.Name, null);
                    _report.Write(new ReportEntry(null, null, null, d.Size, d.Name, Hex(d.ContentMd5), Outcome.Deleted, NotInSource(d)));
                }
                catch (Exception e) when (!IsFatal(e) && e is not OperationCanceledException)
                {
                    var reason = "delete failed: " + Describe(e);
                    _stats.OnFailed(d.Name, reason);
                    _journal?.ExtraDone(d.Name, reason);
                    _report.Write(new ReportEntry(null, null, null, d.Size, d.Name, Hex(d.ContentMd5), Outcome.Failed, reason));
                }
            }).ConfigureAwait(false);
    }

    // ---- outcomes ----

    private void Skip(SourceObject s, string? blob, string reason)
    {
        _stats.OnSkipped(reason.StartsWith("invalid blob name", StringComparison.Ordinal) ? reason : ReasonGroup(reason));
        _journal?.Skipped(s, blob, reason);
        _report.Write(Entry(s, blob, null, Outcome.Skipped, reason));
    }

    private void Fail(SourceObject s, string? blob, string reason)
    {
        _stats.OnFailed(s.Key, reason);
        _journal?.Failed(s, blob, reason);
        _report.Write(Entry(s, blob, null, Outcome.Failed, reason));
    }

    private void Same(SourceObject s, string blob, DestinationBlob d, string reason)
    {
        _stats.OnMatched();
        _report.Write(Entry(s, blob, d.ContentMd5, Outcome.Match, reason));
    }

    private void Different(SourceObject s, string blob, DestinationBlob? d, Outcome outcome, string reason)
    {
        if (outcome == Outcome.Missing) _stats.OnMissing(); else _stats.OnMismatched();
        _report.Write(Entry(s, blob, d?.ContentMd5, outcome, reason));
    }

    /// <summary>Skip reasons without the per-object rename note, so the summary groups them.</summary>
    private static string ReasonGroup(string reason) => reason.Split(" (renamed:", 2)[0];

    private static ReportEntry Entry(SourceObject s, string? blob, byte[]? md5, Outcome outcome, string reason, string? version = null)
        => new(s.Key, version ?? s.VersionId, CompositeEtag.Normalize(s.ETag), s.Size, blob, Hex(md5), outcome, reason);

    private static string? Hex(byte[]? md5) => md5 is null ? null : Convert.ToHexStringLower(md5);

    /// <summary>Authentication/authorisation failures end the run (exit 3) instead of failing object after object.</summary>
    public static bool IsFatal(Exception e) => e switch
    {
        AggregateException a => a.InnerExceptions.Any(IsFatal),
        AmazonServiceException { StatusCode: HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized } => true,
        RequestFailedException { Status: 401 or 403 } => true,
        AuthenticationFailedException or CredentialUnavailableException => true,
        SkybridgeException { ExitCode: ExitCodes.Auth } => true,
        _ => e.InnerException is { } inner && IsFatal(inner),
    };

    /// <summary>A one-line, secret-free reason for a per-object failure.</summary>
    public static string Describe(Exception e)
    {
        var text = e switch
        {
            SourceChangedException or IntegrityException or ServiceSide.CopySourceException => e.Message,
            AmazonServiceException a => $"S3 {(int)a.StatusCode} {a.ErrorCode}: {FirstLine(a.Message)}",
            RequestFailedException r => $"Azure {r.Status} {r.ErrorCode}: {FirstLine(r.Message)}",
            _ => $"{e.GetType().Name}: {FirstLine(e.Message)}",
        };
        return SecretRedactor.Redact(text);
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
