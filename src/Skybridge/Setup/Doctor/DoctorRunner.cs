using System.Diagnostics;
using Skybridge.Diagnostics;

namespace Skybridge.Setup.Doctor;

/// <summary>
/// Runs checks in order. A check whose dependency failed or was skipped is skipped (and says which
/// link it waited for); a check that throws or overruns its time limit fails instead of ending the
/// run. Every detail and fix goes through <see cref="SecretRedactor"/> before it is stored.
/// </summary>
internal static class DoctorRunner
{
    /// <summary>Upper bound for one check (a hanging token endpoint must not hang the doctor).</summary>
    public static readonly TimeSpan DefaultCheckTimeout = TimeSpan.FromSeconds(60);

    public static async Task<DoctorReport> RunAsync(IEnumerable<IDoctorCheck> checks, DoctorContext context,
        CancellationToken cancellationToken = default, TimeSpan? checkTimeout = null, Action<DoctorCheckResult>? onResult = null)
    {
        var results = new List<DoctorCheckResult>();
        var byName = new Dictionary<string, DoctorCheckResult>(StringComparer.Ordinal);
        foreach (var check in checks)
        {
            var started = Stopwatch.GetTimestamp();
            var outcome = Blocker(check, byName) is { } blocker
                ? CheckOutcome.Skip($"needs '{blocker.Title}', which {(blocker.Status == DoctorStatus.Failed ? "failed" : "was skipped")}")
                : await RunOneAsync(check, context, checkTimeout ?? DefaultCheckTimeout, cancellationToken).ConfigureAwait(false);
            var result = new DoctorCheckResult(check.Name, check.Title, outcome.Status,
                SecretRedactor.Redact(outcome.Detail), outcome.Fix is null ? null : SecretRedactor.Redact(outcome.Fix),
                Stopwatch.GetElapsedTime(started));
            results.Add(result);
            byName[check.Name] = result;
            onResult?.Invoke(result);
        }
        return new DoctorReport(results);
    }

    private static DoctorCheckResult? Blocker(IDoctorCheck check, Dictionary<string, DoctorCheckResult> done)
    {
        foreach (var dependency in check.DependsOn)
        {
            if (!done.TryGetValue(dependency, out var r))
                throw new InvalidOperationException($"Doctor check '{check.Name}' depends on '{dependency}', which has not run before it.");
            if (r.Status is DoctorStatus.Failed or DoctorStatus.Skipped) return r;
        }
        return null;
    }

    private static async Task<CheckOutcome> RunOneAsync(IDoctorCheck check, DoctorContext context, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return await check.RunAsync(context, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return CheckOutcome.Fail($"no answer within {timeout.TotalSeconds:0} s.",
                "Check that the endpoint this step talks to is reachable from this host (proxy, firewall, DNS).");
        }
        catch (SkybridgeException e)
        {
            return CheckOutcome.Fail(e.Message, e.Fix);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return CheckOutcome.Fail($"{e.GetType().Name}: {FirstLine(e.Message)}", null);
        }
    }

    internal static string FirstLine(string? s) => (s ?? "").Split('\n', 2)[0].Trim();
}
