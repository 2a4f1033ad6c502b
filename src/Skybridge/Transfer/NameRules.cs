namespace Skybridge.Transfer;

/// <summary>What to do with a key that is not a safe name at the destination.</summary>
public enum NamePolicy { Skip, Fail, Encode }

/// <summary>The outcome of mapping one key: a destination name, or why there is none.</summary>
public sealed record NameMapping(string? BlobName, string? Problem, bool Renamed)
{
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
