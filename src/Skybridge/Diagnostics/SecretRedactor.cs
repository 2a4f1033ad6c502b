using System.Text.RegularExpressions;

namespace Skybridge.Diagnostics;

/// <summary>
/// Last line of defence for anything that leaves the process as text (logs, errors, reports):
/// removes JWTs, presigned-URL signatures and security tokens, and any secret value registered at
/// run time (secret keys, session tokens). Code should not log secrets in the first place; this
/// catches what SDK exception messages and URLs carry along.
/// </summary>
public static partial class SecretRedactor
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();
    private static string[] _snapshot = [];

    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>Registers a secret value (e.g. an AWS secret key or session token) to be masked wherever it appears.</summary>
    public static void Register(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < 8) return;
        lock (Gate)
        {
            if (Known.Add(secret)) _snapshot = [.. Known];
        }
    }

    /// <paramref name="text"/> with every registered secret, every JWT and every credential query parameter (SigV4 signature, credential and security token, SAS sig) replaced by <see cref="Mask"/>; null becomes "".
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
        foreach (var secret in _snapshot)
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        text = Jwt().Replace(text, Mask);
        text = SignedQueryParameter().Replace(text, m => m.Groups[1].Value + Mask);
        return text;
    }

    // header.payload.signature, each base64url; the header of every JWT starts with {" -> "eyJ".
    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")]
    private static partial Regex Jwt();

    // Query parameters that are credentials: SigV4 presign parts, SAS signatures, session tokens.
    [GeneratedRegex(@"((?:X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|Signature|sig|SessionToken|x-amz-security-token)=)[^&\s""'<>]+", RegexOptions.IgnoreCase)]
    private static partial Regex SignedQueryParameter();
}
