using Skybridge.Providers.AzureBlob;
using Skybridge.Jobs;
using Skybridge.Transfer;

namespace Skybridge.Tests.Jobs;

public class ResumePlannerTests
{
    private const string Etag = "9b2cf535f27731c974343645a3985328";
    private static readonly BlockPlan Plan = AzureBlockBlob.Plan(5500, 1000); // 6 blocks, the last 500 bytes
    private static readonly string[] Ids = Enumerable.Range(0, 6).Select(i => AzureBlockBlob.BlockId(i, Etag, 1000)).ToArray();

    [Fact]
    public void Keeps_our_blocks_and_stages_only_the_missing_ones()
    {
        var r = ResumePlanner.Plan(Plan, Ids, [new StagedBlock(Ids[0], 1000), new StagedBlock(Ids[2], 1000), new StagedBlock(Ids[5], 500)]);
        Assert.Equal([0, 2, 5], r.Keep.Keys.Order());
        Assert.Equal([1, 3, 4], r.Stage);
        Assert.Equal(0, r.Ignored);
        Assert.All(r.Keep.Values, Assert.Null); // no journal MD5s: the block list vouches for them
    }

    [Fact]
    public void Never_keeps_blocks_of_another_version_another_cut_or_a_wrong_size()
    {
        var otherVersion = AzureBlockBlob.BlockId(1, "ffffffffffffffffffffffffffffffff", 1000);
        var otherCut = AzureBlockBlob.BlockId(2, Etag, 2000);
        Assert.NotEqual(Ids[1], otherVersion);
        var r = ResumePlanner.Plan(Plan, Ids,
        [
            new StagedBlock(otherVersion, 1000), new StagedBlock(otherCut, 1000),
            new StagedBlock(Ids[3], 999),                          // truncated: not the planned length
            new StagedBlock(Convert.ToBase64String("foreign-block-id"u8.ToArray()), 1000),
            new StagedBlock(Ids[4], 1000),
        ]);
        Assert.Equal([4], r.Keep.Keys);
        Assert.Equal([0, 1, 2, 3, 5], r.Stage);
        Assert.Equal(4, r.Ignored);
    }

    [Fact]
    public void Carries_the_journals_block_md5s_so_the_copier_can_check_the_reread_range()
    {
        var md5 = Enumerable.Repeat((byte)7, 16).ToArray();
        var r = ResumePlanner.Plan(Plan, Ids, [new StagedBlock(Ids[1], 1000), new StagedBlock(Ids[2], 1000)],
            new Dictionary<string, byte[]> { [Ids[1]] = md5 });
        Assert.Equal(md5, r.Keep[1]);
        Assert.Null(r.Keep[2]);
    }

    [Fact]
    public void Nothing_staged_means_everything_is_staged()
    {
        var r = ResumePlanner.Plan(Plan, Ids, []);
        Assert.Empty(r.Keep);
        Assert.Equal(Enumerable.Range(0, 6), r.Stage);
    }
}
