using Skybridge.IntegrationTests.Reliability;
using Skybridge.IntegrationTests.Sandbox;
using static Skybridge.IntegrationTests.Reliability.ReliabilityKit;

namespace Skybridge.IntegrationTests.Distributed;

/// <summary>migrate start --delete: sync's deletes across partitions, behind sync's guards, on the sandbox.</summary>
[Collection("sandbox")]
public sealed class MigrationDeleteOnSandboxTests(SandboxFixture sandbox)
{
    private readonly ReliabilityKit _kit = new(sandbox);

    [Fact]
    public async Task Deletes_wait_for_every_partition_are_refused_by_sync_s_guards_and_run_through_the_executor_with_a_line_per_key()
    {
        var src = NewPrefix("mig-del-src");
        var dst = NewPrefix("mig-del-dst");
        await using var mig = new MigrationKit(sandbox, _kit);
        try
        {
            var rng = new Random(17);
            var objects = new[] { "a/", "b/", "c/", "d/" }.SelectMany(f => Enumerable.Range(0, 15).Select(i => f + $"o-{i:D2}"))
                .ToDictionary(k => k, k => RandomBytes(rng.Next(1, 2048), k.GetHashCode()), StringComparer.Ordinal);
            await _kit.PutAsync(src, objects);
            // Destination-only blobs, in different partitions: before every key, inside two folders, after every key.
            string[] extras = ["0-first", "a/gone-1", "c/gone-2", "zz/gone-3"];
            foreach (var name in extras) await _kit.Inspector().GetBlobClient(dst + name).UploadAsync(BinaryData.FromString("extra"));
            await mig.StartWorkerAsync();
            await mig.StartWorkerAsync();

            // Over --max-delete: copied, nothing deleted, every extra reported as refused.
            var refusedId = await mig.StartAsync(src, dst, "--delete", "--max-delete", "3", "--partitions", "4", "--batch-size", "10", "--mode", "stream");
            var refused = await mig.WaitAsync(refusedId, TimeSpan.FromMinutes(5));
            Assert.Equal("completed", refused.GetProperty("state").GetString());
            Assert.True(refused.GetProperty("partitions").GetInt32() >= 4, refused.ToString());
            Assert.Equal(objects.Count, refused.GetProperty("copied").GetInt64());
            Assert.Equal(extras.Length, refused.GetProperty("extras").GetInt64());
            Assert.Equal(0, refused.GetProperty("deleted").GetInt64());
            Assert.Contains("more than --max-delete 3", refused.GetProperty("delete_refused").GetString());
            var status = await mig.CliAsync("migrate", "status", refusedId);
            Assert.Equal(1, status.ExitCode); // as sync: refused deletes exit 1
            Assert.Contains("delete refused", (await mig.ReportAsync(refusedId)).Where(l => extras.Contains(Str(l, "blob_name")[dst.Length..])).Select(l => Str(l, "reason")).Distinct().Single());
            foreach (var name in extras) Assert.True((await _kit.Inspector().GetBlobClient(dst + name).ExistsAsync()).Value, name);

            // Without the limit: deleted after every partition, one report line per key.
            var id = await mig.StartAsync(src, dst, "--delete", "--partitions", "4", "--batch-size", "10", "--mode", "stream");
            var done = await mig.WaitAsync(id, TimeSpan.FromMinutes(5));
            Assert.Equal("completed", done.GetProperty("state").GetString());
            Assert.Equal(extras.Length, done.GetProperty("deleted").GetInt64());
            Assert.Equal(objects.Count, done.GetProperty("skipped").GetInt64()); // all copied by the first migration
            Assert.Equal(System.Text.Json.JsonValueKind.Null, done.GetProperty("delete_refused").ValueKind);
            await _kit.AssertEqualAsync(dst, objects, src); // destination == source: the extras are gone
            var report = await mig.ReportAsync(id);
            Assert.Equal(objects.Count + extras.Length, report.Count);
            Assert.Equal(extras.Order(StringComparer.Ordinal), report.Where(l => Str(l, "outcome") == "deleted").Select(l => Str(l, "blob_name")[dst.Length..]).Order(StringComparer.Ordinal));
        }
        finally
        {
            await _kit.CleanupAsync(src);
            await _kit.CleanupAsync(dst);
        }
    }
}
