using Skybridge.Diagnostics;

namespace Skybridge.Transfer.ServiceSide;

/// <summary>
/// A presigned GET URL for one object version. It carries a signature and (with temporary
/// credentials) the session token: <see cref="ToString"/> never shows the query, and the full URL
/// is registered with <see cref="SecretRedactor"/> by whoever creates it.
/// </summary>
public sealed record PresignedUrl(Uri Url, DateTimeOffset ExpiresAt)
{
    /// <summary>Characters Azure receives in x-ms-copy-source (the escaped absolute URI).</summary>
    public int Length => Url.AbsoluteUri.Length;

    /// <summary>Scheme, host and path only: safe to log.</summary>
    public string Redacted => Url.GetLeftPart(UriPartial.Path) + (Url.Query.Length > 0 ? "?***" : "");

    /// <summary>The URL with its signature masked: safe for logs, never the usable URL.</summary>
    public override string ToString() => Redacted;
}

/// <summary>The rules presigning follows, kept apart so they can be tested without S3.</summary>
internal static class PresignPolicy
{
    /// <summary>Azure's limit on x-ms-copy-source (Put Blob From URL, Put Block From URL): 2 KiB.</summary>
    public const int CopySourceLimit = 2048;

    /// <summary>Default lifetime asked for a presigned URL: one Put Block, retries included, takes far less.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(1);

    /// <summary>Kept between a URL's expiry and its session's, so Azure never fetches with a dying session.</summary>
    public static readonly TimeSpan SessionMargin = TimeSpan.FromSeconds(30);

    /// <summary>SigV4 query signing accepts at most 7 days.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(7);

    /// <summary>Shorter than this is not worth presigning: refresh the session first.</summary>
    public static readonly TimeSpan MinLifetime = TimeSpan.FromSeconds(15);

    /// <summary>
    /// When a URL presigned now should expire: the requested lifetime, but never later than the
    /// credential session that signs it (minus <see cref="SessionMargin"/>) — a presigned URL dies
    /// with its session whatever it states — and never beyond SigV4's 7 days. Null when the session
    /// has less than <see cref="MinLifetime"/> left (the caller refreshes it first).
    /// </summary>
    public static DateTimeOffset? Expiry(DateTimeOffset now, TimeSpan requested, DateTimeOffset? sessionExpiration)
    {
        if (requested <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(requested), "a presigned URL needs a positive lifetime");
        var expiry = now + (requested < MaxLifetime ? requested : MaxLifetime);
        if (sessionExpiration is { } session && session - SessionMargin < expiry) expiry = session - SessionMargin;
        return expiry - now < MinLifetime ? null : expiry;
    }

    /// <summary>
    /// Even a freshly refreshed session ends too soon to presign (sessions shortened below a minute):
    /// auto mode streams the object; service mode fails it with the fix.
    /// </summary>
    public static CopySourceException SessionTooShort(DateTimeOffset? sessionEnd)
        => new($"The AWS session ends at {sessionEnd:u}, too soon to presign a URL for a service-side copy (URLs need " +
               $"{(SessionMargin + MinLifetime).TotalSeconds:0} s of session left). Use a longer --duration (STS DurationSeconds) or --mode stream.",
            streamInstead: "AWS session too short to presign a URL: streamed");

    /// <summary>Null when the URL fits in x-ms-copy-source; else the reason the object is streamed instead.</summary>
    public static string? TooLong(PresignedUrl url, int limit = CopySourceLimit)
        => url.Length <= limit ? null : $"presigned URL {url.Length} chars > {limit}: streamed";
}
