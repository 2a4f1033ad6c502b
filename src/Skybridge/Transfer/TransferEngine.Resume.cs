using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Skybridge.Blob;

namespace Skybridge.Transfer;

/// <summary>An <see cref="IObjectSource"/> that can start its listing after a key (S3 ListObjectsV2 StartAfter).</summary>
public interface IResumableSource
{
    /// <summary>Objects with keys after <paramref name="startAfter"/> (UTF-8 binary order), in key order.</summary>
    IAsyncEnumerable<SourceObject> ListAfterAsync(string startAfter, CancellationToken ct);

    /// <summary>One object as a listing would show it now, or null when it no longer exists.</summary>
    Task<SourceObject?> GetAsync(string key, CancellationToken ct);
}

/// <summary>Job journal hooks and resume (see <see cref="ITransferJournal"/>).</summary>
public sealed partial class TransferEngine
{
    private readonly ITransferJournal? _journal;

    /// <summary>
    /// Optional job journal (set it for copy and sync only): records every decision, object state and
    /// staged block; when it carries a <see cref="ITransferJournal.Resume"/> point, the run first
    /// re-queues the job's unfinished objects, then lists only what comes after the watermark.
    /// </summary>
    public ITransferJournal? Journal
    {
        get => _journal;
        init
        {
            _journal = value;
            _copier.Blocks = value?.Blocks;
        }
    }

    /// <summary>Re-decides the objects an earlier run left unfinished (the destination may have changed, or have the blob already).</summary>
    private async Task ResumeUnfinishedAsync(RunMode mode, ResumePoint resume, ChannelWriter<WorkItem> work, List<DestinationBlob> extras,
        HashSet<string> renamed, CancellationToken ct)
    {
        await foreach (var u in _journal!.UnfinishedAsync(ct).ConfigureAwait(false))
        {
            var src = u.Source;
            var rel = Relative(src.Key);
            DestinationBlob? existing = null;
            try
            {
                // The journal has the object as it was listed then; it may have changed or gone since.
                if (_source is IResumableSource resumable)
                {
                    if (await resumable.GetAsync(src.Key, ct).ConfigureAwait(false) is not { } now) { Skip(src, null, "no longer in the source"); continue; }
                    src = now;
                    if (!_options.Filter.Includes(rel, src.Size, src.LastModified)) { Skip(src, null, "no longer matches the filters"); continue; }
                }
                // Killed between Put Block List and the journal write: the blob is there, and the decider skips it.
                var name = BlobNamePolicy.Map(rel, _destination.Prefix, _options.NamePolicy);
                if (name.Accepted && !name.Renamed) existing = await _destination.GetAsync(name.BlobName!, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (!IsFatal(e) && e is not OperationCanceledException)
            {
                Fail(src, null, Describe(e));
                continue;
            }
            await DecideAsync(mode, src, rel, existing, work, renamed, ct).ConfigureAwait(false);
        }
        // Destination-only blobs found before the watermark are not listed again: take them from the journal.
        if (mode == RunMode.Sync && _options.Delete && resume.ListedThrough is { } through)
        {
            var bound = _destination.Prefix + Relative(through);
            await foreach (var d in _journal.PendingExtrasAsync(ct).ConfigureAwait(false))
                if (Utf8Ordinal.Instance.Compare(d.Name, bound) <= 0) extras.Add(d);
        }
    }

    private IAsyncEnumerable<SourceObject> ListSource(string? after, CancellationToken ct)
        => after is null ? _source.ListAsync(ct) : After(_source is IResumableSource r ? r.ListAfterAsync(after, ct) : _source.ListAsync(ct), o => o.Key, after, ct);

    /// <summary>The destination listing has no start-after here: names up to the watermark's blob name are dropped as they stream by.</summary>
    private IAsyncEnumerable<DestinationBlob> ListDestination(string? after, CancellationToken ct)
        => after is null ? _destination.ListAsync(ct) : After(_destination.ListAsync(ct), d => d.Name, _destination.Prefix + Relative(after), ct);

    private static async IAsyncEnumerable<T> After<T>(IAsyncEnumerable<T> items, Func<T, string> name, string after, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var item in items.WithCancellation(ct).ConfigureAwait(false))
            if (Utf8Ordinal.Instance.Compare(name(item), after) > 0) yield return item;
    }
}
