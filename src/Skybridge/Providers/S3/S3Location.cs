namespace Skybridge.Providers.S3;

/// <summary>A parsed s3://bucket[/prefix] source. The prefix is a "folder": it ends in '/' (or is empty).</summary>
public sealed record S3Location(string Bucket, string Prefix)
{
    public override string ToString() => $"s3://{Bucket}/{Prefix}";

    public static S3Location Parse(string url)
    {
        const string scheme = "s3://";
        if (!url.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw SkybridgeException.Usage($"Source '{url}' is not an S3 URL.", "Use s3://bucket or s3://bucket/prefix.");
        var rest = url[scheme.Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.' or '_'))
            throw SkybridgeException.Usage($"'{bucket}' is not a valid S3 bucket name.", "Bucket names are 3-63 characters: lowercase letters, digits, '-' and '.'.");
        if (prefix.Length > 0 && !prefix.EndsWith('/')) prefix += "/";
        return new S3Location(bucket, prefix);
    }
}
