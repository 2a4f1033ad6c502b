using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Skybridge.Diagnostics;

namespace Skybridge.Jobs;

/// <summary>One job as the journal records it (no secrets: the command line is stored without them).</summary>
public sealed record JobInfo(
    string Id, string Mode, string Source, string Destination, IReadOnlyList<string> Args, string Status, string? Message,
    DateTimeOffset Created, DateTimeOffset Updated, DateTimeOffset? Finished, int Session, int? Pid, string? Host,
    string? ListedThrough, bool ListingDone, string? Notes)
{
    /// <summary>The job's source, destination and resolved options (null for jobs recorded before journal schema 2).</summary>
    public JobSpec? Spec { get; init; }

    /// <summary>Marked running, but its process on this host is gone (killed, crashed, machine restarted).</summary>
    public bool ProcessGone => Status == JobJournal.Running && (Host != Environment.MachineName || Pid is not { } p || !JobJournal.IsAlive(p));

    /// <summary>What to show: a job whose process died is "interrupted".</summary>
    public string DisplayStatus => ProcessGone ? JobJournal.Interrupted : Status;

    /// <summary>Whether <c>job resume</c> may continue it: not completed, and not still running in a live process.</summary>
    public bool CanResume => Status != JobJournal.Completed && (Status != JobJournal.Running || ProcessGone);
}

/// <summary>How many objects of a job are in one state, and their bytes.</summary>
/// <param name="State">The object state (<see cref="JobJournal.Pending"/>, <see cref="JobJournal.Copying"/>, <see cref="JobJournal.Committed"/>, failed or <see cref="JobJournal.Skipped"/>).</param>
/// <param name="Objects">Number of objects in that state.</param>
/// <param name="Bytes">Their total size in bytes.</param>
public sealed record StateCount(string State, long Objects, long Bytes);

/// <summary>One run (session) of a job: the first run is session 1, each resume adds one.</summary>
/// <param name="Session">The session number, from 1.</param>
/// <param name="Started">When the run started.</param>
/// <param name="Finished">When it ended; null while running or when its process died (see <see cref="JobJournal.Killed"/>).</param>
/// <param name="Status">How it ended: a job status, or <see cref="JobJournal.Killed"/>.</param>
/// <param name="ResumedAfter">The source key listing resumed after; null for a run from the start.</param>
/// <param name="Listed">Objects listed in this run.</param>
/// <param name="Copied">Objects committed in this run.</param>
/// <param name="BytesCopied">Bytes committed in this run.</param>
/// <param name="Skipped">Objects skipped in this run.</param>
/// <param name="Failed">Objects that failed in this run.</param>
/// <param name="BlocksStaged">Blocks this run staged itself.</param>
/// <param name="BlocksReused">Blocks this run took over from an earlier, interrupted run instead of staging them again.</param>
public sealed record SessionInfo(int Session, DateTimeOffset Started, DateTimeOffset? Finished, string Status, string? ResumedAfter,
    long Listed, long Copied, long BytesCopied, long Skipped, long Failed, long BlocksStaged, long BlocksReused);

/// <summary>One planned object of a job, as listed and decided, with its state.</summary>
/// <param name="Key">The source key (exact, not escaped).</param>
/// <param name="VersionId">The source version read; null when the bucket is not versioned.</param>
/// <param name="ETag">The source ETag at listing; a resume copies only if it still matches.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="LastModified">The source's last-modified time.</param>
/// <param name="StorageClass">The S3 storage class; null when the listing did not say.</param>
/// <param name="BlobName">The destination blob name; null when none could be formed (name rules).</param>
/// <param name="Decision">What was decided: copy, skip or fail.</param>
/// <param name="Reason">Why, as shown to the user; null when the decision needs none.</param>
/// <param name="State">The object's state (<see cref="JobJournal.Pending"/>, <see cref="JobJournal.Copying"/>, <see cref="JobJournal.Committed"/>, failed or <see cref="JobJournal.Skipped"/>).</param>
/// <param name="Attempts">How many runs tried to copy it.</param>
/// <param name="Session">The session that last changed it.</param>
/// <param name="Md5">Lower-case hex MD5 of the committed content, when it was computed; else null.</param>
public sealed record ObjectRow(string Key, string? VersionId, string ETag, long Size, DateTimeOffset LastModified, string? StorageClass,
    string? BlobName, string Decision, string? Reason, string State, int Attempts, int Session, string? Md5);

/// <summary>One block staged (or reused) for a multi-block object.</summary>
/// <param name="Key">The source key the block belongs to.</param>
/// <param name="Index">Position of the block in the object, from 0.</param>
/// <param name="Session">The session that staged or reused it.</param>
/// <param name="BlockId">The destination's block id.</param>
/// <param name="Length">Block length in bytes.</param>
/// <param name="Md5">Lower-case hex MD5 of the block's bytes; empty when none was computed.</param>
/// <param name="Reused">True when a resumed run found the block already staged and kept it.</param>
public sealed record BlockRow(string Key, int Index, int Session, string BlockId, long Length, string Md5, bool Reused);

/// <summary>
/// The job journal: one SQLite database (WAL) holding every copy/sync job run with it — the job
/// (id, command line without secrets, source, destination, status), the plan as it is decided (one
/// row per object: key, version, ETag, size, blob name, decision) with each object's state
/// (pending, copying, committed, failed, skipped), the blocks staged for multi-block objects, and
/// the listing watermark (the last source key whose decision is recorded). A run writes through
/// <see cref="JobRun"/>, which batches writes on one background connection.
/// </summary>
public sealed partial class JobJournal
{
    /// <summary>Job statuses: running (in a live process, or interrupted if it died), interrupted, completed, failed.</summary>
    public const string Running = "running", Interrupted = "interrupted", Completed = "completed", Failed = "failed";
    /// <summary>Object states: pending (planned, not started), copying, committed (written and verified), skipped; failed is shared with the job status.</summary>
    public const string Pending = "pending", Copying = "copying", Committed = "committed", Skipped = "skipped";
    /// <summary>A run (session) whose process ended without recording how (kill -9, crash, power loss).</summary>
    public const string Killed = "ended without a result (killed?)";

    /// <summary>The journal schema this build writes; older journals are migrated on open, newer ones refused.</summary>
    public const int SchemaVersion = 2;

    /// <summary>
    /// Each step takes a journal from the version before it to its own, in one transaction with the
    /// version bump, so a journal is never half-migrated. Version 1 is <see cref="Schema"/> itself.
    /// </summary>
    private static readonly (int Version, string Sql)[] Migrations =
    [
        (2, "ALTER TABLE jobs ADD COLUMN spec TEXT;"), // the job as a JobSpec (JSON) beside its command line
    ];

    /// <summary>The database file.</summary>
    public string Path { get; }
    private readonly string _connectionString;

    private JobJournal(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // closing a connection closes the file (tests copy and delete journals)
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>$XDG_STATE_HOME/skybridge/journal.db, else ~/.local/state/skybridge/journal.db (LocalApplicationData on Windows).</summary>
    public static string DefaultPath()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state))
        {
            state = OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        }
        return System.IO.Path.Combine(state, "skybridge", "journal.db");
    }

    /// <summary>Opens (creating when needed) the journal at <paramref name="path"/>.</summary>
    public static JobJournal Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(full) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        var journal = new JobJournal(full);
        using var c = journal.Connect();
        Exec(c, "PRAGMA journal_mode=WAL;");
        using (var tx = c.BeginTransaction())
        {
            Exec(c, Schema, tx);
            Exec(c, "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1');", tx);
            tx.Commit();
        }
        Migrate(c, journal.Path);
        return journal;
    }

    /// <summary>The journal's schema version.</summary>
    public int Version
    {
        get
        {
            using var c = Connect();
            return ReadVersion(c);
        }
    }

    private static int ReadVersion(SqliteConnection c, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT value FROM meta WHERE key = 'schema_version';";
        return int.Parse((string)cmd.ExecuteScalar()!, CultureInfo.InvariantCulture);
    }

    private static void Migrate(SqliteConnection c, string path)
    {
        using var tx = c.BeginTransaction(deferred: false); // one writer migrates; another waits, then sees it done
        var version = ReadVersion(c, tx);
        if (version > SchemaVersion)
            throw SkybridgeException.Usage($"The job journal {path} has schema version {version}: it was written by a newer Skybridge (this one reads up to {SchemaVersion}).",
                "Use that Skybridge version, or another journal (--journal PATH).");
        foreach (var (to, sql) in Migrations)
        {
            if (to <= version) continue;
            Exec(c, sql, tx);
            Exec(c, $"UPDATE meta SET value = '{to}' WHERE key = 'schema_version';", tx);
        }
        tx.Commit();
    }


    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY,
            mode TEXT NOT NULL,
            source TEXT NOT NULL,
            destination TEXT NOT NULL,
            args TEXT NOT NULL,
            status TEXT NOT NULL,
            message TEXT,
            notes TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT,
            session INTEGER NOT NULL DEFAULT 0,
            pid INTEGER,
            host TEXT,
            listed_through TEXT,
            listing_done INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS sessions (
            job_id TEXT NOT NULL,
            session INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            resumed_after TEXT,
            listed INTEGER NOT NULL DEFAULT 0,
            copied INTEGER NOT NULL DEFAULT 0,
            bytes_copied INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (job_id, session));
        CREATE TABLE IF NOT EXISTS objects (
            job_id TEXT NOT NULL,
            key TEXT NOT NULL,
            version_id TEXT,
            etag TEXT NOT NULL,
            size INTEGER NOT NULL,
            last_modified TEXT NOT NULL,
            storage_class TEXT,
            blob_name TEXT,
            decision TEXT NOT NULL,
            reason TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            session INTEGER NOT NULL,
            md5 TEXT,
            integrity_check TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (job_id, key)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS objects_by_state ON objects (job_id, state);
        CREATE TABLE IF NOT EXISTS blocks (
            job_id TEXT NOT NULL,
            key TEXT NOT NULL,
            idx INTEGER NOT NULL,
            session INTEGER NOT NULL,
            block_id TEXT NOT NULL,
            length INTEGER NOT NULL,
            md5 TEXT NOT NULL,
            reused INTEGER NOT NULL,
            PRIMARY KEY (job_id, key, idx, session)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS extras (
            job_id TEXT NOT NULL,
            blob_name TEXT NOT NULL,
            size INTEGER NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            PRIMARY KEY (job_id, blob_name)) WITHOUT ROWID;
        """;

    internal SqliteConnection Connect()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        // WAL: readers (jobs show, another run) never block the writer; NORMAL: a commit is durable
        // against a killed process (only an OS crash can lose the last transactions).
        Exec(c, "PRAGMA busy_timeout=30000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;");
        return c;
    }

    internal static void Exec(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    // ---- jobs ----

    /// <summary>Records a new job (status running once <see cref="StartRun"/> is called).</summary>
    public JobInfo CreateJob(string mode, string source, string destination, IEnumerable<string> args, string? notes = null, JobSpec? spec = null)
    {
        var now = DateTimeOffset.UtcNow;
        var id = $"{now:yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6]}";
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO jobs (id, mode, source, destination, args, status, notes, created_at, updated_at, spec)
            VALUES ($id, $mode, $source, $destination, $args, $status, $notes, $now, $now, $spec);
            """;
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$mode", mode);
        cmd.Parameters.AddWithValue("$source", Clean(source));
        cmd.Parameters.AddWithValue("$destination", Clean(destination));
        cmd.Parameters.AddWithValue("$args", JsonSerializer.Serialize(args.Select(Clean).ToArray(), JournalJson.Default.StringArray));
        cmd.Parameters.AddWithValue("$status", Interrupted); // until a run starts
        cmd.Parameters.AddWithValue("$notes", (object?)Clean(notes) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$now", Time(now));
        // The spec holds no secret (no SAS, key or token); cleaned like every other stored text all the same.
        cmd.Parameters.AddWithValue("$spec", (object?)Clean(spec?.ToJson()) ?? DBNull.Value);
        cmd.ExecuteNonQuery();
        return Get(id)!;
    }

    /// <summary>A job by id or by a unique id prefix; null when none matches.</summary>
    public JobInfo? Get(string idOrPrefix)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {JobColumns} FROM jobs WHERE id = $id OR substr(id, 1, length($id)) = $id ORDER BY id = $id DESC, id LIMIT 2;";
        cmd.Parameters.AddWithValue("$id", idOrPrefix);
        var found = ReadJobs(cmd);
        if (found.Count == 0) return null;
        if (found[0].Id == idOrPrefix || found.Count == 1) return found[0];
        throw SkybridgeException.Usage($"Job id '{idOrPrefix}' is ambiguous.", "Give more of the id ('skybridge jobs list' shows them).");
    }

    /// <summary>The most recent jobs first.</summary>
    public IReadOnlyList<JobInfo> List(int limit = 50)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {JobColumns} FROM jobs ORDER BY created_at DESC, id DESC LIMIT $limit;";
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadJobs(cmd);
    }

    /// <summary>The latest job with this mode, source and destination that can be resumed (not completed, not running).</summary>
    public JobInfo? FindResumable(string mode, string source, string destination)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT {JobColumns} FROM jobs WHERE mode = $mode AND source = $source AND destination = $destination AND status <> '{Completed}'
            ORDER BY created_at DESC, id DESC;
            """;
        cmd.Parameters.AddWithValue("$mode", mode);
        cmd.Parameters.AddWithValue("$source", Clean(source));
        cmd.Parameters.AddWithValue("$destination", Clean(destination));
        return ReadJobs(cmd).FirstOrDefault(j => j.CanResume);
    }

    /// <summary>Objects and bytes of a job per state, in state order.</summary>
    public IReadOnlyList<StateCount> Counts(string jobId)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT state, COUNT(*), COALESCE(SUM(size), 0) FROM objects WHERE job_id = $j GROUP BY state ORDER BY state;";
        cmd.Parameters.AddWithValue("$j", jobId);
        var list = new List<StateCount>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new StateCount(r.GetString(0), r.GetInt64(1), r.GetInt64(2)));
        return list;
    }

    /// <summary>Every run of a job, first to last, with its counters.</summary>
    public IReadOnlyList<SessionInfo> Sessions(string jobId)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT s.session, s.started_at, s.finished_at, s.status, s.resumed_after, s.listed, s.copied, s.bytes_copied, s.skipped, s.failed,
                   (SELECT COUNT(*) FROM blocks b WHERE b.job_id = s.job_id AND b.session = s.session AND b.reused = 0),
                   (SELECT COUNT(*) FROM blocks b WHERE b.job_id = s.job_id AND b.session = s.session AND b.reused = 1)
            FROM sessions s WHERE s.job_id = $j ORDER BY s.session;
            """;
        cmd.Parameters.AddWithValue("$j", jobId);
        var list = new List<SessionInfo>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new SessionInfo(r.GetInt32(0), ParseTime(r.GetString(1)), r.IsDBNull(2) ? null : ParseTime(r.GetString(2)), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11)));
        return list;
    }

    /// <summary>Objects of a job (optionally in one state), in key order.</summary>
    public IReadOnlyList<ObjectRow> Objects(string jobId, string? state = null, int limit = int.MaxValue)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT key, version_id, etag, size, last_modified, storage_class, blob_name, decision, reason, state, attempts, session, md5
            FROM objects WHERE job_id = $j AND ($state IS NULL OR state = $state) ORDER BY key LIMIT $limit;
            """;
        cmd.Parameters.AddWithValue("$j", jobId);
        cmd.Parameters.AddWithValue("$state", (object?)state ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<ObjectRow>();
        while (r.Read()) list.Add(ReadObject(r));
        return list;
    }

    internal static ObjectRow ReadObject(SqliteDataReader r) => new(
        r.GetString(0), NullableString(r, 1), r.GetString(2), r.GetInt64(3), ParseTime(r.GetString(4)), NullableString(r, 5),
        NullableString(r, 6), r.GetString(7), NullableString(r, 8), r.GetString(9), r.GetInt32(10), r.GetInt32(11), NullableString(r, 12));

    /// <summary>Block records of a job (optionally of one object), by key, index and session.</summary>
    public IReadOnlyList<BlockRow> Blocks(string jobId, string? key = null)
    {
        using var c = Connect();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT key, idx, session, block_id, length, md5, reused FROM blocks
            WHERE job_id = $j AND ($key IS NULL OR key = $key) ORDER BY key, idx, session;
            """;
        cmd.Parameters.AddWithValue("$j", jobId);
        cmd.Parameters.AddWithValue("$key", (object?)key ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var list = new List<BlockRow>();
        while (r.Read()) list.Add(new BlockRow(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetString(3), r.GetInt64(4), r.GetString(5), r.GetInt32(6) != 0));
        return list;
    }

    /// <summary>Starts a run (the first, or a resume) of a job: marks it running in this process.</summary>
    public JobRun StartRun(string jobId, bool resume) => JobRun.Start(this, jobId, resume);

    /// <summary>Removes a job and everything recorded for it.</summary>
    public bool Delete(string jobId)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction();
        int n = 0;
        foreach (var table in new[] { "objects", "blocks", "extras", "sessions" })
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = $"DELETE FROM {table} WHERE job_id = $j;";
            cmd.Parameters.AddWithValue("$j", jobId);
            cmd.ExecuteNonQuery();
        }
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM jobs WHERE id = $j;";
            cmd.Parameters.AddWithValue("$j", jobId);
            n = cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return n > 0;
    }

    private const string JobColumns =
        "id, mode, source, destination, args, status, message, created_at, updated_at, finished_at, session, pid, host, listed_through, listing_done, notes, spec";

    private static List<JobInfo> ReadJobs(SqliteCommand cmd)
    {
        var list = new List<JobInfo>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new JobInfo(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                JsonSerializer.Deserialize(r.GetString(4), JournalJson.Default.StringArray) ?? [], r.GetString(5), NullableString(r, 6),
                ParseTime(r.GetString(7)), ParseTime(r.GetString(8)), r.IsDBNull(9) ? null : ParseTime(r.GetString(9)),
                r.GetInt32(10), r.IsDBNull(11) ? null : r.GetInt32(11), NullableString(r, 12), NullableString(r, 13), r.GetInt32(14) != 0,
                NullableString(r, 15))
            {
                Spec = NullableString(r, 16) is { } spec ? JobSpec.FromJson(spec) : null,
            });
        }
        return list;
    }

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    internal static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string s)
        => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    internal static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Nothing secret goes into the journal: registered secrets, JWTs and signed query parameters are
    /// masked (<see cref="SecretRedactor"/>), and every URL loses its query string (a SAS or a
    /// presigned URL lives there).
    /// </summary>
    public static string? Clean(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        return UrlQuery().Replace(SecretRedactor.Redact(text), "$1");
    }

    [GeneratedRegex(@"(https?://[^\s?#""'<>]+)\?[^\s""'<>]*", RegexOptions.IgnoreCase)]
    private static partial Regex UrlQuery();
}

/// <summary>Source-generated JSON of the journal's stored command line (no reflection metadata to JIT per run).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class JournalJson : JsonSerializerContext;
