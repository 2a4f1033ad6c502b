using System.Collections.Concurrent;
using System.Diagnostics;

namespace Skybridge.Transfer;

/// <summary>
/// Live byte progress, as the copiers report it while an object is in flight (outcomes arrive
/// through <see cref="Outcomes.ITransferObserver"/> instead).
/// </summary>
public interface ITransferProgress
{
    /// <summary>Bytes read from the source (or destination) through this host.</summary>
    void OnBytes(long bytes);
    /// <summary>Bytes Azure fetched from the source itself.</summary>
    void OnServiceSideBytes(long bytes);
    /// <summary>A presigned URL was made again because the source refused one.</summary>
    void OnRepresigned();
}

/// <summary>
/// The single set of counters of a run (rclone's accounting): the progress display, the summary and
/// the exit code all read this one object, so they can never disagree. Thread-safe.
/// </summary>
public sealed class TransferStats : ITransferProgress
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _listed, _toCopy, _bytesToCopy, _copied, _bytesCopied, _bytesTransferred, _skipped, _failed, _deleted,
        _renamed, _unverified, _toDelete, _missing, _extra, _mismatched, _matched;
    private long _serviceSide, _streamed, _bytesServiceSide, _represigned;
    private readonly ConcurrentDictionary<string, int> _streamReasons = new();
    private readonly ConcurrentDictionary<string, int> _proofs = new();
    private int _listingDone;
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentDictionary<string, int> _skipReasons = new();
    private readonly ConcurrentDictionary<string, int> _failReasons = new();

    /// <summary>Most failure lines kept in <see cref="Errors"/> (the counts keep counting).</summary>
    public const int MaxErrorsKept = 50;

    /// <summary>Source objects listed (in scope or not).</summary>
    public long Listed => Interlocked.Read(ref _listed);
    /// <summary>Objects decided "copy" so far (grows while listing continues).</summary>
    public long ToCopy => Interlocked.Read(ref _toCopy);
    /// <summary>Total size of the objects decided "copy" so far, in bytes.</summary>
    public long BytesToCopy => Interlocked.Read(ref _bytesToCopy);
    /// <summary>Objects committed at the destination.</summary>
    public long Copied => Interlocked.Read(ref _copied);
    /// <summary>Bytes of the committed objects.</summary>
    public long BytesCopied => Interlocked.Read(ref _bytesCopied);
    /// <summary>Bytes read from the source so far, including objects still in flight (drives the rate).</summary>
    public long BytesTransferred => Interlocked.Read(ref _bytesTransferred);
    /// <summary>Objects skipped (reasons in <see cref="SkipReasons"/>).</summary>
    public long Skipped => Interlocked.Read(ref _skipped);
    /// <summary>Objects (or deletes) that failed; non-zero makes the CLI exit 1.</summary>
    public long Failed => Interlocked.Read(ref _failed);
    /// <summary>Destination blobs deleted (sync --delete).</summary>
    public long Deleted => Interlocked.Read(ref _deleted);
    /// <summary>Objects whose key was encoded into another blob name (name policy encode).</summary>
    public long Renamed => Interlocked.Read(ref _renamed);
    /// <summary>Copied objects whose bytes could not be compared with the source ETag (see the report's reason).</summary>
    public long Unverified => Interlocked.Read(ref _unverified);
    /// <summary>Destination-only blobs a sync --delete removes (or, in plan, would remove).</summary>
    public long ToDelete => Interlocked.Read(ref _toDelete);
    /// <summary>Verify: source objects with no blob.</summary>
    public long Missing => Interlocked.Read(ref _missing);
    /// <summary>Verify: blobs with no source object.</summary>
    public long Extra => Interlocked.Read(ref _extra);
    /// <summary>Verify: blobs that differ from their source object (or cannot be shown equal).</summary>
    public long Mismatched => Interlocked.Read(ref _mismatched);
    /// <summary>Verify: blobs shown equal to their source object.</summary>
    public long Matched => Interlocked.Read(ref _matched);
    /// <summary>True once the source listing has ended (totals stop growing).</summary>
    public bool ListingDone => Volatile.Read(ref _listingDone) == 1;
    /// <summary>Time since the counters were created.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;
    /// <summary>The first <see cref="MaxErrorsKept"/> failures, "name: reason" each, raw: escape and redact them before printing (<see cref="Diagnostics.DisplayName"/>, <see cref="Diagnostics.SecretRedactor"/>).</summary>
    public IReadOnlyCollection<string> Errors => _errors;
    /// <summary>Skip reasons (as shown) with how many objects had each.</summary>
    public IReadOnlyDictionary<string, int> SkipReasons => _skipReasons;
    /// <summary>Failure reasons, grouped by their first 80 characters, with counts.</summary>
    public IReadOnlyDictionary<string, int> FailReasons => _failReasons;

    /// <summary>Objects whose bytes Azure fetched itself (service-side: never through this host).</summary>
    public long ServiceSide => Interlocked.Read(ref _serviceSide);
    /// <summary>Objects whose bytes went through this host.</summary>
    public long Streamed => Interlocked.Read(ref _streamed);
    /// <summary>Bytes Azure fetched from the source itself (not in <see cref="BytesTransferred"/>).</summary>
    public long BytesServiceSide => Interlocked.Read(ref _bytesServiceSide);
    /// <summary>Bytes moved either way: what progress and rate show.</summary>
    public long BytesMoved => BytesTransferred + BytesServiceSide;
    /// <summary>Presigned URLs made again because the source refused one.</summary>
    public long Represigned => Interlocked.Read(ref _represigned);
    /// <summary>Why objects were streamed when service-side was asked for (grouped), with counts.</summary>
    public IReadOnlyDictionary<string, int> StreamReasons => _streamReasons;

    /// <summary>Bytes per second over the whole run so far.</summary>
    public double Rate => Elapsed.TotalSeconds > 0.1 ? BytesMoved / Elapsed.TotalSeconds : 0;

    /// <summary>Time left for what is known so far; null until the rate means something.</summary>
    public TimeSpan? Eta
    {
        get
        {
            var rate = Rate;
            var left = BytesToCopy - BytesMoved;
            return rate > 0 && left >= 0 ? TimeSpan.FromSeconds(left / rate) : null;
        }
    }

    // The engine (StatsObserver) records; everyone else only reads.
    internal void OnListed() => Interlocked.Increment(ref _listed);
    internal void OnListingDone() => Volatile.Write(ref _listingDone, 1);
    internal void OnPlannedCopy(long bytes) { Interlocked.Increment(ref _toCopy); Interlocked.Add(ref _bytesToCopy, bytes); }
    /// <inheritdoc/>
    public void OnBytes(long bytes) => Interlocked.Add(ref _bytesTransferred, bytes);
    internal void OnCopied(long bytes) { Interlocked.Increment(ref _copied); Interlocked.Add(ref _bytesCopied, bytes); }
    internal void OnUnverified() => Interlocked.Increment(ref _unverified);
    /// <summary>Counts a copied object by what proved it (<see cref="Execution.ProofNames"/>).</summary>
    internal void OnProof(Execution.ProofKind proof) => _proofs.AddOrUpdate(Execution.ProofNames.Of(proof), 1, (_, n) => n + 1);
    /// <summary>Copied objects per proof name ("md5-by-destination": 4990, ...).</summary>
    public IReadOnlyDictionary<string, int> Proofs => new SortedDictionary<string, int>(_proofs, StringComparer.Ordinal);
    /// <inheritdoc/>
    public void OnServiceSideBytes(long bytes) => Interlocked.Add(ref _bytesServiceSide, bytes);
    /// <inheritdoc/>
    public void OnRepresigned() => Interlocked.Increment(ref _represigned);

    /// <summary>Counts a copied object by the way its bytes went (and, when streamed for a reason, why).</summary>
    internal void OnTransferMode(string mode, string? reason)
    {
        if (mode == Skybridge.Transfer.ServiceSide.TransferModes.Service) { Interlocked.Increment(ref _serviceSide); return; }
        Interlocked.Increment(ref _streamed);
        if (reason is not null) _streamReasons.AddOrUpdate(StreamReasonGroup(reason), 1, (_, n) => n + 1);
    }

    /// <summary>"presigned URL 2210 chars > 2048: streamed" -> "presigned URL > 2048 chars: streamed" (one summary line for all).</summary>
    internal static string StreamReasonGroup(string reason)
        => System.Text.RegularExpressions.Regex.Replace(reason, @"presigned URL \d+ chars > (\d+)", "presigned URL > $1 chars");
    internal void OnRenamed() => Interlocked.Increment(ref _renamed);
    internal void OnPlannedDelete() => Interlocked.Increment(ref _toDelete);
    internal void OnDeleted() => Interlocked.Increment(ref _deleted);
    internal void OnMatched() => Interlocked.Increment(ref _matched);
    internal void OnMissing() => Interlocked.Increment(ref _missing);
    internal void OnExtra() => Interlocked.Increment(ref _extra);
    internal void OnMismatched() => Interlocked.Increment(ref _mismatched);

    internal void OnSkipped(string reason)
    {
        Interlocked.Increment(ref _skipped);
        _skipReasons.AddOrUpdate(reason, 1, (_, n) => n + 1);
    }

    internal void OnFailed(string name, string reason)
    {
        Interlocked.Increment(ref _failed);
        _failReasons.AddOrUpdate(ReasonClass(reason), 1, (_, n) => n + 1);
        if (_errors.Count < MaxErrorsKept) _errors.Enqueue($"{name}: {reason}");
    }

    /// <summary>Groups reasons for the summary ("invalid name: control character" rather than one line per key).</summary>
    private static string ReasonClass(string reason) => reason.Length > 80 ? reason[..80] : reason;
}
