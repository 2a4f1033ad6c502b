using System.Security.Claims;
using System.Text.RegularExpressions;
using Skybridge.Setup;

namespace Skybridge.Broker;

/// <summary>Who the validated token names: its object id and app roles (claims only, never the token).</summary>
public sealed record Caller(string ObjectId, IReadOnlyList<string> AppRoles)
{
    /// <summary>Object id from <c>oid</c> (both token versions carry it), else <c>sub</c>; null if neither.</summary>
    public static Caller? From(ClaimsPrincipal principal)
    {
        var oid = principal.FindFirst(BrokerClaims.ObjectId)?.Value ?? principal.FindFirst(BrokerClaims.Subject)?.Value;
        if (string.IsNullOrWhiteSpace(oid)) return null;
        return new Caller(oid, [.. principal.FindAll(BrokerClaims.Roles).Select(c => c.Value)]);
    }
}

/// <summary>The decision for one request: the role to assume, or why not.</summary>
public sealed record RoleDecision(string? RoleArn, string? Refusal, string? Fix);

/// <summary>
/// The authorization policy: an allow-list of callers (by object id or app role), each with the
/// role ARNs it may assume. A caller on no entry is refused; a role not on its entries is refused
/// even if AWS's trust policy would allow it (defence in depth: both must agree).
/// </summary>
public sealed partial class CallerPolicy
{
    private readonly IReadOnlyList<(string? ObjectId, string? AppRole, IReadOnlyList<string> Roles)> _grants;

    private CallerPolicy(IReadOnlyList<(string?, string?, IReadOnlyList<string>)> grants) => _grants = grants;

    public static CallerPolicy From(IReadOnlyList<CallerGrant> grants)
    {
        if (grants.Count == 0)
            throw SkybridgeException.Usage("Broker:Callers is empty: the broker would refuse every caller.",
                "Add an entry per Data Factory: Broker__Callers__0__ObjectId=<factory managed identity object id>, Broker__Callers__0__RoleArns__0=<role ARN>.");
        var list = new List<(string?, string?, IReadOnlyList<string>)>();
        for (var i = 0; i < grants.Count; i++)
        {
            var g = grants[i];
            var hasOid = !string.IsNullOrWhiteSpace(g.ObjectId);
            var hasRole = !string.IsNullOrWhiteSpace(g.AppRole);
            if (hasOid == hasRole)
                throw SkybridgeException.Usage($"Broker:Callers:{i} must name exactly one of ObjectId or AppRole: an entry with neither would match nobody, one with both is ambiguous.",
                    $"Set Broker__Callers__{i}__ObjectId to the caller's object (principal) id, or Broker__Callers__{i}__AppRole to an app role value.");
            if (g.RoleArns.Count == 0)
                throw SkybridgeException.Usage($"Broker:Callers:{i} names no role ARN: the caller could assume nothing.", $"Set Broker__Callers__{i}__RoleArns__0=arn:aws:iam::<account>:role/<name>.");
            foreach (var arn in g.RoleArns)
                if (!RoleArnRegex().IsMatch(arn))
                    throw SkybridgeException.Usage($"Broker:Callers:{i}:RoleArns '{arn}' is not an IAM role ARN.", "Use the form arn:aws:iam::123456789012:role/skybridge-reader.");
            list.Add((hasOid ? SetupValidation.ObjectId($"Broker:Callers:{i}:ObjectId", g.ObjectId!) : null, hasRole ? g.AppRole!.Trim() : null, [.. g.RoleArns]));
        }
        return new CallerPolicy(list);
    }

    /// <summary>Every role ARN the caller may assume, in configuration order.</summary>
    public IReadOnlyList<string> RolesFor(Caller caller) =>
    [
        .. _grants.Where(g => string.Equals(g.ObjectId, caller.ObjectId, StringComparison.OrdinalIgnoreCase)
                              || (g.AppRole is not null && caller.AppRoles.Contains(g.AppRole, StringComparer.Ordinal)))
                  .SelectMany(g => g.Roles).Distinct(StringComparer.Ordinal),
    ];

    /// <summary>The role for this request: the requested one if allowed, else the caller's first.</summary>
    public RoleDecision Decide(Caller caller, string? requestedRoleArn)
    {
        var roles = RolesFor(caller);
        if (roles.Count == 0)
            return new RoleDecision(null, $"caller {caller.ObjectId} is not on the broker's allow-list",
                "Add the caller's object id (or an app role it holds) to Broker:Callers, with the role ARNs it may assume.");
        if (string.IsNullOrWhiteSpace(requestedRoleArn)) return new RoleDecision(roles[0], null, null);
        if (roles.Contains(requestedRoleArn, StringComparer.Ordinal)) return new RoleDecision(requestedRoleArn, null, null);
        return new RoleDecision(null, $"caller {caller.ObjectId} may not assume role {Escaped.Quote(requestedRoleArn)}",
            $"Request one of the caller's roles ({string.Join(", ", roles)}) or add this role to its Broker:Callers entry.");
    }

    [GeneratedRegex(@"^arn:aws(-[a-z]+)*:iam::(\d{12})?:role/[A-Za-z0-9+=,.@_/-]{1,512}$")]
    internal static partial Regex RoleArnRegex();
}

/// <summary>The claim names the broker reads (raw JWT names: inbound claim mapping is off).</summary>
public static class BrokerClaims
{
    public const string ObjectId = "oid";
    public const string Subject = "sub";
    public const string Roles = "roles";
    public const string TenantId = "tid";
}

/// <summary>Caller-supplied text shown in a reply or a log: shortened and escaped, never raw.</summary>
public static class Escaped
{
    public static string Quote(string? value)
    {
        if (value is null) return "(none)";
        var shown = value.Length > 120 ? value[..120] + "..." : value;
        return "'" + System.Text.Encodings.Web.JavaScriptEncoder.Default.Encode(shown) + "'";
    }
}
