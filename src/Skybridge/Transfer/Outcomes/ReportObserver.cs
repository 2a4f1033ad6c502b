using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Planning;

namespace Skybridge.Transfer.Outcomes;

/// <summary>Writes one report line per finished item (the --report manifest).</summary>
public sealed class ReportObserver(IReportSink report) : ITransferObserver
{
    /// <summary>Writes the report line of <paramref name="item"/>.</summary>
    public void Finished(TransferItem item, ItemOutcome outcome) => report.Write(Entry(item, outcome));

    /// <summary>The report line of an item and its outcome: the source as listed (a destination-only blob as listed), the MD5 in lower-case hex.</summary>
    public static ReportEntry Entry(TransferItem item, ItemOutcome outcome)
    {
        if (item.Source is not { } s) // a destination-only blob: as it was listed
            return new ReportEntry(null, null, null, item.Existing?.Size, item.BlobName, Hex(item.Existing?.ContentMd5), outcome.Status, outcome.Reason);
        return new ReportEntry(s.Key, outcome.VersionId ?? s.VersionId, CompositeEtag.Normalize(s.ETag), s.Size, item.BlobName, Hex(outcome.Md5), outcome.Status, outcome.Reason)
        {
            Mode = outcome.Copy?.Mode,
        };
    }

    private static string? Hex(byte[]? md5) => md5 is null ? null : Convert.ToHexStringLower(md5);
}
