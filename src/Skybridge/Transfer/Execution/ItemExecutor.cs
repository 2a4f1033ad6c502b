using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Skybridge.Transfer.Planning;

namespace Skybridge.Transfer.Execution;

/// <summary>
/// Executes one <see cref="TransferItem"/> — a copy (streamed or service-side, whichever
/// <see cref="IObjectTransfer"/> it was given), a deep verify or a delete — and returns its
/// <see cref="ItemOutcome"/>. It records nothing itself: the caller publishes the outcome. A
/// per-object failure becomes a failed outcome; a fatal one (<see cref="TransferErrors.IsFatal"/>)
/// is thrown, for the run to stop. Items may come from another process (they are serializable):
/// everything needed is in the item.
/// </summary>
public sealed class ItemExecutor(
    IObjectSource source, IBlobDestination destination, IObjectTransfer transfer, TransferOptions options,
    ITransferProgress progress, BandwidthLimiter? limiter = null, ILogger? logger = null)
{
    private readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <summary>
    /// How many times an item is run when it fails with an exception no provider mapped. Such a
    /// failure is one nobody anticipated, and the ones seen are transient: .NET's HTTP stack threw
    /// "Specified argument was out of the range of valid values." from parsing a status line (3 of
    /// 50,000 GETs in a distributed run whose workers were frozen with SIGSTOP and thawed), which the
    /// AWS SDK does not retry. An item is safe to run again: nothing is committed unless proven, and
    /// the destination decides what a copy already committed.
    /// </summary>
    internal const int UnmappedFailureAttempts = 3;

    /// <summary>Executes <paramref name="item"/> (a copy, deep verify or delete) and returns its outcome; a failure of this object is a failed outcome, not an exception.</summary>
    /// <exception cref="SkybridgeException">A fatal failure (<see cref="TransferErrors.IsFatal"/>) that must stop the run.</exception>
    /// <exception cref="ArgumentException">An item of another action: those are settled when planned.</exception>
    public async Task<ItemOutcome> ExecuteAsync(TransferItem item, CancellationToken ct)
    {
        if (item.Action is not (ItemAction.Copy or ItemAction.DeepVerify or ItemAction.Delete))
            throw new ArgumentException($"{item.Action} items are settled when planned, not executed", nameof(item));
        string? unexpected = null;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var outcome = item.Action switch
                {
                    ItemAction.Copy => await CopyAsync(item, ct).ConfigureAwait(false),
                    ItemAction.DeepVerify => await DeepVerifyAsync(item, ct).ConfigureAwait(false),
                    _ => await DeleteAsync(item, ct).ConfigureAwait(false),
                };
                return unexpected is null ? outcome : outcome with { Reason = $"{outcome.Reason}; run again after {unexpected}" };
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
            catch (Exception e) when (!TransferErrors.IsFatal(e))
            {
                // The redacting logger provider masks secrets; the full exception helps diagnose. A
                // failure no provider mapped is logged with its stack where an operator sees it.
                if (e is SkybridgeException)
                {
                    _log.LogDebug(e, "{Key} failed", item.Name);
                }
                else
                {
                    _log.LogWarning(e, "{Key} failed with an unexpected {Type} (attempt {Attempt} of {Attempts})", item.Name, e.GetType().Name, attempt, UnmappedFailureAttempts);
                    if (attempt < UnmappedFailureAttempts)
                    {
                        unexpected = "an unexpected " + TransferErrors.Describe(e);
                        await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), ct).ConfigureAwait(false);
                        continue;
                    }
                }
                var reason = TransferErrors.Describe(e);
                return ItemOutcome.Failed(item.Action == ItemAction.Delete ? "delete failed: " + reason : reason);
            }
        }
    }

    private async Task<ItemOutcome> CopyAsync(TransferItem item, CancellationToken ct)
    {
        var src = item.Source!;
        var result = await transfer.CopyAsync(src, item.BlobName!, ct).ConfigureAwait(false);
        var reason = $"{item.Text}; {result.Verification}";
        if (result.ModeReason is not null) reason += "; " + result.ModeReason;
        if (result.Notes.Count > 0) reason += "; " + string.Join("; ", result.Notes);
        var service = result.Mode == ServiceSide.TransferModes.Service;
        return new ItemOutcome
        {
            Status = Outcome.Copied,
            Reason = reason,
            Md5 = result.Md5,
            VersionId = result.VersionId,
            Copy = result,
            BytesThroughHost = service ? 0 : src.Size,
            BytesServiceSide = service ? src.Size : 0,
        };
    }

    private async Task<ItemOutcome> DeleteAsync(TransferItem item, CancellationToken ct)
    {
        await destination.DeleteAsync(item.BlobName!, ct).ConfigureAwait(false);
        return ItemOutcome.Settled(Outcome.Deleted, item.Text, item.Existing?.ContentMd5);
    }

    /// <summary>Reads the blob back: its MD5 must equal its Content-MD5 and match the source ETag (plain or rebuilt multipart).</summary>
    private async Task<ItemOutcome> DeepVerifyAsync(TransferItem item, CancellationToken ct)
    {
        var src = item.Source!;
        var dst = item.Existing!;
        var composite = await ObjectCopier.MultipartFor(source, src, ct).ConfigureAwait(false);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long read = 0;
        await using (var stream = await destination.OpenReadAsync(item.BlobName!, ct).ConfigureAwait(false))
        {
            var buffer = new byte[1024 * 1024];
            int n;
            while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                if (limiter is not null) await limiter.WaitAsync(n, ct).ConfigureAwait(false);
                md5.AppendData(buffer.AsSpan(0, n));
                composite?.Append(buffer.AsSpan(0, n));
                progress.OnBytes(n);
                read += n;
            }
        }
        var actual = md5.GetHashAndReset();
        var expected = CompositeEtag.Normalize(src.ETag);
        string? problem = null;
        if (dst.ContentMd5 is not null && !dst.ContentMd5.AsSpan().SequenceEqual(actual)) problem = ContentMd5Problem;
        else if (composite is not null && composite.Finish(expected) is { MatchedPartSize: null } miss)
            problem = composite.IsInferred
                ? $"blob bytes match none of the usual part layouts of multipart ETag {expected} (the source does not report part sizes)"
                : $"blob bytes give multipart ETag {miss.Rebuilt}, source has {expected}";
        else if (composite is null && src.ETagIsMd5 && Convert.ToHexStringLower(actual) != expected) problem = "blob MD5 differs from the source MD5";
        var how = "bytes read back match";
        // verify --hash: an ETag that is not an MD5 proves nothing by itself (or its part layout is
        // unknown): hash the source's bytes too and compare them with the blob's.
        if (options.HashSource && !src.ETagIsMd5 && (problem is null || composite is { IsInferred: true }) && problem != ContentMd5Problem)
        {
            var sourceMd5 = await ServiceSide.SourceHash.Md5Async(source, src, limiter, progress, ct).ConfigureAwait(false);
            read += src.Size;
            problem = sourceMd5.AsSpan().SequenceEqual(actual) ? null : "blob MD5 differs from the MD5 of the source's bytes";
            how = "bytes read back match the source's bytes (both sides hashed)";
        }
        var note = item.RenamedBecause is null ? "" : $" (renamed: {item.RenamedBecause})";
        return problem is null
            ? ItemOutcome.Settled(Outcome.Match, how + note, dst.ContentMd5) with { BytesThroughHost = read }
            : ItemOutcome.Settled(Outcome.Mismatch, problem, dst.ContentMd5) with { BytesThroughHost = read };
    }

    private const string ContentMd5Problem = "blob bytes do not match its Content-MD5";
}
