namespace Skybridge.Transfer.ServiceSide;

/// <summary>
/// How object bytes travel (--mode). <see cref="Stream"/>: through this host (ranged GET -> Put
/// Block). <see cref="Service"/>: Azure pulls them from presigned S3 URLs (Put Blob From URL / Put
/// Block From URL), so they never cross this host; an object whose presigned URL does not fit in
/// x-ms-copy-source is streamed. <see cref="Auto"/> (default): service-side wherever it can work,
/// streamed otherwise (URL too long, S3 endpoint Azure cannot reach, destination cannot fetch URLs).
/// </summary>
public enum CopyMode
{
    /// <summary>Service-side where source and destination allow it, streamed otherwise (default).</summary>
    Auto,
    /// <summary>Service-side only: an object that cannot go that way fails instead of streaming.</summary>
    Service,
    /// <summary>Every byte through this host.</summary>
    Stream,
}

/// <summary>The per-object transfer mode written to the report and counted in the summary.</summary>
public static class TransferModes
{
    /// <summary>The destination fetched the bytes from a presigned source URL.</summary>
    public const string Service = "service";
    /// <summary>The bytes went through this host.</summary>
    public const string Stream = "stream";

    /// <summary>Parses --mode (auto, service, stream and their aliases; null or empty: auto); anything else is a usage error.</summary>

    public static CopyMode Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => CopyMode.Auto,
        "service" or "service-side" => CopyMode.Service,
        "stream" or "streamed" or "client" => CopyMode.Stream,
        _ => throw SkybridgeException.Usage($"--mode '{value}' is not valid.", "Use auto (default), service or stream."),
    };
}
