namespace Skybridge.Distributed;

/// <summary>
/// When a migration may end: its total objects (known, or estimated) and the time left at its rate.
/// <see cref="Basis"/> says where the total comes from: "finished", "expected" (the operator's
/// --expected-objects, e.g. from S3 Inventory or CloudWatch NumberOfObjects), "partitions" (the
/// objects of the finished partitions, averaged over the rest: rough, partitions differ in size) or
/// "unknown" (no partition has finished yet).
/// </summary>
public sealed record MigrationEstimate(long? TotalObjects, double? EtaSeconds, string Basis);

/// <summary>The pure computations behind 'migrate status': the estimate, and a rate between two looks.</summary>
public static class MigrationForecast
{
    public static MigrationEstimate Estimate(MigrationStatus s, long? expectedObjects = null)
    {
        long processed = s.Processed;
        if (s.Finished) return new MigrationEstimate(processed, 0, "finished");
        long? total;
        string basis;
        if (expectedObjects is { } expected) (total, basis) = (Math.Max(expected, processed), "expected");
        else if (s.PartitionsDone > 0 && s.Partitions > 0)
        {
            // The partitions still running end at about the average of the finished ones; what they did so far counts.
            double perPartition = s.ObjectsInDonePartitions / (double)s.PartitionsDone;
            long running = processed - s.ObjectsInDonePartitions;
            total = processed + Math.Max(0, (long)Math.Round(perPartition * (s.Partitions - s.PartitionsDone)) - running);
            basis = "partitions";
        }
        else (total, basis) = (null, "unknown");
        double? eta = total is { } t && s.ObjectsPerSecond > 0 ? (t - processed) / s.ObjectsPerSecond : null;
        return new MigrationEstimate(total, eta, basis);
    }

    /// <summary>Objects per second between two looks at the same migration (the live view's "now"); 0 when no time passed.</summary>
    public static double RateBetween(MigrationStatus earlier, MigrationStatus later, TimeSpan between)
        => between.TotalSeconds > 0 ? Math.Max(0, later.Processed - earlier.Processed) / between.TotalSeconds : 0;
}
