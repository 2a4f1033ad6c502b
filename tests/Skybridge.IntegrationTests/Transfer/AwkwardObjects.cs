using System.Text;
using Amazon.S3.Model;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.Transfer;

/// <summary>
/// Objects of every awkward kind under a fresh prefix of the sandbox bucket (nested, empty, unicode,
/// metadata and tags, multi-block, multipart, a directory marker, a key that is no valid blob name):
/// the data the end-to-end transfer tests copy.
/// </summary>
internal static class AwkwardObjects
{
    private const int MiB = 1024 * 1024;

    public sealed record Seeded(string Prefix, Dictionary<string, byte[]> Objects);

    public static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>Objects under a fresh prefix: nested, empty, unicode, metadata + tags, multipart, multi-block, marker, bad name.</summary>
    public static async Task<Seeded> SeedAsync(SandboxFixture sandbox, string test)
    {
        var prefix = $"it-{test}-{Guid.NewGuid():N}"[..24] + "/";
        var s3 = sandbox.AdminS3();
        var objects = new Dictionary<string, byte[]>(StringComparer.Ordinal);

        async Task Put(string key, byte[] data, Action<PutObjectRequest>? more = null)
        {
            var request = new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + key, InputStream = new MemoryStream(data), UseChunkEncoding = false };
            more?.Invoke(request);
            await s3.PutObjectAsync(request);
            objects[key] = data;
        }

        await Put("top.txt", Encoding.UTF8.GetBytes("top level"), r =>
        {
            r.ContentType = "text/plain; charset=utf-8";
            r.Headers.CacheControl = "max-age=300";
            r.Headers.ContentDisposition = "attachment; filename=top.txt";
            r.Metadata.Add("owner-team", "data-platform");
            r.TagSet = [new Tag { Key = "project", Value = "skybridge" }, new Tag { Key = "bad@tag", Value = "x" }];
        });
        await Put("a/b/c/deep.json", Encoding.UTF8.GetBytes("{\"deep\":true}"), r => r.ContentType = "application/json");
        await Put("a/empty.bin", []);
        await Put("unicode/\u00e9t\u00e9 \u4e2d\u6587 \U0001F600.txt", Encoding.UTF8.GetBytes("unicode key"));
        await Put("blocks/three-mib.bin", Random(3 * MiB + 123, 1));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = sandbox.Bucket, Key = prefix + "folder/", InputStream = new MemoryStream() });
        await Put("bad\\name.txt", Encoding.UTF8.GetBytes("backslash"));

        // Multipart: 5 MiB + 5 MiB + 100 KiB parts -> ETag "...-3".
        var multipart = Random(10 * MiB + 100 * 1024, 2);
        var key = prefix + "multipart/object.bin";
        await sandbox.PutMultipartAsync(key, multipart, [5 * MiB, 5 * MiB, 100 * 1024], "application/octet-stream");
        objects["multipart/object.bin"] = multipart;
        var head = await s3.GetObjectMetadataAsync(sandbox.Bucket, key);
        Assert.EndsWith("-3", head.ETag.Trim('"'));
        return new Seeded(prefix, objects);
    }
}
