namespace Skybridge.Setup.Doctor;

/// <summary>
/// One link of the chain. A check reads what earlier checks left in the <see cref="DoctorContext"/>
/// (claims, the STS session, the first source object) and leaves its own findings there. It runs
/// only if every check named in <see cref="DependsOn"/> passed (or passed with a warning).
/// </summary>
internal interface IDoctorCheck
{
    /// <summary>Stable id, used in JSON output and in <see cref="DependsOn"/>.</summary>
    string Name { get; }

    /// <summary>What the checklist line says.</summary>
    string Title { get; }

    IReadOnlyList<string> DependsOn { get; }

    Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken);
}

/// <summary>Convenience base: name, title and dependencies as constructor arguments.</summary>
internal abstract class DoctorCheck(string name, string title, params string[] dependsOn) : IDoctorCheck
{
    public string Name => name;
    public string Title => title;
    public IReadOnlyList<string> DependsOn => dependsOn;
    public abstract Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken);
}
