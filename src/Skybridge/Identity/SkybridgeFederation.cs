using Amazon.Runtime;
using Azure.Core;
using Microsoft.Extensions.Logging;

namespace Skybridge.Identity;

/// <summary>
/// The one-call entry point for .NET applications running in Azure:
/// <code>
/// var credentials = SkybridgeFederation.CreateAwsCredentials(new FederationOptions
/// {
///     Audience = "api://aws_azure_federate",
///     RoleArn = "arn:aws:iam::123456789012:role/reader",
/// });
/// var s3 = new AmazonS3Client(credentials, RegionEndpoint.EUWest1);
/// </code>
/// The credentials refresh themselves for as long as the process runs; no AWS key is stored.
/// </summary>
public static class SkybridgeFederation
{
    /// <param name="options">Audience, role and STS settings.</param>
    /// <param name="azureCredential">The Azure identity; default: built from <see cref="FederationOptions.Azure"/>.</param>
    /// <param name="loggerFactory">Optional logging (never logs secrets).</param>
    /// <param name="clock">Optional clock (tests).</param>
    public static FederatedAwsCredentials CreateAwsCredentials(FederationOptions options, TokenCredential? azureCredential = null,
        ILoggerFactory? loggerFactory = null, TimeProvider? clock = null)
    {
        options.Validate();
        return new FederatedAwsCredentials(
            options,
            azureCredential ?? AzureCredentialFactory.Create(options.Azure),
            StsWebIdentityExchange.Create(options.Region, options.StsEndpoint),
            clock,
            loggerFactory?.CreateLogger<FederatedAwsCredentials>());
    }
}
