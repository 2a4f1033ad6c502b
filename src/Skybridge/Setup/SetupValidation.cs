using System.Text.RegularExpressions;

namespace Skybridge.Setup;

/// <summary>
/// Input checks for the setup generators and the broker's settings. Each returns the value in its
/// canonical form, or throws a usage <see cref="SkybridgeException"/> (exit code 2) that says what, why
/// and how to fix.
/// </summary>
public static partial class SetupValidation
{
    /// <summary>An Entra tenant id: a GUID, returned in canonical lower-case form (a domain name is refused: tokens carry the GUID in iss).</summary>
    public static string TenantId(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw SkybridgeException.Usage("--tenant-id is required: the OIDC issuer URL AWS trusts is built from the Entra ID tenant id.",
                "Pass --tenant-id <GUID> (az account show --query tenantId -o tsv), or --issuer-url to give the issuer explicitly.");
        if (!Guid.TryParse(value.Trim(), out var g))
            throw SkybridgeException.Usage($"--tenant-id '{value}' is not a GUID: Entra ID tenant ids look like 00000000-0000-0000-0000-000000000000 and tokens carry them in 'iss'; a domain name cannot be used here.",
                "Pass the tenant's directory id (az account show --query tenantId -o tsv).");
        return g.ToString("D");
    }

    /// <summary>api://... or a client-id GUID; a trailing "/.default" scope suffix is removed (tokens never carry it).</summary>
    public static string Audience(string? value, int tokenVersion)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw SkybridgeException.Usage("--audience is required: the role trusts only tokens whose 'aud' claim equals it, and it becomes the OIDC provider's client id.",
                "Pass --audience api://<app-id-uri> (v1 tokens) or the application's client id GUID (v2 tokens).");
        var a = value.Trim();
        if (a.EndsWith("/.default", StringComparison.OrdinalIgnoreCase)) a = a[..^"/.default".Length];
        var isGuid = Guid.TryParse(a, out var g);
        if (tokenVersion == 2 && !isGuid)
            throw SkybridgeException.Usage($"--audience '{value}' is not a GUID, but v2 Entra ID tokens carry aud = the API application's client id (a GUID), never the identifier URI; a role trusting '{a}' would reject every v2 token.",
                "Pass --audience <application client id> with --token-version 2, or use --token-version 1 (api.requestedAccessTokenVersion null/1) to keep the api:// audience.");
        if (isGuid) return g.ToString("D");
        if (!a.StartsWith("api://", StringComparison.Ordinal) || a.Length <= "api://".Length || a.Any(char.IsWhiteSpace))
            throw SkybridgeException.Usage($"--audience '{value}' is neither an api:// identifier URI nor a GUID: it must equal the token's 'aud' claim exactly.",
                "Use the app registration's identifier URI (e.g. api://aws_azure_federate) or its client id GUID.");
        return a;
    }

    /// <summary>An IAM role name (1-64 of letters, digits and +=,.@_-), returned as given.</summary>
    public static string RoleName(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw SkybridgeException.Usage("--role-name is required: it names the IAM role the Entra token is exchanged for.", "Pass --role-name, e.g. skybridge-reader.");
        if (!RoleNameRegex().IsMatch(value))
            throw SkybridgeException.Usage($"--role-name '{value}' is not a valid IAM role name: IAM allows 1-64 characters from letters, digits and + = , . @ _ -.",
                "Choose a name such as skybridge-reader.");
        return value;
    }

    /// <summary>An IAM policy name (1-128 of letters, digits and +=,.@_-), returned as given.</summary>
    public static string PolicyName(string value)
    {
        if (!PolicyNameRegex().IsMatch(value))
            throw SkybridgeException.Usage($"--policy-name '{value}' is not a valid IAM policy name: IAM allows 1-128 characters from letters, digits and + = , . @ _ -.",
                "Choose a name such as skybridge-s3-read.");
        return value;
    }

    /// <summary>S3 general-purpose bucket naming rules.</summary>
    public static string Bucket(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw SkybridgeException.Usage("--bucket is required: the permissions policy is scoped to one bucket.", "Pass --bucket <name>.");
        string? why = null;
        if (value.Length is < 3 or > 63) why = "it must be 3-63 characters long";
        else if (!BucketRegex().IsMatch(value)) why = "it may contain only lower-case letters, digits, dots and hyphens, and must begin and end with a letter or digit";
        else if (value.Contains("..") || value.Contains(".-") || value.Contains("-.")) why = "dots may not be adjacent to each other or to a hyphen";
        else if (IpLikeRegex().IsMatch(value)) why = "it may not look like an IP address";
        else if (value.StartsWith("xn--") || value.StartsWith("sthree-") || value.StartsWith("amzn-s3-demo-")) why = "the prefixes xn--, sthree- and amzn-s3-demo- are reserved";
        else if (value.EndsWith("-s3alias") || value.EndsWith("--ol-s3") || value.EndsWith(".mrap") || value.EndsWith("--x-s3") || value.EndsWith("--table-s3")) why = "the suffixes -s3alias, --ol-s3, .mrap, --x-s3 and --table-s3 are reserved";
        if (why is not null)
            throw SkybridgeException.Usage($"--bucket '{value}' is not a valid S3 bucket name: {why}.", "Pass the bucket's name exactly as S3 shows it (not an ARN or URL).");
        return value;
    }

    /// <summary>Returns the prefix without leading/trailing slashes semantics: "" for the whole bucket, otherwise "a/b" (no trailing '/').</summary>
    public static string Prefix(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value.StartsWith('/'))
            throw SkybridgeException.Usage($"--prefix '{value}' starts with '/': S3 keys have no leading slash, so the policy would match nothing.",
                $"Pass --prefix {value.TrimStart('/')}");
        if (value.IndexOfAny(['*', '?', '$']) >= 0 || value.Any(char.IsControl))
            throw SkybridgeException.Usage($"--prefix '{value}' contains '*', '?', '$' or a control character: IAM would read them as wildcards or policy variables and widen or break the policy.",
                "Pass a literal key prefix such as exports/2024 (the generator adds the wildcards itself).");
        var p = value.TrimEnd('/');
        if (p.Length == 0)
            throw SkybridgeException.Usage($"--prefix '{value}' is only slashes.", "Omit --prefix to grant the whole bucket, or pass a folder such as exports.");
        return p;
    }

    /// <summary>The role's MaxSessionDuration in seconds: 3600..43200, null meaning 3600.</summary>
    public static int MaxSession(int? value)
    {
        var v = value ?? 3600;
        if (v is < 3600 or > 43200)
            throw SkybridgeException.Usage($"--max-session {v} is out of range: IAM's MaxSessionDuration for a role is 3600..43200 seconds (1-12 hours).",
                "Pass a value between 3600 and 43200; STS sessions can still be requested shorter (down to 900 s) with --duration.");
        return v;
    }

    /// <summary>The Entra access-token version, 1 or 2; null means 1.</summary>
    public static int TokenVersion(int? value)
    {
        var v = value ?? 1;
        if (v is not (1 or 2))
            throw SkybridgeException.Usage($"--token-version {v} is not valid: Entra ID issues v1 or v2 access tokens.",
                "Pass --token-version 1 (iss https://sts.windows.net/<tid>/, aud = identifier URI) or 2 (iss https://login.microsoftonline.com/<tid>/v2.0, aud = client id).");
        return v;
    }

    /// <summary>A KMS key ARN (not an alias ARN or a bare key id) and the region it names.</summary>
    public static (string Arn, string Region) KmsKeyArn(string value)
    {
        var m = KmsArnRegex().Match(value);
        if (!m.Success)
            throw SkybridgeException.Usage($"--kms-key-arn '{value}' is not a KMS key ARN: IAM matches kms:Decrypt against the key ARN (arn:aws:kms:<region>:<account>:key/<key-id>); alias ARNs and bare key ids never match.",
                "Pass the key ARN (aws kms describe-key --key-id alias/<name> --query KeyMetadata.Arn --output text).");
        return (value, m.Groups["region"].Value);
    }

    /// <summary>An absolute http(s) issuer URL without query or fragment, returned unchanged: it must equal the tokens' iss character for character.</summary>
    public static string IssuerUrl(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var u) || (u.Scheme != "https" && u.Scheme != "http") || !string.IsNullOrEmpty(u.Query) || !string.IsNullOrEmpty(u.Fragment) || value.Any(char.IsWhiteSpace))
            throw SkybridgeException.Usage($"--issuer-url '{value}' is not an absolute http(s) URL without query or fragment: it must equal the tokens' 'iss' claim character for character.",
                "Pass the exact issuer, e.g. https://sts.windows.net/<tid>/ (note the trailing slash) or http://127.0.0.1:17090/<tid>/ for the sandbox.");
        return value;
    }

    /// <summary>A SHA-1 certificate thumbprint: 40 hex digits (colons allowed), returned lower-case without colons.</summary>
    public static string Thumbprint(string value)
    {
        var t = value.Trim().Replace(":", "");
        if (!ThumbprintRegex().IsMatch(t))
            throw SkybridgeException.Usage($"--thumbprint '{value}' is not a SHA-1 thumbprint: IAM expects 40 hexadecimal characters.",
                "Pass the SHA-1 of the issuer's top intermediate CA certificate (or omit it: AWS fetches it itself for well-known IdPs).");
        return t.ToLowerInvariant();
    }

    /// <summary>One literal identity for the trust policy's <c>:sub</c> condition (no whitespace or wildcards), trimmed.</summary>
    public static string Subject(string value)
    {
        var s = value.Trim();
        if (s.Length == 0 || s.Any(char.IsWhiteSpace) || s.IndexOfAny(['*', '?']) >= 0)
            throw SkybridgeException.Usage($"--subject '{value}' is not a single literal identity: the trust policy compares it with the token's 'sub' claim using StringEquals.",
                "Pass the managed identity's object (principal) id, e.g. az identity show -n <name> -g <rg> --query principalId -o tsv.");
        return s;
    }

    // Azure-side names.
    /// <summary>A principal's object id: a GUID, canonical form; <paramref name="option"/> names the setting in the error.</summary>
    public static string ObjectId(string option, string value)
    {
        if (!Guid.TryParse(value.Trim(), out var g))
            throw SkybridgeException.Usage($"{option} '{value}' is not a GUID: Microsoft Graph and Azure RBAC identify principals by object id.",
                "Pass the managed identity's principal (object) id: az identity show -n <name> -g <rg> --query principalId -o tsv.");
        return g.ToString("D");
    }

    /// <summary>A storage account name: 3-24 lower-case letters and digits.</summary>
    public static string StorageAccount(string value)
    {
        if (!StorageAccountRegex().IsMatch(value))
            throw SkybridgeException.Usage($"--storage-account '{value}' is not a valid storage account name: 3-24 lower-case letters and digits.",
                "Pass the account name only (not the URL), e.g. mydata01.");
        return value;
    }

    /// <summary>A blob container name: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.</summary>
    public static string Container(string value)
    {
        if (!ContainerRegex().IsMatch(value) || value.Contains("--"))
            throw SkybridgeException.Usage($"--container '{value}' is not a valid blob container name: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.",
                "Pass the container name only, e.g. landing.");
        return value;
    }

    [GeneratedRegex(@"^[A-Za-z0-9+=,.@_-]{1,64}$")] private static partial Regex RoleNameRegex();
    [GeneratedRegex(@"^[A-Za-z0-9+=,.@_-]{1,128}$")] private static partial Regex PolicyNameRegex();
    [GeneratedRegex(@"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")] private static partial Regex BucketRegex();
    [GeneratedRegex(@"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")] private static partial Regex IpLikeRegex();
    [GeneratedRegex(@"^arn:aws(-[a-z]+)*:kms:(?<region>[a-z]{2}(-[a-z]+)+-\d):\d{12}:key/[A-Za-z0-9-]+$")] private static partial Regex KmsArnRegex();
    [GeneratedRegex(@"^[0-9A-Fa-f]{40}$")] private static partial Regex ThumbprintRegex();
    [GeneratedRegex(@"^[a-z0-9]{3,24}$")] private static partial Regex StorageAccountRegex();
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")] private static partial Regex ContainerRegex();
}
