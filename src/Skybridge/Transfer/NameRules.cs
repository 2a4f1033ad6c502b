namespace Skybridge.Transfer;

/// <summary>What to do with a key that is not a safe name at the destination.</summary>
public enum NamePolicy
{
    /// <summary>Skip the object, with the name problem as the reason (default).</summary>
    Skip,
    /// <summary>Count the object as failed (the run exits 1).</summary>
    Fail,
    /// <summary>Encode the offending characters reversibly, and record the source key on the blob.</summary>
    Encode,
}

/// <summary>The outcome of mapping one key: a destination name, or why there is none.</summary>
public sealed record NameMapping(string? BlobName, string? Problem, bool Renamed)
{
    /// <summary>True when the key got a destination name.</summary>
    public bool Accepted => BlobName is not null;
}

/// <summary>A destination's naming rules and its reversible encoder (Azure: <c>BlobNamePolicy</c>).</summary>
public interface INameRules
{
    /// <summary>Why <paramref name="name"/> is not a safe name here, or null when it is.</summary>
    string? Problem(string name);

    /// <summary>The name <paramref name="relativeKey"/> gets under <paramref name="destinationPrefix"/> with <paramref name="policy"/>.</summary>
    NameMapping Map(string relativeKey, string destinationPrefix, NamePolicy policy);

    /// <summary>Why a destination-only name is an extra, naming the key it stands for under "encode".</summary>
    string NotInSource(string relativeName, NamePolicy policy);
}
