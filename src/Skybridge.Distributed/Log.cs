using Microsoft.Extensions.Logging;

namespace Skybridge.Distributed;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "migration {Migration}: batch {Partition}/{Page} runs again (an earlier attempt stopped): objects its blobs record are not copied again")]
    public static partial void LogBatchRerun(this ILogger log, string migration, int partition, int page);

    [LoggerMessage(Level = LogLevel.Information, Message = "migration {Migration}: executing batch {Partition}/{Page}: {Items} object(s)")]
    public static partial void LogBatchStarted(this ILogger log, string migration, int partition, int page, int items);

    [LoggerMessage(Level = LogLevel.Information, Message = "migration {Migration}: executed batch {Partition}/{Page}: {Items} object(s) in {Seconds:F1} s")]
    public static partial void LogBatchDone(this ILogger log, string migration, int partition, int page, int items, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "migration {Migration}: planned page {Partition}/{Page}: {Listed} object(s) listed, {ToExecute} to execute, in {Seconds:F2} s")]
    public static partial void LogPagePlanned(this ILogger log, string migration, int partition, int page, int listed, int toExecute, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the worker heartbeat could not be written (status shows this worker as not seen lately): {Reason}")]
    public static partial void LogHeartbeatFailed(this ILogger log, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "worker {Worker} serving task hub {Hub}")]
    public static partial void LogServing(this ILogger log, string worker, string hub);

    [LoggerMessage(Level = LogLevel.Information, Message = "migration {Migration}: a partition past its split threshold cut the rest of its range into {Pieces} piece(s)")]
    public static partial void LogRangeSplit(this ILogger log, string migration, int pieces);
}
