using Skybridge.Transfer;
using static Skybridge.Contracts.ContractData;

namespace Skybridge.Contracts;

/// <summary>How an object is written behind a source's back (as another S3 client would write it).</summary>
public sealed record SourceWrite
{
    public string? ContentType { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// One source provider as <see cref="SourceContract"/> drives it: a private, initially empty root
/// of its own (other runs share the sandbox), a writer that goes around the provider (the admin
/// key, the fake's own API) and the provider itself, opened at a prefix under the root.
/// </summary>
public interface ISourceUnderTest : IAsyncDisposable
{
    /// <summary>Private key prefix of this test ("" or ending in '/'); every key the contract writes is under it.</summary>
    string Root { get; }

    /// <summary>Objects per listing request of the provider (paging is tested one object beyond it).</summary>
    int ListPageSize { get; }

    /// <summary>Smallest part but the last of a multipart upload (S3: 5 MiB).</summary>
    int MinPartSize { get; }

    /// <summary>
    /// What <see cref="IObjectSource.GetPartSizesAsync"/> promises here: true when the server honours
    /// partNumber (sizes exact), false when it ignores it (null, and the copier proves multipart
    /// ETags another way).
    /// </summary>
    bool KnowsPartSizes { get; }

    /// <summary>The provider over keys starting with <see cref="Root"/> + <paramref name="prefix"/>.</summary>
    IObjectSource Open(string prefix = "");

    /// <summary>Writes (or overwrites) <see cref="Root"/> + <paramref name="key"/> in one PUT.</summary>
    Task PutAsync(string key, byte[] data, SourceWrite? write = null);

    /// <summary>Writes many one-byte objects (the byte 7) to seed a listing; may run in parallel.</summary>
    Task PutManyAsync(IReadOnlyCollection<string> keys);

    /// <summary>Writes <see cref="Root"/> + <paramref name="key"/> as a multipart upload with these part sizes.</summary>
    Task PutMultipartAsync(string key, byte[] data, int[] partSizes);

    Task DeleteAsync(string key);

    /// <summary>Fetches a presigned URL's whole object as the destination's service would (anonymously, by the URL alone).</summary>
    Task<byte[]> FetchAsync(Transfer.ServiceSide.PresignedUrl url);
}

/// <summary>
/// What every <see cref="IObjectSource"/> does, written once and run against each provider (rclone's
/// fstests): listing order, paging and scoping, ranged reads pinned to the ETag, changed and deleted
/// sources, list-after, part sizes, tags and presigning where offered. A provider joins by
/// deriving a class that returns its <see cref="ISourceUnderTest"/>.
/// </summary>
public abstract class SourceContract : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected ISourceUnderTest Provider { get; private set; } = null!;

    /// <summary>A fresh provider with an empty private root (called before every test).</summary>
    protected abstract Task<ISourceUnderTest> StartAsync();

    public async Task InitializeAsync() => Provider = await StartAsync();

    public async Task DisposeAsync() => await Provider.DisposeAsync();

    private string Full(string key) => Provider.Root + key;

    private string Relative(SourceObject o) => o.Key[Provider.Root.Length..];

    private async Task<List<string>> ListedAsync(string prefix = "")
        => (await ToListAsync(Provider.Open(prefix).ListAsync(None))).Select(Relative).ToList();

    private async Task<SourceObject> ListedObjectAsync(string key)
        => (await ToListAsync(Provider.Open().ListAsync(None))).Single(o => o.Key == Full(key));

    [Fact]
    public async Task Listing_is_in_utf8_binary_order_across_case_punctuation_and_unicode()
    {
        await Provider.PutManyAsync(OrderingNames);
        var listed = await ListedAsync();
        Assert.Equal(OrderingNames.Order(Utf8Bytes), listed);
    }

    /// <summary>S3 keys may hold control characters (Azure names may not: the planner renames or skips them); the source must still list and read them.</summary>
    [Fact]
    public async Task Keys_with_control_characters_list_in_order_and_read()
    {
        string[] keys = ["ctl/a\u0001b", "ctl/a\tb", "ctl/a\u007fb", "ctl/ab"];
        await Provider.PutManyAsync(keys);
        Assert.Equal(keys.Order(Utf8Bytes), await ListedAsync("ctl/"));
        var obj = await ListedObjectAsync("ctl/a\u0001b");
        var buffer = new byte[1];
        await Provider.Open().ReadAsync(obj, 0, buffer, None);
        Assert.Equal(7, buffer[0]);
    }

    [Fact]
    public async Task Listing_pages_past_one_page_without_losing_or_repeating_an_object()
    {
        var keys = Enumerable.Range(0, Provider.ListPageSize + 1).Select(i => $"p/{i:D5}").ToList();
        await Provider.PutManyAsync(keys);
        var listed = await ListedAsync("p/");
        Assert.Equal(keys, listed);
    }

    [Fact]
    public async Task Listing_is_scoped_to_the_prefix_and_an_empty_prefix_lists_nothing()
    {
        await Provider.PutManyAsync(["a", "a/1", "a/2/3", "ab", "a0/1", "b/1"]);
        Assert.Equal(["a/1", "a/2/3"], await ListedAsync("a/"));
        Assert.Equal(["a/2/3"], await ListedAsync("a/2/"));
        Assert.Empty(await ListedAsync("c/"));
        var source = Provider.Open("a/");
        Assert.Equal(Full("a/"), source.Prefix);
    }

    [Fact]
    public async Task Listing_reports_size_and_for_single_part_objects_an_etag_that_is_the_md5()
    {
        var data = Bytes(1234, 1);
        await Provider.PutAsync("one.bin", data);
        await Provider.PutAsync("empty", []);
        var one = await ListedObjectAsync("one.bin");
        var empty = await ListedObjectAsync("empty");
        Assert.Equal((1234L, 0L), (one.Size, empty.Size));
        Assert.Null(one.MultipartCount);
        if (Provider.Open().Capabilities.Checksums.HasFlag(SourceChecksums.EtagMd5))
        {
            Assert.Equal(Md5Hex(data), one.ETag);
            Assert.Equal(Md5Hex([]), empty.ETag);
        }
        else Assert.NotEqual(one.ETag, empty.ETag);
    }

    [Fact]
    public async Task Ranged_reads_return_the_exact_bytes_at_the_first_middle_and_last_offsets_with_the_properties()
    {
        var data = Bytes(3 * 65536 + 17, 2);
        await Provider.PutAsync("r.bin", data, new SourceWrite { ContentType = "application/x-contract", Metadata = new Dictionary<string, string> { ["owner"] = "contracts" } });
        var source = Provider.Open();
        var obj = await ListedObjectAsync("r.bin");
        foreach (var (offset, length) in new[] { (0, 1), (0, 1000), (data.Length / 2 - 3, 4099), (data.Length - 1, 1), (0, data.Length) })
        {
            var buffer = new byte[length];
            var props = await source.ReadAsync(obj, offset, buffer, None);
            Assert.True(data.AsSpan(offset, length).SequenceEqual(buffer), $"bytes [{offset}, {offset + length}) differ");
            Assert.Equal("application/x-contract", props.ContentType);
            Assert.Equal("contracts", props.UserMetadata["owner"]);
        }
    }

    [Fact]
    public async Task A_zero_byte_object_reads_as_empty_with_its_properties()
    {
        await Provider.PutAsync("empty", [], new SourceWrite { ContentType = "text/plain" });
        var obj = await ListedObjectAsync("empty");
        var props = await Provider.Open().ReadAsync(obj, 0, Memory<byte>.Empty, None);
        Assert.Equal("text/plain", props.ContentType);
    }

    [Fact]
    public async Task An_object_overwritten_after_listing_raises_SourceChangedException()
    {
        await Provider.PutAsync("c.bin", Bytes(5000, 3));
        var obj = await ListedObjectAsync("c.bin");
        await Provider.PutAsync("c.bin", Bytes(5000, 4));
        var source = Provider.Open();
        var e = await Assert.ThrowsAsync<SourceChangedException>(() => source.ReadAsync(obj, 100, new byte[10], None));
        Assert.Contains(obj.Key, e.Message);
        await Assert.ThrowsAsync<SourceChangedException>(() => source.ReadAsync(obj, 0, Memory<byte>.Empty, None));
        // The whole object in one read (a small object's GET, which S3ObjectSource sends without a Range).
        await Assert.ThrowsAsync<SourceChangedException>(() => source.ReadAsync(obj, 0, new byte[5000], None));
    }

    [Fact]
    public async Task A_deleted_object_fails_the_read_and_names_the_key()
    {
        await Provider.PutAsync("gone.bin", Bytes(100, 5));
        var obj = await ListedObjectAsync("gone.bin");
        await Provider.DeleteAsync("gone.bin");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Provider.Open().ReadAsync(obj, 0, new byte[100], None));
        Assert.Contains(obj.Key, e.Message);
    }

    [Fact]
    public async Task List_after_returns_exactly_the_keys_after_the_start_key_in_order()
    {
        var listAfter = Provider.Open().Capabilities.ListAfter;
        Assert.NotNull(listAfter); // every provider here offers it; one that does not would override this test
        await Provider.PutManyAsync(OrderingNames);
        var sorted = OrderingNames.Order(Utf8Bytes).ToList();
        foreach (var start in new[] { "a", "a.txt", "a/", "a/b", "\u00e9", "\uFFFD", "" })
        {
            var after = (await ToListAsync(listAfter.ListAfterAsync(Full(start), None))).Select(Relative).ToList();
            Assert.Equal(sorted.Where(k => Utf8Bytes.Compare(k, start) > 0), after);
        }
    }

    [Fact]
    public async Task A_level_listing_gives_the_folders_and_objects_of_one_level_in_order_and_after_a_key()
    {
        var folders = Provider.Open().Capabilities.Folders;
        Assert.NotNull(folders); // every provider here offers it; one that does not would override this test
        await Provider.PutManyAsync(OrderingNames);
        // The oracle: each key's entry at the level (its next '/'-segment; a folder ends in '/'),
        // deduplicated, in UTF-8 order; after a key: the entries after it and the folder holding it.
        static List<string> Oracle(string prefix, string? after) => OrderingNames.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => k.IndexOf('/', prefix.Length) is var i and >= 0 ? k[..(i + 1)] : k).Distinct()
            .Where(e => after is null || Utf8Bytes.Compare(e, after) > 0 || (e.EndsWith('/') && after.StartsWith(e, StringComparison.Ordinal)))
            .Order(Utf8Bytes).ToList();
        async Task<List<string>> Level(string prefix, string? after)
            => (await ToListAsync(folders.ListLevelAsync(Full(prefix), after is null ? null : Full(after), None)))
                .Select(e => { Assert.Equal(e.IsFolder, e.Name.EndsWith('/')); return e.Name[Provider.Root.Length..]; }).ToList();

        foreach (var (prefix, after) in new (string, string?)[] { ("", null), ("", "a/b"), ("", "a0"), ("a/", null), ("a/", "a/b"), ("a/b/", null), ("", "\u00e9") })
            Assert.Equal(Oracle(prefix, after), await Level(prefix, after));
        Assert.Contains("a/", await Level("", "a/b")); // the folder holding the start key stays: it has keys after it
    }

    [Fact]
    public async Task Get_returns_the_object_as_listed_and_null_once_gone_or_when_only_longer_keys_exist()
    {
        var listAfter = Provider.Open().Capabilities.ListAfter;
        Assert.NotNull(listAfter);
        await Provider.PutAsync("g/one", Bytes(10, 6));
        await Provider.PutAsync("g/one-more", Bytes(20, 7));
        var listed = await ListedObjectAsync("g/one");
        var got = await listAfter.GetAsync(Full("g/one"), None);
        Assert.NotNull(got);
        Assert.Equal((listed.Key, listed.Size, listed.ETag), (got.Key, got.Size, got.ETag));
        Assert.Null(await listAfter.GetAsync(Full("g/on"), None));
        await Provider.DeleteAsync("g/one");
        Assert.Null(await listAfter.GetAsync(Full("g/one"), None));
    }

    [Fact]
    public async Task Part_sizes_of_a_multipart_object_are_exact_or_null_as_the_provider_promises()
    {
        int[] parts = [Provider.MinPartSize, Provider.MinPartSize, 1000];
        var data = Bytes(parts.Sum(), 8);
        await Provider.PutMultipartAsync("mp.bin", data, parts);
        await Provider.PutAsync("single.bin", Bytes(700, 9));
        var source = Provider.Open();
        var mp = await ListedObjectAsync("mp.bin");
        Assert.Equal(3, mp.MultipartCount);
        if (source.Capabilities.Checksums.HasFlag(SourceChecksums.MultipartEtag)) Assert.Equal(MultipartEtag(data, parts), mp.ETag);

        var sizes = await source.GetPartSizesAsync(mp, 3, None);
        if (Provider.KnowsPartSizes) Assert.Equal(parts.Select(p => (long)p), sizes!);
        else Assert.Null(sizes);
        var single = await ListedObjectAsync("single.bin");
        Assert.Equal([700L], (await source.GetPartSizesAsync(single, 1, None))!);

        // The multipart object reads back whole across its part boundaries.
        var back = new byte[data.Length];
        await source.ReadAsync(mp, 0, back, None);
        Assert.True(data.AsSpan().SequenceEqual(back));
    }

    [Fact]
    public async Task Part_sizes_are_pinned_to_the_listed_etag()
    {
        int[] parts = [Provider.MinPartSize, 1000];
        await Provider.PutMultipartAsync("mp.bin", Bytes(parts.Sum(), 15), parts);
        var mp = await ListedObjectAsync("mp.bin");
        await Provider.PutMultipartAsync("mp.bin", Bytes(parts.Sum(), 16), parts);
        await Assert.ThrowsAsync<SourceChangedException>(() => Provider.Open().GetPartSizesAsync(mp, 2, None));
    }

    [Fact]
    public async Task Tags_round_trip_and_are_counted_on_read()
    {
        var tags = new Dictionary<string, string> { ["team"] = "finance", ["stage"] = "raw data" };
        await Provider.PutAsync("t.bin", Bytes(10, 10), new SourceWrite { Tags = tags });
        await Provider.PutAsync("untagged.bin", Bytes(10, 11));
        var source = Provider.Open();
        var tagged = await ListedObjectAsync("t.bin");
        Assert.Equal(tags.OrderBy(t => t.Key), (await source.GetTagsAsync(tagged, None)).OrderBy(t => t.Key));
        Assert.Equal(2, (await source.ReadAsync(tagged, 0, new byte[10], None)).TagCount);
        var untagged = await ListedObjectAsync("untagged.bin");
        Assert.Empty(await source.GetTagsAsync(untagged, None));
        Assert.Equal(0, (await source.ReadAsync(untagged, 0, new byte[10], None)).TagCount);
    }

    [Fact]
    public async Task The_presigner_heads_the_listed_version_and_refuses_a_changed_one()
    {
        var presigner = Provider.Open().Capabilities.Presigner;
        Assert.NotNull(presigner);
        await Provider.PutAsync("h.bin", Bytes(300, 12), new SourceWrite { ContentType = "image/png", Metadata = new Dictionary<string, string> { ["owner"] = "contracts" } });
        var obj = await ListedObjectAsync("h.bin");
        var props = await presigner.HeadAsync(obj, None);
        Assert.Equal(("image/png", "contracts"), (props.ContentType, props.UserMetadata["owner"]));
        await Provider.PutAsync("h.bin", Bytes(300, 13));
        await Assert.ThrowsAsync<SourceChangedException>(() => presigner.HeadAsync(obj, None));
        await Provider.DeleteAsync("h.bin");
        await Assert.ThrowsAsync<SourceChangedException>(() => presigner.HeadAsync(obj, None));
    }

    [Fact]
    public async Task Presigned_urls_fetch_the_listed_bytes_expire_within_a_week_and_never_show_their_query()
    {
        var presigner = Provider.Open().Capabilities.Presigner;
        Assert.NotNull(presigner);
        var data = Bytes(70_000, 14);
        await Provider.PutAsync("u/\u00e9t\u00e9 1.bin", data);
        var obj = await ListedObjectAsync("u/\u00e9t\u00e9 1.bin");
        var url = await presigner.PresignAsync(obj, None);
        Assert.InRange(url.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(1), DateTimeOffset.UtcNow.AddDays(7));
        SameBytes(data, await Provider.FetchAsync(url));
        Assert.DoesNotContain("?", url.ToString().Replace("?***", "", StringComparison.Ordinal));
        Assert.Equal(presigner.Endpoint.Host, url.Url.Host);
    }
}
