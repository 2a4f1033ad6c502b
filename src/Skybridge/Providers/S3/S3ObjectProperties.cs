using Amazon.S3;
using Amazon.S3.Model;
using Skybridge.Transfer;

namespace Skybridge.Providers.S3;

/// <summary>The properties a blob takes from an S3 object, as a GET or a HEAD reports them.</summary>
internal static class S3ObjectProperties
{
    public static SourceProperties From(GetObjectResponse r)
        => From(r.Headers, r.Metadata, r.ContentLanguage, r.VersionId, r.ServerSideEncryptionMethod, r.ServerSideEncryptionCustomerMethod, r.TagCount ?? 0,
            S3Checksums.FullObjectCrc64(r.ChecksumCRC64NVME, r.ChecksumType));

    /// <summary>A HEAD: TagCount -1 when not reported (RGW omits x-amz-tagging-count on HEAD): the tags are then looked up.</summary>
    public static SourceProperties From(GetObjectMetadataResponse r)
        => From(r.Headers, r.Metadata, r.ContentLanguage, r.VersionId, r.ServerSideEncryptionMethod, r.ServerSideEncryptionCustomerMethod, r.TagsCount ?? -1,
            S3Checksums.FullObjectCrc64(r.ChecksumCRC64NVME, r.ChecksumType));

    private static SourceProperties From(HeadersCollection headers, MetadataCollection metadata, string? contentLanguage, string? versionId,
        ServerSideEncryptionMethod? sse, ServerSideEncryptionCustomerMethod? sseCustomer, int tagCount, Crc64? crc64)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in metadata.Keys)
        {
            var name = key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) ? key["x-amz-meta-".Length..] : key;
            meta[name] = metadata[key];
        }
        return new SourceProperties
        {
            ContentType = Empty(headers.ContentType),
            ContentEncoding = Empty(headers.ContentEncoding),
            ContentLanguage = Empty(contentLanguage),
            ContentDisposition = Empty(headers.ContentDisposition),
            CacheControl = Empty(headers.CacheControl),
            UserMetadata = meta,
            TagCount = tagCount,
            VersionId = Empty(versionId),
            // SSE-KMS and SSE-C ETags are not the MD5 of the content.
            EtagIsNotDigest = sse?.Value is "aws:kms" or "aws:kms:dsse"
                || (sseCustomer?.Value is { Length: > 0 } c && c != "None"),
            Crc64Nvme = crc64,
        };
    }

    private static string? Empty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
