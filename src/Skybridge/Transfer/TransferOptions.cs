
namespace Skybridge.Transfer;

/// <summary>What a run does: copy (create/update), sync (copy + optional mirror deletes), plan (dry run), verify.</summary>
public enum RunMode { Copy, Sync, Plan, Verify }

/// <summary>Every knob of a run, with the defaults the CLI documents.</summary>
public sealed record TransferOptions
{
    public NamePolicy NamePolicy { get; init; } = NamePolicy.Skip;
    public Decider Decider { get; init; } = new();
    public Filter Filter { get; init; } = Filter.None;
    /// <summary>Objects copied at the same time.</summary>
    public int Concurrency { get; init; } = 16;
    /// <summary>Listing entries of each side read ahead of the merge (0: read only when the merge asks).</summary>
    public int ListingReadAhead { get; init; } = March.DefaultReadAhead;
    public CopySettings Copy { get; init; } = new();
    /// <summary>How bytes travel: service-side where the source presigns and the destination copies from URLs (auto), always, or never (stream).</summary>
    public ServiceSide.CopyMode Mode { get; init; } = ServiceSide.CopyMode.Auto;
    /// <summary>Bytes of block buffers in use at once, across all objects.</summary>
    public long MaxMemory { get; init; } = DefaultMaxMemory;

    /// <summary>
    /// 16 blocks of 8 MiB: enough to reach the source ceiling measured on the sandbox (887 MB/s with 16
    /// ranged GETs of 8 MiB in flight); 256 MiB gave the same throughput at 410 MB peak RSS instead of ~280.
    /// </summary>
    public const long DefaultMaxMemory = 128 * BlockPlanner.MiB;
    /// <summary>Bytes per second read from the source, or null for no limit.</summary>
    public long? MaxBandwidth { get; init; }
    /// <summary>Sync/plan: remove destination blobs that are not in the source.</summary>
    public bool Delete { get; init; }
    /// <summary>Refuse to delete more than this many blobs unless forced.</summary>
    public long? MaxDelete { get; init; }
    /// <summary>Overrides the delete guards (empty source listing, --max-delete).</summary>
    public bool Force { get; init; }
    /// <summary>Verify: read every blob back and hash it, instead of trusting Content-MD5 and metadata.</summary>
    public bool DeepVerify { get; init; }
    /// <summary>Verify --hash: deep verify, and also hash the source of objects whose ETag is not an MD5.</summary>
    public bool HashSource { get; init; }

    /// <summary>
    /// These options with the resources of <paramref name="run"/>: what decides a job's result (filters,
    /// compare, overwrite, names, mode, tier, tags, block size, checksums, deletes and their guards)
    /// stays as the job was started; how hard this run works (objects and blocks at once, memory,
    /// bandwidth, read-ahead) may change from run to run.
    /// </summary>
    public TransferOptions WithResourcesOf(TransferOptions run) => this with
    {
        Concurrency = run.Concurrency,
        ListingReadAhead = run.ListingReadAhead,
        MaxMemory = run.MaxMemory,
        MaxBandwidth = run.MaxBandwidth,
        Copy = Copy with { BlocksPerObject = run.Copy.BlocksPerObject },
    };
}
