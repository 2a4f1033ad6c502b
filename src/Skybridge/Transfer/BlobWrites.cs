namespace Skybridge.Transfer;

/// <summary>
/// What a copy writes with the bytes, from the source's properties: HTTP headers, Content-MD5,
/// provenance metadata, index tags and tier. One place for the streamed and the service-side copy.
/// </summary>
internal static class BlobWrites
{
    /// <param name="rules">The destination's rules for metadata and tags.</param>
    /// <param name="source">The source (for its bucket and the object's tags).</param>
    /// <param name="obj">The object as listed.</param>
    /// <param name="props">Its properties from the GET or HEAD.</param>
    /// <param name="md5">The whole-object MD5, or null when it is not known (a multipart source copied service-side).</param>
    /// <param name="settings">Tier, tags and transactional-MD5 settings.</param>
    /// <param name="notes">Receives what did not carry over (tags that are not valid index tags).</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="serviceSide">Azure fetched the bytes: recorded on the blob for verify.</param>
    public static async Task<BlobWrite> BuildAsync(IMetadataRules rules, IObjectSource source, SourceObject obj, SourceProperties props, byte[]? md5,
        CopySettings settings, List<string> notes, CancellationToken ct, bool serviceSide = false)
    {
        var tags = new Dictionary<string, string>();
        // TagCount < 0: the response did not say (some S3-compatible servers omit x-amz-tagging-count on HEAD).
        if (settings.CopyTags && props.TagCount != 0)
        {
            var (mapped, dropped) = rules.MapTags(await source.GetTagsAsync(obj, ct).ConfigureAwait(false));
            tags = mapped;
            if (dropped.Count > 0) notes.Add("tags not valid as blob index tags were dropped: " + string.Join(", ", dropped));
        }
        var metadata = rules.Build(source.Bucket, obj, props, props.VersionId ?? obj.VersionId);
        if (serviceSide) metadata[ProvenanceKeys.CopyMode] = ServiceSide.TransferModes.Service;
        return new BlobWrite
        {
            ContentType = props.ContentType,
            ContentEncoding = props.ContentEncoding,
            ContentLanguage = props.ContentLanguage,
            ContentDisposition = props.ContentDisposition,
            CacheControl = props.CacheControl,
            ContentMd5 = md5 ?? [],
            Metadata = metadata,
            Tags = tags,
            AccessTier = settings.AccessTier,
            VerifyOnArrival = settings.UploadMd5 && !serviceSide,
        };
    }
}
