using Azure.Core;
using Skybridge.Identity;
using Skybridge.Providers.S3;

namespace Skybridge.Cli;

/// <summary>Builds the identity chain (Azure credential -> Entra -> STS) and the S3 endpoint from resolved settings.</summary>
internal static class IdentityBinding
{
    public static AzureCredentialOptions AzureOptions(this CliContext ctx) => new()
    {
        Kind = AzureCredentialOptions.ParseKind(ctx.Settings.Get("azure-credential")),
        ClientId = ctx.Settings.Get("client-id"),
        TenantId = ctx.Settings.Get("tenant-id"),
    };

    public static TokenCredential AzureCredential(this CliContext ctx)
        => ctx.AzureCredentialInstance ??= AzureCredentialFactory.Create(ctx.AzureOptions());

    public static FederationOptions FederationOptions(this CliContext ctx, string? audienceOverride = null)
    {
        var s = ctx.Settings;
        var duration = s.GetInt("duration") ?? 3600;
        var maxAge = s.GetInt("max-credential-age");
        return new FederationOptions
        {
            Audience = audienceOverride ?? s.Require("audience", "it names the app registration the AWS role trusts (e.g. api://aws_azure_federate)"),
            RoleArn = s.Require("role-arn", "it names the AWS role to assume with the Entra token"),
            RoleSessionName = s.Get("role-session-name"),
            Duration = TimeSpan.FromSeconds(duration),
            Region = s.Get("region") ?? "us-east-1",
            // S3-compatible servers (Ceph RGW, MinIO) serve STS on the S3 endpoint.
            StsEndpoint = s.GetUri("sts-endpoint") ?? s.GetUri("s3-endpoint"),
            Azure = ctx.AzureOptions(),
            ExpectedIssuer = s.Get("expected-issuer"),
            MaxCredentialAge = maxAge is { } m ? TimeSpan.FromSeconds(m) : null,
        }.Validate();
    }

    /// <summary>Self-refreshing AWS credentials for this invocation (one STS round trip per refresh).</summary>
    public static FederatedAwsCredentials AwsCredentials(this CliContext ctx)
        => ctx.AwsCredentialsInstance ??= SkybridgeFederation.CreateAwsCredentials(ctx.FederationOptions(), ctx.AzureCredential(), ctx.Loggers);

    public static S3Endpoint S3Endpoint(this CliContext ctx) => new()
    {
        Region = ctx.Settings.Get("region") ?? "us-east-1",
        ServiceUrl = ctx.Settings.GetUri("s3-endpoint"),
    };
}
