// TEST STAND-IN — part of the local sandbox only, never shipped with Skybridge.
namespace Skybridge.LocalCloud;

/// <summary>Command-line options of the Entra ID stand-in.</summary>
public sealed record StandInOptions
{
    /// <summary>The fixed test tenant. Not a real tenant.</summary>
    public const string TenantId = "7f3c1a52-5b0e-4c1e-9d7a-2b8e6f4a9c10";

    public string Host { get; init; } = "127.0.0.1";
    public int HttpPort { get; init; } = 17090;
    public int HttpsPort { get; init; } = 17091;
    public string StateDir { get; init; } = Path.Combine(Path.GetTempPath(), "skybridge-localcloud");
    public string IdentityHeader { get; init; } = "";
    public string? HttpsCertPem { get; init; }
    public string? HttpsKeyPem { get; init; }

    /// <summary>Base URL used in issuer values: what RGW and clients reach over plain http.</summary>
    public string HttpBase => $"http://{Host}:{HttpPort}";
    public string HttpsBase => $"https://{Host}:{HttpsPort}";

    /// <summary>Federation issuer (Entra v1 style, trailing slash).</summary>
    public string FederationIssuerV1 => $"{HttpBase}/{TenantId}/";
    /// <summary>Federation issuer for v2 tokens.</summary>
    public string FederationIssuerV2 => $"{HttpBase}/{TenantId}/v2.0";
    /// <summary>The issuer Azure Storage (and Azurite) accepts.</summary>
    public const string StorageIssuer = "https://sts.windows.net/" + TenantId + "/";

    public static StandInOptions Parse(string[] args)
    {
        var o = new StandInOptions
        {
            IdentityHeader = Environment.GetEnvironmentVariable("LOCALCLOUD_IDENTITY_HEADER") ?? "",
        };
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--state-dir" => o with { StateDir = Next() },
                "--identity-header" => o with { IdentityHeader = Next() },
                "--https-cert" => o with { HttpsCertPem = Next() },
                "--https-key" => o with { HttpsKeyPem = Next() },
                "--http-port" => o with { HttpPort = int.Parse(Next()) },
                "--https-port" => o with { HttpsPort = int.Parse(Next()) },
                "--host" => o with { Host = Next() },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }
        if (string.IsNullOrEmpty(o.IdentityHeader))
            throw new ArgumentException("--identity-header (or LOCALCLOUD_IDENTITY_HEADER) is required");
        return o;
    }
}
