using Azure;
using Azure.Identity;
using Skybridge.Transfer;

namespace Skybridge.Providers.AzureBlob;

/// <summary>
/// Azure Storage's (and Azure.Identity's) failures as the engine's one error type. Per-object
/// wording is "Azure 500 InternalError: ..." (the report's reason); refusals carry the fix.
/// The SDK's retry policy has already retried transient failures when an exception gets here.
/// </summary>
public static class AzureErrors
{
    /// <summary>The mapped error, or null when <paramref name="e"/> is not an Azure failure.</summary>
    public static SkybridgeException? Map(Exception e) => e switch
    {
        SkybridgeException => null,
        RequestFailedException { Status: 401 or 403 } r => SkybridgeException.Auth($"Azure Storage refused the request ({r.ErrorCode}): {TransferErrors.FirstLine(r.Message)}",
            "Grant the identity 'Storage Blob Data Contributor' on the destination container.", r),
        RequestFailedException r => new SkybridgeException(KindOf(r), $"Azure {r.Status} {r.ErrorCode}: {TransferErrors.FirstLine(r.Message)}",
            KindOf(r) == ErrorKind.Transient ? TransferErrors.Rerun : "Check the destination URL and container; 'skybridge doctor' tests every link.", r),
        CredentialUnavailableException c => SkybridgeException.Auth("No Azure credential is available: " + TransferErrors.FirstLine(c.Message),
            "Run on a host with a managed identity, set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_FEDERATED_TOKEN_FILE for workload identity, or 'az login'; choose one with --azure-credential.", c),
        AuthenticationFailedException a => SkybridgeException.Auth("Azure authentication failed: " + Identity.AzureCredentialDiagnosis.Reason(a),
            "Check the identity and --audience; 'skybridge doctor' tests every link.", a),
        _ => null,
    };

    private static ErrorKind KindOf(RequestFailedException r) => (r.Status, r.ErrorCode) switch
    {
        (400, "Md5Mismatch" or "Crc64Mismatch") => ErrorKind.Integrity,
        (404, _) => ErrorKind.NotFound,
        (412, _) => ErrorKind.SourceChanged,
        (0 or 408 or 429, _) or (>= 500, _) => ErrorKind.Transient,
        _ => ErrorKind.Failed,
    };

    /// <summary>Runs an Azure call; its failure comes out mapped.</summary>
    public static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try { return await call().ConfigureAwait(false); }
        catch (Exception e) when (Map(e) is { } mapped) { throw mapped; }
    }

    public static async Task Call(Func<Task> call)
    {
        try { await call().ConfigureAwait(false); }
        catch (Exception e) when (Map(e) is { } mapped) { throw mapped; }
    }
}
