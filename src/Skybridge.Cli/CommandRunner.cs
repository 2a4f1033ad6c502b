using System.CommandLine;
using Amazon.Runtime;
using Azure;
using Azure.Identity;
using Skybridge.Diagnostics;

namespace Skybridge.Cli;

/// <summary>
/// Runs a command body with the shared error policy: a <see cref="SkybridgeException"/> prints
/// "error: what/why" and "fix: how" and returns its exit code; cancellation returns 130; anything
/// else is mapped to the closest documented code. Every message is redacted.
/// </summary>
internal static class CommandRunner
{
    public static void SetAction(this Command command, Func<CliContext, ParseResult, CancellationToken, Task<int>> body)
        => command.SetAction(async (parse, ct) => await RunAsync(parse, ct, body));

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken ct, Func<CliContext, ParseResult, CancellationToken, Task<int>> body)
    {
        CliContext? context = null;
        try
        {
            context = CliContext.From(parse);
            return await body(context, parse, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted: stopped cleanly.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            var (code, message, fix) = Describe(e);
            // Messages quote names from the source: escaped, so a key cannot split or forge a line.
            Console.Error.WriteLine("error: " + DisplayName.Escape(SecretRedactor.Redact(message)));
            if (fix is not null) Console.Error.WriteLine("fix: " + DisplayName.Escape(SecretRedactor.Redact(fix)));
            return code;
        }
        finally
        {
            context?.Dispose();
        }
    }

    internal static (int Code, string Message, string? Fix) Describe(Exception e) => e switch
    {
        SkybridgeException s => (ExitCodes.For(s.Kind), s.Message, s.Fix),
        // A failing static constructor or reflective call says nothing itself: its cause does.
        TypeInitializationException or System.Reflection.TargetInvocationException when e.InnerException is { } cause => Describe(cause),
        CredentialUnavailableException c => (ExitCodes.Auth, "No Azure credential is available: " + FirstLine(c.Message),
            "Run on a host with a managed identity, set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_FEDERATED_TOKEN_FILE for workload identity, or 'az login'; choose one with --azure-credential."),
        AuthenticationFailedException a => (ExitCodes.Auth, "Azure authentication failed: " + Skybridge.Identity.AzureCredentialDiagnosis.Reason(a), "Check the identity and --audience; 'skybridge doctor' tests every link."),
        // The Azure SDK's retry policy gives up with an AggregateException of every attempt's error: describe the last one.
        AggregateException { InnerExceptions.Count: > 0 } g when g.InnerExceptions[^1] is not AggregateException => Retried(g.InnerExceptions.Count, Describe(g.InnerExceptions[^1])),
        AmazonServiceException { StatusCode: System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.Unauthorized } a =>
            (ExitCodes.Auth, $"AWS refused the request ({a.ErrorCode}): {a.Message}", "Check the role's permissions for this bucket/prefix; 'skybridge doctor' tests every link."),
        RequestFailedException { Status: 401 or 403 } r => (ExitCodes.Auth, $"Azure Storage refused the request ({r.ErrorCode}): {FirstLine(r.Message)}",
            "Grant the identity 'Storage Blob Data Contributor' on the destination container."),
        // Transient failures that outlasted the SDKs' retries (and other service errors): say who
        // answered what, and that a re-run is safe.
        AmazonServiceException a => (ExitCodes.SomeFailed,
            $"S3 answered {(int)a.StatusCode} {a.ErrorCode}{(IsTransient((int)a.StatusCode) ? " (still failing after the SDK's retries with back-off)" : "")}: {FirstLine(a.Message)}",
            IsTransient((int)a.StatusCode) ? Rerun : "Check --s3-endpoint and the source; 'skybridge doctor' tests every link."),
        RequestFailedException { Status: 0 } r => (ExitCodes.SomeFailed, $"Network failure talking to Azure Storage: {FirstLine(r.Message)}",
            "Check that the destination endpoint is reachable (and http vs https), then run the same command again (objects already copied are skipped)."),
        RequestFailedException r => (ExitCodes.SomeFailed,
            $"Azure Storage answered {r.Status} {r.ErrorCode}{(IsTransient(r.Status) ? " (still failing after the SDK's retries with back-off)" : "")}: {FirstLine(r.Message)}",
            IsTransient(r.Status) ? Rerun : "Check the destination URL and container; 'skybridge doctor' tests every link."),
        HttpRequestException or System.Net.Sockets.SocketException or IOException { InnerException: System.Net.Sockets.SocketException } =>
            (ExitCodes.SomeFailed, $"Network failure ({e.GetType().Name}): {FirstLine(e.Message)}",
                "Check that the endpoints are reachable, then run the same command again (objects already copied are skipped)."),
        _ => (ExitCodes.SomeFailed, $"{e.GetType().Name}: {e.Message}", null),
    };

    private const string Rerun = Skybridge.Transfer.TransferErrors.Rerun;

    private static (int, string, string?) Retried(int attempts, (int Code, string Message, string? Fix) last)
        => (last.Code, $"{last.Message} (after {attempts} attempts)", last.Fix);

    private static bool IsTransient(int status) => status is 0 or 408 or 429 or >= 500;

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
