using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Skybridge.Transfer;

namespace Skybridge.Jobs;

/// <summary>
/// One run of a job (the first or a resume), as the engine's <see cref="ITransferJournal"/>. Calls
/// never touch the disk: they queue an operation, and one background writer applies whatever is
/// queued in a single transaction, then the next batch (group commit: one object per transaction
/// when idle, thousands when busy). Operations are applied in the order they were queued, so the
/// listing watermark is never committed before the decisions it covers, and "committed" is only
/// written after the blob was committed. A killed process loses at most the last unwritten batch;
/// the resume logic re-checks the destination for anything not marked finished.
/// </summary>
public sealed class JobRun : ITransferJournal, IPartitionState, IItemState, IBlockCheckpoints, IAsyncDisposable
{
    private enum Kind { Decide, Fail, State, Block, Watermark, ListingDone, Extra, ExtraDone, Flush }

    private sealed record Op(Kind Kind, string Key = "", SourceObject? Source = null, string? Blob = null, string? Decision = null,
        string? Reason = null, string? State = null, int Attempt = 0, string? Md5 = null, string? Check = null, int Index = 0,
        string? BlockId = null, long Length = 0, bool Reused = false, TaskCompletionSource? Done = null);

    private const int MaxBatch = 4000;

    private readonly JobJournal _journal;
    private readonly SqliteConnection _write;
    private readonly SqliteConnection _read;
    private readonly Lock _readGate = new();
    private readonly Channel<Op> _ops = Channel.CreateUnbounded<Op>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly ConcurrentDictionary<string, byte> _resumed = new(StringComparer.Ordinal);
    private volatile Exception? _fault;
    private int _finished;
    private long _transactions, _operations, _statements;

    private JobRun(JobJournal journal, string jobId, int session, ResumePoint? resume, SqliteConnection write, SqliteConnection read)
    {
        _journal = journal;
        JobId = jobId;
        Session = session;
        Resume = resume;
        _write = write;
        _read = read;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The job this run belongs to.</summary>
    public string JobId { get; }
    /// <summary>1 for the first run of the job, 2 for its first resume, ...</summary>
    public int Session { get; }
    /// <inheritdoc/>
    public ResumePoint? Resume { get; }
    /// <inheritdoc/>
    public IPartitionState Partition => this;
    /// <inheritdoc/>
    public IItemState Items => this;
    /// <inheritdoc/>
    public IBlockCheckpoints Blocks => this;
    /// <summary>The journal database file.</summary>
    public string JournalPath => _journal.Path;

    /// <summary>Write transactions, operations queued and statements executed so far (batching and coalescing at work).</summary>
    public (long Transactions, long Operations, long Statements) WriteCounts
        => (Interlocked.Read(ref _transactions), Interlocked.Read(ref _operations), Interlocked.Read(ref _statements));

    internal static JobRun Start(JobJournal journal, string jobId, bool resume)
    {
        var job = journal.Get(jobId) ?? throw SkybridgeException.Usage($"No job '{jobId}' in {journal.Path}.", "'skybridge jobs list' shows the jobs.");
        if (job.Status == JobJournal.Running && !job.ProcessGone)
            throw SkybridgeException.Usage($"Job {job.Id} is running (process {job.Pid} on {job.Host}).", "Wait for it to end, or stop it with Ctrl-C first.");
        var write = journal.Connect();
        var read = journal.Connect();
        try
        {
            var now = JobJournal.Time(DateTimeOffset.UtcNow);
            int session;
            long inScope;
            using (var tx = write.BeginTransaction())
            {
                using (var cmd = write.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = """
                        UPDATE jobs SET status = $running, session = session + 1, pid = $pid, host = $host, updated_at = $now,
                                        finished_at = NULL, message = NULL
                        WHERE id = $j RETURNING session;
                        """;
                    cmd.Parameters.AddWithValue("$running", JobJournal.Running);
                    cmd.Parameters.AddWithValue("$pid", Environment.ProcessId);
                    cmd.Parameters.AddWithValue("$host", Environment.MachineName);
                    cmd.Parameters.AddWithValue("$now", now);
                    cmd.Parameters.AddWithValue("$j", job.Id);
                    session = Convert.ToInt32(cmd.ExecuteScalar());
                }
                using (var cmd = write.CreateCommand())
                {
                    // A run whose process died (kill -9, crash) never recorded its end.
                    cmd.Transaction = tx;
                    cmd.CommandText = $"UPDATE sessions SET status = '{JobJournal.Killed}' WHERE job_id = $j AND status = $running;";
                    cmd.Parameters.AddWithValue("$j", job.Id);
                    cmd.Parameters.AddWithValue("$running", JobJournal.Running);
                    cmd.ExecuteNonQuery();
                }
                using (var cmd = write.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = """
                        INSERT INTO sessions (job_id, session, started_at, status, resumed_after) VALUES ($j, $s, $now, $running, $after);
                        """;
                    cmd.Parameters.AddWithValue("$j", job.Id);
                    cmd.Parameters.AddWithValue("$s", session);
                    cmd.Parameters.AddWithValue("$now", now);
                    cmd.Parameters.AddWithValue("$running", JobJournal.Running);
                    cmd.Parameters.AddWithValue("$after", resume ? (object?)job.ListedThrough ?? DBNull.Value : DBNull.Value);
                    cmd.ExecuteNonQuery();
                }
                using (var cmd = write.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = "SELECT COUNT(*) FROM objects WHERE job_id = $j;";
                    cmd.Parameters.AddWithValue("$j", job.Id);
                    inScope = Convert.ToInt64(cmd.ExecuteScalar());
                }
                tx.Commit();
            }
            return new JobRun(journal, job.Id, session, resume ? new ResumePoint(job.ListedThrough, inScope) : null, write, read);
        }
        catch
        {
            write.Dispose();
            read.Dispose();
            throw;
        }
    }

    // ---- ITransferJournal: reads for a resume ----

    /// <inheritdoc/>
    public async IAsyncEnumerable<UnfinishedObject> UnfinishedAsync([EnumeratorCancellation] CancellationToken ct)
    {
        if (Resume?.ListedThrough is not { } through) yield break;
        List<UnfinishedObject> page;
        string? after = null;
        do
        {
            // Pages of 1,000 in key order, so a job with many failed objects is not read at once.
            page = [];
            lock (_readGate)
            {
                using var cmd = _read.CreateCommand();
                cmd.CommandText = $"""
                    SELECT key, version_id, etag, size, last_modified, storage_class, blob_name, decision, reason, state, attempts, session, md5
                    FROM objects WHERE job_id = $j AND state IN ('{JobJournal.Pending}', '{JobJournal.Copying}', '{JobJournal.Failed}')
                      AND key <= $through AND ($after IS NULL OR key > $after)
                    ORDER BY key LIMIT 1000;
                    """;
                cmd.Parameters.AddWithValue("$j", JobId);
                cmd.Parameters.AddWithValue("$through", through);
                cmd.Parameters.AddWithValue("$after", (object?)after ?? DBNull.Value);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    var row = JobJournal.ReadObject(r);
                    page.Add(new UnfinishedObject(new SourceObject(row.Key, row.Size, row.ETag, row.LastModified, row.StorageClass, row.VersionId)));
                }
            }
            foreach (var u in page)
            {
                ct.ThrowIfCancellationRequested();
                _resumed[u.Source.Key] = 0;
                after = u.Source.Key;
                yield return u;
            }
            await Task.Yield();
        } while (page.Count == 1000);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<DestinationBlob> PendingExtrasAsync([EnumeratorCancellation] CancellationToken ct)
    {
        if (Resume is null) yield break;
        var list = new List<DestinationBlob>();
        lock (_readGate)
        {
            using var cmd = _read.CreateCommand();
            cmd.CommandText = $"SELECT blob_name, size FROM extras WHERE job_id = $j AND state <> 'deleted' ORDER BY blob_name;";
            cmd.Parameters.AddWithValue("$j", JobId);
            using var r = cmd.ExecuteReader();
            while (r.Read()) list.Add(new DestinationBlob(r.GetString(0), r.GetInt64(1), null, DateTimeOffset.MinValue, new Dictionary<string, string>()));
        }
        foreach (var d in list)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return d;
        }
    }

    // ---- ITransferJournal: writes (queued) ----

    /// <inheritdoc/>
    public void Planned(SourceObject source, string blobName, string reason)
        => Enqueue(new Op(Kind.Decide, source.Key, source, blobName, "copy", reason, JobJournal.Pending));

    /// <inheritdoc/>
    public void Skipped(SourceObject source, string? blobName, string reason)
        => Enqueue(new Op(Kind.Decide, source.Key, source, blobName, "skip", reason, JobJournal.Skipped));

    /// <inheritdoc/>
    public void Failed(SourceObject source, string? blobName, string reason)
        => Enqueue(new Op(Kind.Fail, source.Key, source, blobName, "fail", reason, JobJournal.Failed));

    /// <inheritdoc/>
    public void ListedThrough(string key) => Enqueue(new Op(Kind.Watermark, key));

    /// <inheritdoc/>
    public void ListingDone() => Enqueue(new Op(Kind.ListingDone));

    /// <inheritdoc/>
    public void Copying(SourceObject source, string blobName)
        => Enqueue(new Op(Kind.State, source.Key, source, blobName, State: JobJournal.Copying, Attempt: 1));

    /// <inheritdoc/>
    public void Committed(SourceObject source, string blobName, CopyResult result)
        => Enqueue(new Op(Kind.State, source.Key, source, blobName, State: JobJournal.Committed, Reason: "verified by " + result.IntegrityCheck,
            Md5: result.Md5 is null ? null : Convert.ToHexStringLower(result.Md5), Check: result.IntegrityCheck));

    /// <inheritdoc/>
    public void Extra(DestinationBlob blob) => Enqueue(new Op(Kind.Extra, blob.Name, Length: blob.Size));

    /// <inheritdoc/>
    public void ExtraDone(string blobName, string? failure)
        => Enqueue(new Op(Kind.ExtraDone, blobName, State: failure is null ? "deleted" : JobJournal.Failed, Reason: failure));

    // ---- IBlockCheckpoints ----

    // Only objects an earlier run of this job decided and did not finish can have our blocks staged.
    /// <inheritdoc/>
    public bool MayHaveStaged(SourceObject source) => _resumed.ContainsKey(source.Key);

    /// <inheritdoc/>
    public IReadOnlyDictionary<int, byte[]?>? ReusableBlocks(SourceObject source, BlockPlan plan, IReadOnlyList<string> blockIds, IReadOnlyList<StagedBlock> staged)
    {
        if (staged.Count == 0) return null;
        var known = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        lock (_readGate)
        {
            using var cmd = _read.CreateCommand();
            cmd.CommandText = "SELECT block_id, md5 FROM blocks WHERE job_id = $j AND key = $k ORDER BY session;";
            cmd.Parameters.AddWithValue("$j", JobId);
            cmd.Parameters.AddWithValue("$k", source.Key);
            using var r = cmd.ExecuteReader();
            // "": staged without an MD5 (--upload-checksum none); the block ID and the ETag-pinned read vouch for it.
            while (r.Read()) if (r.GetString(1) is { Length: > 0 } md5) known[r.GetString(0)] = Convert.FromHexString(md5);
        }
        var resume = ResumePlanner.Plan(plan, blockIds, staged, known);
        return resume.Keep.Count == 0 ? null : resume.Keep;
    }

    /// <inheritdoc/>
    public void BlockStaged(SourceObject source, string blobName, int index, string blockId, int length, byte[]? md5, bool reused)
        => Enqueue(new Op(Kind.Block, source.Key, Index: index, BlockId: blockId, Length: length, Md5: md5 is null ? "" : Convert.ToHexStringLower(md5), Reused: reused));

    // ---- lifecycle ----

    /// <summary>Waits until everything queued so far is committed to the journal.</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_ops.Writer.TryWrite(new Op(Kind.Flush, Done: done))) done.TrySetResult();
        return done.Task;
    }

    /// <summary>
    /// Runs <paramref name="body"/> (the engine) as this job's run and records how it ended:
    /// completed, failed (some objects failed, deletes were refused, or the run stopped on an error:
    /// resumable once the cause is fixed) or interrupted (cancelled: every state written first).
    /// Exceptions are rethrown after they are recorded.
    /// </summary>
    public async Task<RunResult> RunAsync(Func<Task<RunResult>> body, TransferStats stats)
    {
        RunResult result;
        try
        {
            result = await body().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await FinishAsync(JobJournal.Interrupted, "interrupted (Ctrl-C / SIGINT / SIGTERM)", stats).ConfigureAwait(false);
            throw;
        }
        catch (Exception e)
        {
            await FinishAsync(JobJournal.Failed, "stopped: " + Transfer.TransferErrors.Describe(e), stats).ConfigureAwait(false);
            throw;
        }
        var ok = result.ExitCode == ExitCodes.Ok;
        await FinishAsync(ok ? JobJournal.Completed : JobJournal.Failed,
            ok ? null : $"{stats.Failed} object(s) failed" + (result.DeleteRefused is { } r ? "; deletes refused: " + r : ""), stats).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Writes everything queued, then the run's outcome: the job's status (running -> completed,
    /// failed or interrupted) and this session's counters.
    /// </summary>
    public async Task FinishAsync(string status, string? message = null, TransferStats? stats = null)
    {
        if (Interlocked.Exchange(ref _finished, 1) == 1) return;
        _ops.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        var now = JobJournal.Time(DateTimeOffset.UtcNow);
        using var tx = _write.BeginTransaction();
        using (var cmd = _write.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                UPDATE jobs SET status = $status, message = $message, updated_at = $now,
                                finished_at = CASE WHEN $status = 'interrupted' THEN NULL ELSE $now END
                WHERE id = $j;
                """;
            cmd.Parameters.AddWithValue("$status", status);
            cmd.Parameters.AddWithValue("$message", (object?)JobJournal.Clean(message) ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$now", now);
            cmd.Parameters.AddWithValue("$j", JobId);
            cmd.ExecuteNonQuery();
        }
        using (var cmd = _write.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                UPDATE sessions SET finished_at = $now, status = $status, listed = $listed, copied = $copied, bytes_copied = $bytes,
                                    skipped = $skipped, failed = $failed
                WHERE job_id = $j AND session = $s;
                """;
            cmd.Parameters.AddWithValue("$now", now);
            cmd.Parameters.AddWithValue("$status", status);
            cmd.Parameters.AddWithValue("$listed", stats?.Listed ?? 0);
            cmd.Parameters.AddWithValue("$copied", stats?.Copied ?? 0);
            cmd.Parameters.AddWithValue("$bytes", stats?.BytesCopied ?? 0);
            cmd.Parameters.AddWithValue("$skipped", stats?.Skipped ?? 0);
            cmd.Parameters.AddWithValue("$failed", stats?.Failed ?? 0);
            cmd.Parameters.AddWithValue("$j", JobId);
            cmd.Parameters.AddWithValue("$s", Session);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        if (_fault is { } fault)
            throw new SkybridgeException(ErrorKind.Failed, $"The job journal {_journal.Path} could not be written: {fault.Message}",
                "Check the disk and the journal path (--journal / SKYBRIDGE_JOURNAL); the copy itself is not affected.", fault);
    }

    /// <summary>Ends the run: one not finished by <see cref="FinishAsync"/> is recorded as interrupted; then the journal connections close.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Volatile.Read(ref _finished) == 0) await FinishAsync(JobJournal.Interrupted, "the run ended without a result").ConfigureAwait(false);
        }
        catch (SkybridgeException) { /* reported by FinishAsync's caller when it matters */ }
        finally
        {
            _write.Dispose();
            _read.Dispose();
        }
    }

    private void Enqueue(Op op)
    {
        if (!_ops.Writer.TryWrite(op) && op.Done is { } done) done.TrySetResult();
    }

    // ---- the writer ----

    private async Task WriteLoopAsync()
    {
        var reader = _ops.Reader;
        using var statements = new Statements(_write);
        var flushes = new List<TaskCompletionSource>();
        var batch = new List<Op>();
        var coalescer = new StateCoalescer();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            flushes.Clear();
            batch.Clear();
            int n = 0;
            try
            {
                using var tx = _write.BeginTransaction();
                statements.Enlist(tx);
                string? watermark = null;
                var now = JobJournal.Time(DateTimeOffset.UtcNow);
                while (n < MaxBatch && reader.TryRead(out var op))
                {
                    n++;
                    if (op.Kind == Kind.Flush) { flushes.Add(op.Done!); continue; }
                    if (op.Kind == Kind.Watermark) { watermark = op.Key; continue; }
                    batch.Add(op);
                }
                coalescer.Coalesce(batch);
                foreach (var op in batch) Apply(statements, op, now);
                statements.Touch(JobId, watermark, now);
                tx.Commit();
                Interlocked.Increment(ref _transactions);
                Interlocked.Add(ref _operations, n);
                Interlocked.Add(ref _statements, batch.Count + 1);
            }
            catch (Exception e)
            {
                // A journal that cannot be written must not stop the copy: remember why and say so at the end.
                _fault ??= e;
            }
            foreach (var f in flushes) f.TrySetResult();
        }
    }

    /// <summary>
    /// Merges, in one batch, each object's state updates that nothing else about the object comes
    /// between. A batch commits as one transaction, so no reader ever sees the earlier state:
    /// "copying" then "committed" is written once, as the two in order would leave the row (the
    /// later values win, a null keeps the earlier one as the UPDATE's COALESCE does, attempts add
    /// up). A busy run's small objects then cost two statements each instead of three.
    /// </summary>
    private sealed class StateCoalescer
    {
        // Source key -> index in the batch of its last state update, while nothing else of that key followed.
        private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);

        public void Coalesce(List<Op> batch)
        {
            _open.Clear();
            int kept = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                var op = batch[i];
                if (op.Kind == Kind.State && _open.TryGetValue(op.Key, out var at))
                {
                    var earlier = batch[at];
                    batch[at] = op with { Reason = op.Reason ?? earlier.Reason, Md5 = op.Md5 ?? earlier.Md5, Check = op.Check ?? earlier.Check, Attempt = earlier.Attempt + op.Attempt };
                    continue;
                }
                if (op.Kind == Kind.State) _open[op.Key] = kept;
                else if (op.Kind is Kind.Decide or Kind.Fail) _open.Remove(op.Key); // an upsert of the row: later updates apply after it
                batch[kept++] = op;
            }
            batch.RemoveRange(kept, batch.Count - kept);
        }
    }

    private void Apply(Statements s, Op op, string now)
    {
        switch (op.Kind)
        {
            case Kind.Decide:
            case Kind.Fail:
                var cmd = op.Kind == Kind.Decide ? s.Upsert : s.FailUpsert;
                var src = op.Source!;
                Set(cmd, "$j", JobId);
                Set(cmd, "$k", src.Key);
                Set(cmd, "$v", src.VersionId);
                Set(cmd, "$e", src.ETag);
                Set(cmd, "$size", src.Size);
                Set(cmd, "$lm", JobJournal.Time(src.LastModified));
                Set(cmd, "$sc", src.StorageClass);
                Set(cmd, "$b", op.Blob);
                Set(cmd, "$d", op.Decision);
                Set(cmd, "$r", JobJournal.Clean(op.Reason));
                Set(cmd, "$st", op.State);
                Set(cmd, "$s", Session);
                Set(cmd, "$now", now);
                cmd.ExecuteNonQuery();
                break;
            case Kind.State:
                Set(s.State, "$j", JobId);
                Set(s.State, "$k", op.Key);
                Set(s.State, "$st", op.State);
                Set(s.State, "$r", JobJournal.Clean(op.Reason));
                Set(s.State, "$m", op.Md5);
                Set(s.State, "$c", op.Check);
                Set(s.State, "$inc", op.Attempt);
                Set(s.State, "$s", Session);
                Set(s.State, "$now", now);
                s.State.ExecuteNonQuery();
                break;
            case Kind.Block:
                Set(s.Block, "$j", JobId);
                Set(s.Block, "$k", op.Key);
                Set(s.Block, "$i", op.Index);
                Set(s.Block, "$s", Session);
                Set(s.Block, "$id", op.BlockId);
                Set(s.Block, "$len", op.Length);
                Set(s.Block, "$m", op.Md5);
                Set(s.Block, "$reused", op.Reused ? 1 : 0);
                s.Block.ExecuteNonQuery();
                break;
            case Kind.ListingDone:
                Set(s.ListingDone, "$j", JobId);
                s.ListingDone.ExecuteNonQuery();
                break;
            case Kind.Extra:
                Set(s.Extra, "$j", JobId);
                Set(s.Extra, "$b", op.Key);
                Set(s.Extra, "$size", op.Length);
                s.Extra.ExecuteNonQuery();
                break;
            case Kind.ExtraDone:
                Set(s.ExtraDone, "$j", JobId);
                Set(s.ExtraDone, "$b", op.Key);
                Set(s.ExtraDone, "$st", op.State);
                Set(s.ExtraDone, "$r", JobJournal.Clean(op.Reason));
                s.ExtraDone.ExecuteNonQuery();
                break;
        }
    }

    private static void Set(SqliteCommand cmd, string name, object? value) => cmd.Parameters[name].Value = value ?? DBNull.Value;

    /// <summary>The writer's prepared statements (one set per run).</summary>
    private sealed class Statements : IDisposable
    {
        public readonly SqliteCommand Upsert, FailUpsert, State, Block, ListingDone, Extra, ExtraDone, Watermark, Heartbeat;

        public Statements(SqliteConnection c)
        {
            const string insert = """
                INSERT INTO objects (job_id, key, version_id, etag, size, last_modified, storage_class, blob_name, decision, reason, state, attempts, session, updated_at)
                VALUES ($j, $k, $v, $e, $size, $lm, $sc, $b, $d, $r, $st, 0, $s, $now)
                """;
            Upsert = Make(c, insert + """
                 ON CONFLICT (job_id, key) DO UPDATE SET version_id = excluded.version_id, etag = excluded.etag, size = excluded.size,
                    last_modified = excluded.last_modified, storage_class = excluded.storage_class, blob_name = excluded.blob_name,
                    decision = excluded.decision, reason = excluded.reason, state = excluded.state, session = excluded.session,
                    updated_at = excluded.updated_at;
                """, "$j", "$k", "$v", "$e", "$size", "$lm", "$sc", "$b", "$d", "$r", "$st", "$s", "$now");
            // A failure keeps the decision already recorded (a copy that failed is still a planned copy).
            FailUpsert = Make(c, insert + """
                 ON CONFLICT (job_id, key) DO UPDATE SET blob_name = COALESCE(excluded.blob_name, objects.blob_name), reason = excluded.reason,
                    state = excluded.state, session = excluded.session, updated_at = excluded.updated_at;
                """, "$j", "$k", "$v", "$e", "$size", "$lm", "$sc", "$b", "$d", "$r", "$st", "$s", "$now");
            State = Make(c, """
                UPDATE objects SET state = $st, reason = COALESCE($r, reason), md5 = COALESCE($m, md5), integrity_check = COALESCE($c, integrity_check),
                                   attempts = attempts + $inc, session = $s, updated_at = $now
                WHERE job_id = $j AND key = $k;
                """, "$j", "$k", "$st", "$r", "$m", "$c", "$inc", "$s", "$now");
            Block = Make(c, """
                INSERT OR REPLACE INTO blocks (job_id, key, idx, session, block_id, length, md5, reused) VALUES ($j, $k, $i, $s, $id, $len, $m, $reused);
                """, "$j", "$k", "$i", "$s", "$id", "$len", "$m", "$reused");
            ListingDone = Make(c, "UPDATE jobs SET listing_done = 1 WHERE id = $j;", "$j");
            Extra = Make(c, "INSERT OR IGNORE INTO extras (job_id, blob_name, size, state) VALUES ($j, $b, $size, 'pending');", "$j", "$b", "$size");
            ExtraDone = Make(c, "UPDATE extras SET state = $st, reason = $r WHERE job_id = $j AND blob_name = $b;", "$j", "$b", "$st", "$r");
            Watermark = Make(c, "UPDATE jobs SET listed_through = $k, updated_at = $now WHERE id = $j;", "$j", "$k", "$now");
            Heartbeat = Make(c, "UPDATE jobs SET updated_at = $now WHERE id = $j;", "$j", "$now");
        }

        public void Enlist(SqliteTransaction tx)
        {
            foreach (var cmd in All) cmd.Transaction = tx;
        }

        /// <summary>The watermark (if it moved) and the heartbeat, last in the transaction.</summary>
        public void Touch(string jobId, string? watermark, string now)
        {
            var cmd = watermark is null ? Heartbeat : Watermark;
            Set(cmd, "$j", jobId);
            Set(cmd, "$now", now);
            if (watermark is not null) Set(cmd, "$k", watermark);
            cmd.ExecuteNonQuery();
        }

        private IEnumerable<SqliteCommand> All => [Upsert, FailUpsert, State, Block, ListingDone, Extra, ExtraDone, Watermark, Heartbeat];

        private static SqliteCommand Make(SqliteConnection c, string sql, params string[] parameters)
        {
            var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            foreach (var p in parameters) cmd.Parameters.Add(new SqliteParameter(p, DBNull.Value));
            return cmd;
        }

        public void Dispose()
        {
            foreach (var cmd in All) cmd.Dispose();
        }
    }
}
