using System.Buffers.Binary;
using Skybridge.Transfer;

namespace Skybridge.Providers.AzureBlob;

/// <summary>Azure Storage's CRC64 (x-ms-content-crc64): CRC-64/NVME, the same CRC as S3's crc64nvme, in its own byte order.</summary>
public static class AzureCrc64
{
    /// <summary>
    /// The 8 bytes Azure takes and returns for <paramref name="crc"/>: least significant first, as
    /// Azure.Storage's StorageCrc64HashAlgorithm returns them (AzureCrc64Tests pins it; S3 sends the
    /// same CRC most significant first).
    /// </summary>
    public static byte[] Bytes(Crc64 crc)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, crc.Value);
        return bytes;
    }

    /// <summary>The CRC in Azure's 8 bytes (a response's x-ms-content-crc64), or null when it is not 8 bytes.</summary>
    public static Crc64? FromBytes(ReadOnlySpan<byte> bytes) => bytes.Length == 8 ? new Crc64(BinaryPrimitives.ReadUInt64LittleEndian(bytes)) : null;

    /// <summary>
    /// --dest-crc64 auto: on for Azure Storage's own endpoints (public, China and US Government
    /// clouds), which check a transactional CRC64; off elsewhere: Azurite refuses it, and an
    /// unknown endpoint may too. on / off force it (e.g. on for the benchmark's blackhole sink).
    /// </summary>
    public static bool Resolve(string? value, Uri destination) => value?.ToLowerInvariant() switch
    {
        null or "" or "auto" => IsAzureStorage(destination),
        "on" => true,
        "off" => false,
        _ => throw SkybridgeException.Usage($"--dest-crc64 '{value}' is not valid.",
            "Use auto (on for *.blob.core.windows.net and the other Azure clouds' endpoints, off elsewhere), on or off."),
    };

    private static readonly string[] AzureStorageSuffixes =
        [".blob.core.windows.net", ".dfs.core.windows.net", ".blob.core.chinacloudapi.cn", ".dfs.core.chinacloudapi.cn", ".blob.core.usgovcloudapi.net", ".dfs.core.usgovcloudapi.net"];

    private static bool IsAzureStorage(Uri destination)
        => destination.Scheme == Uri.UriSchemeHttps && AzureStorageSuffixes.Any(s => destination.Host.EndsWith(s, StringComparison.OrdinalIgnoreCase));
}
