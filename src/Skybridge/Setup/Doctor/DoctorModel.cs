namespace Skybridge.Setup.Doctor;

/// <summary>Outcome of one doctor check.</summary>
public enum DoctorStatus
{
    /// <summary>The check succeeded.</summary>
    Passed,
    /// <summary>Passed, but with something worth knowing (clock skew, presigned URL too long for service-side copies).</summary>
    Warning,
    /// <summary>The check failed; its outcome carries the fix.</summary>
    Failed,
    /// <summary>Not run: a link it depends on failed or was skipped, or it does not apply (no SRC/DST, --no-write-probe).</summary>
    Skipped,
}

/// <summary>What a check found: status, a one-line non-secret detail, and the fix when it failed.</summary>
internal sealed record CheckOutcome(DoctorStatus Status, string Detail, string? Fix = null)
{
    public static CheckOutcome Pass(string detail) => new(DoctorStatus.Passed, detail);
    public static CheckOutcome Warn(string detail, string? fix = null) => new(DoctorStatus.Warning, detail, fix);
    public static CheckOutcome Fail(string detail, string? fix) => new(DoctorStatus.Failed, detail, fix);
    public static CheckOutcome Skip(string detail) => new(DoctorStatus.Skipped, detail);
}

/// <summary>One line of the checklist. <see cref="Name"/> is a stable id (e.g. "sts"), <see cref="Title"/> what a human reads.</summary>
internal sealed record DoctorCheckResult(string Name, string Title, DoctorStatus Status, string Detail, string? Fix, TimeSpan Elapsed);

/// <summary>The checklist, in the order the checks ran.</summary>
internal sealed record DoctorReport(IReadOnlyList<DoctorCheckResult> Checks)
{
    /// <summary>True when no check failed (warnings and skips do not fail the report).</summary>
    public bool Passed => Checks.All(c => c.Status != DoctorStatus.Failed);

    /// <summary>0 when every check that ran passed; 1 (<see cref="ExitCodes.SomeFailed"/>) when any failed, whatever the cause.</summary>
    public int ExitCode => Passed ? ExitCodes.Ok : ExitCodes.SomeFailed;

    public DoctorCheckResult? this[string name] => Checks.FirstOrDefault(c => c.Name == name);

    public int Count(DoctorStatus status) => Checks.Count(c => c.Status == status);
}
