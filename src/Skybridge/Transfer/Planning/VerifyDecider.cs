namespace Skybridge.Transfer.Planning;

/// <summary>
/// verify without reading data: source object + blob (or none) -> match, missing or mismatch, from
/// sizes, Content-MD5 and the source ETag recorded at copy time. Pure, like <see cref="Decider"/>.
/// </summary>
internal static class VerifyDecider
{
    /// <param name="src">The source object as listed.</param>
    /// <param name="dst">The blob of the same name, or null.</param>
    /// <param name="deep">verify --deep / --hash: a blob of the right size is read back instead of judged here.</param>
    public static (ItemAction Action, ItemReason Reason, string? Detail) Decide(SourceObject src, DestinationBlob? dst, bool deep)
    {
        if (dst is null) return (ItemAction.Missing, ItemReason.NotInDestination, null);
        if (dst.Size != src.Size) return (ItemAction.Mismatch, ItemReason.VerifySizeDiffers, $"source {src.Size}, destination {dst.Size}");
        if (deep) return (ItemAction.DeepVerify, ItemReason.BytesMatch, null);
        // A multipart source copied service-side has no Content-MD5: no byte passed through this host
        // to compute it; nor has one copied part by part (it records its proof): its parts were hashed, never the whole.
        var byParts = dst.RecordedProof;
        var unhashed = dst.ContentMd5 is null && !src.ETagIsMd5 && (dst.WroteServiceSide || byParts is not null);
        if (dst.ContentMd5 is null && !unhashed) return (ItemAction.Mismatch, ItemReason.NoContentMd5, null);
        var recordedEtag = dst.RecordedSourceETag;
        if (src.ETagIsMd5 && (recordedEtag is null || recordedEtag == CompositeEtag.Normalize(src.ETag)))
        {
            return dst.ContentMd5!.AsSpan().SequenceEqual(CompositeEtag.Md5FromEtag(src.ETag))
                ? (ItemAction.Match, ItemReason.SizeAndMd5Equal, null)
                : (ItemAction.Mismatch, ItemReason.ContentMd5Differs, null);
        }
        // Multipart (or non-digest) ETag: S3 does not know the whole-object MD5, so trust the ETag the
        // copy proved and recorded; the blob's Content-MD5 must be the MD5 that copy computed.
        if (recordedEtag != CompositeEtag.Normalize(src.ETag))
            return (ItemAction.Mismatch, recordedEtag is null ? ItemReason.NoRecordedEtagUseDeep : ItemReason.RecordedEtagDiffers, null);
        return (ItemAction.Match, ItemReason.RecordedEtagEqual,
            !unhashed ? ""
            : byParts is not null ? $" (copied part by part, {byParts}: no whole-object MD5 was computed; verify --hash reads both sides)"
            : " (copied service-side: bytes not hashed, verify --hash reads both sides)");
    }
}
