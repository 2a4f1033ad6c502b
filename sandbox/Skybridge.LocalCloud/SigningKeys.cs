// TEST STAND-IN — part of the local sandbox only, never shipped with Skybridge.
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Skybridge.LocalCloud;

/// <summary>
/// The stand-in's token signing key + self-signed certificate, and a second "rogue" key that is
/// never published in the JWKS (to test that relying parties reject unknown signers).
/// Both are persisted as PEM in the state directory, so restarts keep the same keys.
/// </summary>
public sealed class SigningKeys
{
    public SigningKey Primary { get; }
    public SigningKey Rogue { get; }

    public SigningKeys(string stateDir)
    {
        Directory.CreateDirectory(stateDir);
        Primary = SigningKey.LoadOrCreate(stateDir, "signing", "CN=Skybridge LocalCloud Entra stand-in (TEST ONLY)");
        Rogue = SigningKey.LoadOrCreate(stateDir, "rogue", "CN=Skybridge LocalCloud rogue signer (TEST ONLY)");
    }
}

public sealed class SigningKey
{
    public required RSA Rsa { get; init; }
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>Like Entra: kid == x5t == base64url(SHA-1 of the certificate DER).</summary>
    public string Kid => Base64Url.Encode(SHA1.HashData(Certificate.RawData));

    /// <summary>Lower-case hex SHA-1 of the certificate (what IAM calls a thumbprint).</summary>
    public string ThumbprintHex => Convert.ToHexStringLower(SHA1.HashData(Certificate.RawData));

    public static SigningKey LoadOrCreate(string dir, string name, string subject)
    {
        var keyPath = Path.Combine(dir, name + "-key.pem");
        var certPath = Path.Combine(dir, name + "-cert.pem");
        if (!File.Exists(keyPath) || !File.Exists(certPath))
        {
            using var rsa = RSA.Create(2048);
            var req = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
            WriteAtomic(keyPath, rsa.ExportPkcs8PrivateKeyPem());
            WriteAtomic(certPath, cert.ExportCertificatePem());
        }
        var key = RSA.Create();
        key.ImportFromPem(File.ReadAllText(keyPath));
        return new SigningKey { Rsa = key, Certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certPath)) };
    }

    private static void WriteAtomic(string path, string content)
    {
        var tmp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(tmp, content);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
    }
}

internal static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Decode(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
