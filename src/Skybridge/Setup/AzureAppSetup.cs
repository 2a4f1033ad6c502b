using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Skybridge.Setup;

/// <summary>What the user asked for with <c>skybridge setup azure</c> (raw, unvalidated).</summary>
public sealed record AzureAppSetupRequest
{
    /// <summary>Display name of the app registration (at most 120 printable characters); required.</summary>
    public string? AppName { get; init; }
    /// <summary>The api:// identifier URI: the audience identities request tokens for and the AWS role trusts; required.</summary>
    public string? IdentifierUri { get; init; }
    /// <summary>Object (principal) id of the managed identity that should get tokens.</summary>
    public string? AssignTo { get; init; }
    /// <summary>Storage account whose <see cref="Container"/> the identity is granted Storage Blob Data Contributor on; given with <see cref="Container"/> and <see cref="AssignTo"/>, or not at all.</summary>
    public string? StorageAccount { get; init; }
    /// <summary>The container the storage grant is scoped to (never the whole account).</summary>
    public string? Container { get; init; }
    /// <summary>Access-token version the app issues, 1 or 2; null means 1.</summary>
    public int? TokenVersion { get; init; }
    /// <summary>Value of the app role assigned to the identity; null: Skybridge.AssumeAwsRole.</summary>
    public string? AppRoleValue { get; init; }
}

/// <summary>The validated Entra ID side: app registration (audience), app role, assignment, storage grant.</summary>
internal sealed class AzureAppSetupPlan
{
    public const string StorageBlobDataContributorId = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    public const string StorageBlobDataContributor = "Storage Blob Data Contributor";
    public const string PrincipalPlaceholder = "<MANAGED_IDENTITY_OBJECT_ID>";
    public const string ServicePrincipalPlaceholder = "<SERVICE_PRINCIPAL_OBJECT_ID>";

    private AzureAppSetupPlan() { }

    public required string AppName { get; init; }
    public required string IdentifierUri { get; init; }
    public string? AssignTo { get; init; }
    public string? StorageAccount { get; init; }
    public string? Container { get; init; }
    public required int TokenVersion { get; init; }
    public required string AppRoleValue { get; init; }
    /// <summary>Deterministic (name-based) so re-running the script targets the same role.</summary>
    public required Guid AppRoleId { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }

    public static AzureAppSetupPlan Create(AzureAppSetupRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.AppName))
            throw SkybridgeException.Usage("--app-name is required: it is the display name of the app registration whose identifier URI becomes the token audience.",
                "Pass --app-name, e.g. skybridge-aws-federation.");
        var name = r.AppName.Trim();
        if (name.Length > 120 || name.Any(char.IsControl))
            throw SkybridgeException.Usage($"--app-name '{name}' is not valid: Entra ID display names are at most 120 printable characters.", "Choose a shorter name.");
        var version = SetupValidation.TokenVersion(r.TokenVersion);
        if (string.IsNullOrWhiteSpace(r.IdentifierUri))
            throw SkybridgeException.Usage("--identifier-uri is required: it is the audience (api://...) managed identities request tokens for and the AWS role trusts.",
                "Pass --identifier-uri api://aws_azure_federate (the same value as setup aws --audience).");
        var uri = r.IdentifierUri.Trim();
        if (!uri.StartsWith("api://", StringComparison.Ordinal) || uri.Length <= 6 || uri.Any(char.IsWhiteSpace) || uri.EndsWith("/.default", StringComparison.OrdinalIgnoreCase))
            throw SkybridgeException.Usage($"--identifier-uri '{uri}' is not an api:// URI: Entra ID identifier URIs for this purpose have the form api://<name> (no /.default scope suffix).",
                "Pass e.g. --identifier-uri api://aws_azure_federate.");
        var assign = string.IsNullOrWhiteSpace(r.AssignTo) ? null : SetupValidation.ObjectId("--assign-to", r.AssignTo);
        var hasAccount = !string.IsNullOrWhiteSpace(r.StorageAccount);
        var hasContainer = !string.IsNullOrWhiteSpace(r.Container);
        if (hasAccount != hasContainer)
            throw SkybridgeException.Usage("--storage-account and --container go together: the role is granted on one container's scope, never the whole account.",
                "Pass both --storage-account and --container, or neither.");
        if (hasAccount && assign is null)
            throw SkybridgeException.Usage("--storage-account/--container need --assign-to: the Storage Blob Data Contributor grant is for the managed identity.",
                "Pass --assign-to <managed identity object (principal) id>.");
        var roleValue = string.IsNullOrWhiteSpace(r.AppRoleValue) ? "Skybridge.AssumeAwsRole" : r.AppRoleValue.Trim();
        if (roleValue.Any(c => char.IsWhiteSpace(c) || c > 126) || roleValue.Length > 120)
            throw SkybridgeException.Usage($"--app-role-value '{roleValue}' is not valid: app role values may not contain spaces.", "Use e.g. Skybridge.AssumeAwsRole.");

        var warnings = new List<string>();
        if (assign is null)
            warnings.Add("No --assign-to: the app role is created and assignment is required, but no identity is assigned yet, so nobody can get a token until you assign one.");
        warnings.Add("Some tenants' app management policy only allows identifier URIs of the form api://<appId> or on a verified domain; if az ad app create refuses the URI, use api://<appId> and pass that as --audience to setup aws.");

        return new AzureAppSetupPlan
        {
            AppName = name,
            IdentifierUri = uri,
            AssignTo = assign,
            StorageAccount = hasAccount ? SetupValidation.StorageAccount(r.StorageAccount!.Trim()) : null,
            Container = hasContainer ? SetupValidation.Container(r.Container!.Trim()) : null,
            TokenVersion = version,
            AppRoleValue = roleValue,
            AppRoleId = NameBasedGuid($"{uri}|{roleValue}"),
            Warnings = warnings,
        };
    }

    /// <summary>Graph value of api.requestedAccessTokenVersion (manifest: accessTokenAcceptedVersion): null for v1, 2 for v2.</summary>
    public JsonNode? RequestedAccessTokenVersion => TokenVersion == 2 ? JsonValue.Create(2) : null;

    public JsonObject AppRole() => new()
    {
        ["allowedMemberTypes"] = new JsonArray("Application"),
        ["description"] = "Allows the identity to get tokens that AWS exchanges for the Skybridge role.",
        ["displayName"] = "Skybridge AWS federation",
        ["id"] = AppRoleId.ToString("D"),
        ["isEnabled"] = true,
        ["value"] = AppRoleValue,
    };

    /// <summary>POST /applications body (creation) — also valid as a PATCH body.</summary>
    public JsonObject ApplicationBody() => new()
    {
        ["displayName"] = AppName,
        ["identifierUris"] = new JsonArray(IdentifierUri),
        ["signInAudience"] = "AzureADMyOrg",
        ["api"] = new JsonObject { ["requestedAccessTokenVersion"] = RequestedAccessTokenVersion },
        ["appRoles"] = new JsonArray(AppRole()),
    };

    public static JsonObject ServicePrincipalPatch() => new() { ["appRoleAssignmentRequired"] = true };

    public JsonObject AppRoleAssignmentBody(string servicePrincipalId) => new()
    {
        ["principalId"] = AssignTo ?? PrincipalPlaceholder,
        ["resourceId"] = servicePrincipalId,
        ["appRoleId"] = AppRoleId.ToString("D"),
    };

    /// <summary>Deterministic GUID (SHA-256 of the text, RFC 4122 variant bits, version 8 = custom).</summary>
    internal static Guid NameBasedGuid(string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("skybridge-app-role|" + text));
        var b = hash[..16];
        b[6] = (byte)((b[6] & 0x0F) | 0x80);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        return new Guid(b, bigEndian: true);
    }
}

internal static class AzureSetupFormats
{
    public static readonly string[] All = ["cli", "graph-json"];

    public static string Render(AzureAppSetupPlan plan, string format) => format switch
    {
        "cli" => AzCliScriptRenderer.Render(plan),
        "graph-json" => GraphJsonRenderer.Render(plan),
        _ => throw SkybridgeException.Usage($"--format '{format}' is not valid for setup azure.", $"Use one of: {string.Join(", ", All)}."),
    };
}

/// <summary>An az CLI bash script (set -euo pipefail) for the Entra ID / Azure side.</summary>
internal static class AzCliScriptRenderer
{
    public static string Render(AzureAppSetupPlan p)
    {
        var q = ShellQuote.Quote;
        var sb = new StringBuilder();
        sb.AppendLine("#!/usr/bin/env bash");
        sb.AppendLine("# Generated by skybridge setup azure --format cli: the Entra ID app registration whose");
        sb.AppendLine("# identifier URI is the audience AWS trusts, an app role only assigned identities hold,");
        sb.AppendLine("# the managed identity's assignment, and its data-plane grant on the destination container.");
        foreach (var w in p.Warnings) sb.AppendLine("# WARNING: " + TerraformRenderer.OneLine(w));
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine();
        sb.AppendLine($"APP_NAME={q(p.AppName)}");
        sb.AppendLine($"IDENTIFIER_URI={q(p.IdentifierUri)}");
        sb.AppendLine($"APP_ROLE_ID={q(p.AppRoleId.ToString("D"))}");
        if (p.AssignTo is not null) sb.AppendLine($"ASSIGN_TO={q(p.AssignTo)}");
        if (p.StorageAccount is not null)
        {
            sb.AppendLine($"STORAGE_ACCOUNT={q(p.StorageAccount)}");
            sb.AppendLine($"CONTAINER={q(p.Container!)}");
        }
        sb.AppendLine("GRAPH=https://graph.microsoft.com/v1.0");
        sb.AppendLine("TENANT_ID=\"$(az account show --query tenantId -o tsv)\"");
        sb.AppendLine("BODY_FILE=\"$(mktemp)\"");
        sb.AppendLine("trap 'rm -f \"$BODY_FILE\"' EXIT");
        sb.AppendLine();
        sb.AppendLine("# 1. App registration with the identifier URI (the token audience). Re-runs reuse it.");
        sb.AppendLine("APP_ID=\"$(az ad app list --identifier-uri \"$IDENTIFIER_URI\" --query '[0].appId' -o tsv)\"");
        sb.AppendLine("if [ -z \"$APP_ID\" ]; then");
        sb.AppendLine("  APP_ID=\"$(az ad app create --display-name \"$APP_NAME\" --identifier-uris \"$IDENTIFIER_URI\" --sign-in-audience AzureADMyOrg --query appId -o tsv)\"");
        sb.AppendLine("fi");
        sb.AppendLine("APP_OBJECT_ID=\"$(az ad app show --id \"$APP_ID\" --query id -o tsv)\"");
        sb.AppendLine();
        sb.AppendLine("# 2. Token version and app role.");
        if (p.TokenVersion == 1)
        {
            sb.AppendLine("#    api.requestedAccessTokenVersion (manifest: accessTokenAcceptedVersion) = null means v1 tokens:");
            sb.AppendLine("#    iss = https://sts.windows.net/<tenant-id>/ (trailing slash) and aud = the identifier URI,");
            sb.AppendLine("#    exactly what 'skybridge setup aws --token-version 1 --audience <identifier URI>' expects.");
        }
        else
        {
            sb.AppendLine("#    api.requestedAccessTokenVersion (manifest: accessTokenAcceptedVersion) = 2 means v2 tokens:");
            sb.AppendLine("#    iss = https://login.microsoftonline.com/<tenant-id>/v2.0 and aud = the app's client id (APP_ID),");
            sb.AppendLine("#    so run 'skybridge setup aws --token-version 2 --audience <APP_ID>'.");
        }
        sb.AppendLine("#    The app role (allowedMemberTypes Application) is what managed identities get assigned.");
        sb.AppendLine("#    NB: PATCHing appRoles replaces the whole collection; merge by hand if the app already has other roles.");
        sb.AppendLine("cat > \"$BODY_FILE\" <<'SKYBRIDGE_JSON_EOF'");
        var patch = p.ApplicationBody();
        patch.Remove("displayName");
        patch.Remove("identifierUris");
        patch.Remove("signInAudience");
        sb.AppendLine(patch.ToJsonString(PolicyDocument.Indented));
        sb.AppendLine("SKYBRIDGE_JSON_EOF");
        sb.AppendLine("az rest --method PATCH --uri \"$GRAPH/applications/$APP_OBJECT_ID\" --headers 'Content-Type=application/json' --body @\"$BODY_FILE\"");
        sb.AppendLine();
        sb.AppendLine("# 3. Service principal with appRoleAssignmentRequired=true: only identities assigned the app role");
        sb.AppendLine("#    can get a token for the audience at all (AADSTS501051 for everyone else).");
        sb.AppendLine("SP_ID=\"$(az ad sp list --filter \"appId eq '$APP_ID'\" --query '[0].id' -o tsv)\"");
        sb.AppendLine("if [ -z \"$SP_ID\" ]; then");
        sb.AppendLine("  SP_ID=\"$(az ad sp create --id \"$APP_ID\" --query id -o tsv)\"");
        sb.AppendLine("fi");
        sb.AppendLine($"az rest --method PATCH --uri \"$GRAPH/servicePrincipals/$SP_ID\" --headers 'Content-Type=application/json' --body {q(AzureAppSetupPlan.ServicePrincipalPatch().ToJsonString())}");
        sb.AppendLine();
        if (p.AssignTo is not null)
        {
            sb.AppendLine("# 4. Assign the app role to the managed identity (skipped if it already holds it).");
            sb.AppendLine("ASSIGNED=\"$(az rest --method GET --uri \"$GRAPH/servicePrincipals/$SP_ID/appRoleAssignedTo\" --query \"length(value[?principalId=='$ASSIGN_TO' && appRoleId=='$APP_ROLE_ID'])\" -o tsv)\"");
            sb.AppendLine("if [ \"$ASSIGNED\" = \"0\" ]; then");
            sb.AppendLine("  az rest --method POST --uri \"$GRAPH/servicePrincipals/$SP_ID/appRoleAssignedTo\" --headers 'Content-Type=application/json' \\");
            sb.AppendLine("    --body \"{\\\"principalId\\\":\\\"$ASSIGN_TO\\\",\\\"resourceId\\\":\\\"$SP_ID\\\",\\\"appRoleId\\\":\\\"$APP_ROLE_ID\\\"}\" >/dev/null");
            sb.AppendLine("fi");
            sb.AppendLine();
        }
        else
        {
            sb.AppendLine("# 4. No --assign-to given: assign the role later to the managed identity's object id, e.g.");
            sb.AppendLine("#    az rest --method POST --uri \"$GRAPH/servicePrincipals/$SP_ID/appRoleAssignedTo\" --body '{\"principalId\":\"<object id>\",\"resourceId\":\"<SP_ID>\",\"appRoleId\":\"<APP_ROLE_ID>\"}'");
            sb.AppendLine();
        }
        if (p.StorageAccount is not null)
        {
            sb.AppendLine("# 5. Data-plane access on the destination container only (not the account).");
            sb.AppendLine("SCOPE=\"$(az storage account show --name \"$STORAGE_ACCOUNT\" --query id -o tsv)/blobServices/default/containers/$CONTAINER\"");
            sb.AppendLine($"az role assignment create --assignee-object-id \"$ASSIGN_TO\" --assignee-principal-type ServicePrincipal --role {q(AzureAppSetupPlan.StorageBlobDataContributor)} --scope \"$SCOPE\" >/dev/null");
            sb.AppendLine();
        }
        var audience = p.TokenVersion == 1 ? "$IDENTIFIER_URI" : "$APP_ID";
        sb.AppendLine("echo \"app registration: $APP_ID (service principal $SP_ID), tenant $TENANT_ID\"");
        var subject = p.AssignTo is null ? "--allow-any-subject" : "--subject $ASSIGN_TO";
        sb.AppendLine($"echo \"next: skybridge setup aws --tenant-id $TENANT_ID --audience {audience} --token-version {p.TokenVersion} {subject} --role-name <role> --bucket <bucket> --format cloudformation\"");
        return sb.ToString();
    }
}

/// <summary>The Microsoft Graph request bodies, for automation that talks to Graph directly.</summary>
internal static class GraphJsonRenderer
{
    public static string Render(AzureAppSetupPlan p)
    {
        var doc = new JsonObject
        {
            ["application"] = new JsonObject
            {
                ["method"] = "POST",
                ["url"] = "https://graph.microsoft.com/v1.0/applications",
                ["body"] = p.ApplicationBody(),
            },
            ["servicePrincipal"] = new JsonObject
            {
                ["method"] = "POST",
                ["url"] = "https://graph.microsoft.com/v1.0/servicePrincipals",
                ["body"] = new JsonObject { ["appId"] = "<APP_ID from the application response>" },
            },
            ["servicePrincipalPatch"] = new JsonObject
            {
                ["method"] = "PATCH",
                ["url"] = $"https://graph.microsoft.com/v1.0/servicePrincipals/{AzureAppSetupPlan.ServicePrincipalPlaceholder}",
                ["body"] = AzureAppSetupPlan.ServicePrincipalPatch(),
            },
            ["appRoleAssignment"] = new JsonObject
            {
                ["method"] = "POST",
                ["url"] = $"https://graph.microsoft.com/v1.0/servicePrincipals/{AzureAppSetupPlan.ServicePrincipalPlaceholder}/appRoleAssignedTo",
                ["body"] = p.AppRoleAssignmentBody(AzureAppSetupPlan.ServicePrincipalPlaceholder),
            },
        };
        if (p.StorageAccount is not null)
            doc["storageRoleAssignment"] = new JsonObject
            {
                ["note"] = "Azure RBAC (ARM, not Graph): PUT https://management.azure.com{scope}/providers/Microsoft.Authorization/roleAssignments/{new guid}?api-version=2022-04-01",
                ["scope"] = $"/subscriptions/<SUBSCRIPTION_ID>/resourceGroups/<RESOURCE_GROUP>/providers/Microsoft.Storage/storageAccounts/{p.StorageAccount}/blobServices/default/containers/{p.Container}",
                ["body"] = new JsonObject
                {
                    ["properties"] = new JsonObject
                    {
                        ["roleDefinitionId"] = $"/subscriptions/<SUBSCRIPTION_ID>/providers/Microsoft.Authorization/roleDefinitions/{AzureAppSetupPlan.StorageBlobDataContributorId}",
                        ["principalId"] = p.AssignTo,
                        ["principalType"] = "ServicePrincipal",
                    },
                },
            };
        doc["warnings"] = CloudFormationRenderer.ToArray(p.Warnings);
        return doc.ToJsonString(PolicyDocument.Indented) + "\n";
    }
}
