using Azure.Storage.Blobs;

namespace Skybridge.Providers.AzureBlob;

/// <summary>
/// A parsed destination: https://account.blob.core.windows.net/container[/prefix], the ADLS Gen2
/// dfs endpoint (mapped to the blob endpoint, which serves the same data), or an IP-style emulator
/// URL (https://127.0.0.1:10000/devstoreaccount1/container[/prefix]). A SAS in the query is kept
/// apart so it never appears in <see cref="ToString"/>.
/// </summary>
public sealed record BlobLocation(Uri ContainerUri, string AccountName, string Container, string Prefix, string? Sas)
{
    /// <summary>The URL without any SAS, safe to print.</summary>
    public override string ToString() => ContainerUri.ToString().TrimEnd('/') + "/" + Prefix;

    /// <summary>The container URL with the SAS, for a SAS-authorised client (never print it).</summary>
    public Uri ContainerUriWithSas => Sas is null ? ContainerUri : new UriBuilder(ContainerUri) { Query = Sas }.Uri;

    public static BlobLocation Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            throw SkybridgeException.Usage("The destination is not an https URL.",
                "Use https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX] (or the emulator's https://127.0.0.1:10000/devstoreaccount1/CONTAINER).");
        // ADLS Gen2: the dfs endpoint and the blob endpoint are two views of one account.
        if (uri.Host.Contains(".dfs.", StringComparison.OrdinalIgnoreCase))
            uri = new UriBuilder(uri) { Host = uri.Host.Replace(".dfs.", ".blob.", StringComparison.OrdinalIgnoreCase) }.Uri;
        var builder = new BlobUriBuilder(uri);
        if (string.IsNullOrEmpty(builder.BlobContainerName))
            throw SkybridgeException.Usage("The destination URL names no container.", "Add the container: https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX].");
        if (ContainerNameProblem(builder.BlobContainerName) is { } problem)
            throw SkybridgeException.Usage($"'{builder.BlobContainerName}' is not a valid container name: {problem}.",
                "Container names are 3-63 characters of lowercase letters, digits and single hyphens, starting and ending with a letter or digit (or $root, $web).");
        var prefix = builder.BlobName ?? "";
        if (prefix.Length > 0 && !prefix.EndsWith('/')) prefix += "/";
        var sas = string.IsNullOrEmpty(uri.Query) ? null : uri.Query.TrimStart('?');
        builder.BlobName = null;
        builder.Sas = null;
        builder.Query = null;
        var container = builder.ToUri();
        return new BlobLocation(container, builder.AccountName ?? "", builder.BlobContainerName, prefix, sas);
    }

    /// <summary>Azure's container naming rules, checked before any request (the service answers a bare 400 InvalidResourceName).</summary>
    public static string? ContainerNameProblem(string name)
    {
        if (name is "$root" or "$web" or "$logs") return null;
        if (name.Length is < 3 or > 63) return $"it has {name.Length} characters, not 3-63";
        if (name.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
            return "only lowercase letters, digits and '-' are allowed";
        if (name[0] == '-' || name[^1] == '-') return "it must start and end with a letter or digit";
        if (name.Contains("--", StringComparison.Ordinal)) return "'-' must not follow another '-'";
        return null;
    }
}
