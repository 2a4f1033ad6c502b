using System.Text;
using System.Text.Json;
using Amazon.SecurityToken.Model;
using Azure.Core;
using Skybridge.IntegrationTests.Sandbox;

namespace Skybridge.IntegrationTests.StandIns;

/// <summary>Helpers shared by the stand-in tests.</summary>
internal static class StandInTestSupport
{
    /// <summary>Decoded JWT payload (no validation: the relying parties do that).</summary>
    public static JsonElement Claims(string jwt)
    {
        var p = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        p = p.PadRight(p.Length + (4 - p.Length % 4) % 4, '=');
        return JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(p))).RootElement;
    }

    public static Task<AssumeRoleWithWebIdentityResponse> AssumeRoleAsync(this SandboxFixture f, string token,
        string? roleArn = null, string session = "skybridge-test") =>
        f.AnonymousSts().AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = roleArn ?? f.RoleArn,
            RoleSessionName = session,
            WebIdentityToken = token,
            DurationSeconds = 900,
        });
}

/// <summary>A TokenCredential that always returns one fixed token (e.g. a minted, expired one).</summary>
internal sealed class StaticTokenCredential(string token, DateTimeOffset expiresOn) : TokenCredential
{
    public int Calls { get; private set; }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Calls++;
        return new AccessToken(token, expiresOn);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(GetToken(requestContext, cancellationToken));
}

/// <summary>
/// Sets process environment variables for the duration of a test and restores them afterwards.
/// Azure.Identity reads its configuration (IDENTITY_ENDPOINT, AZURE_*) from the process environment.
/// Safe only because the "sandbox" collection runs its tests one at a time.
/// </summary>
internal sealed class EnvScope : IDisposable
{
    private static readonly string[] AzureIdentityVars =
    [
        "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_AUTHORITY_HOST", "AZURE_TOKEN_CREDENTIALS",
    ];

    private readonly Dictionary<string, string?> _saved = new();

    /// <summary>Clears every variable Azure.Identity looks at, then sets <paramref name="vars"/>.</summary>
    public static EnvScope ForAzureIdentity(IDictionary<string, string?> vars)
    {
        var scope = new EnvScope();
        foreach (var k in AzureIdentityVars.Concat(vars.Keys).Distinct())
        {
            scope._saved[k] = Environment.GetEnvironmentVariable(k);
            Environment.SetEnvironmentVariable(k, vars.TryGetValue(k, out var v) ? v : null);
        }
        return scope;
    }

    public void Dispose()
    {
        foreach (var (k, v) in _saved) Environment.SetEnvironmentVariable(k, v);
    }
}
