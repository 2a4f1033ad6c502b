using Amazon.Extensions.NETCore.Setup;
using Amazon.Runtime;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Skybridge.Identity;

/// <summary>Microsoft.Extensions.DependencyInjection registration for AWSSDK.Extensions.NETCore.Setup users.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FederatedAwsCredentials"/> as the <see cref="AWSCredentials"/> singleton and as the
    /// credentials of the default <see cref="AWSOptions"/>, so every client added with
    /// <c>services.AddAWSService&lt;IAmazonS3&gt;()</c> signs with keyless, self-refreshing credentials.
    /// A <see cref="TokenCredential"/> already in the container is used as the Azure identity.
    /// </summary>
    public static IServiceCollection AddSkybridgeAwsCredentials(this IServiceCollection services, FederationOptions options)
    {
        options.Validate();
        services.AddSingleton(sp => SkybridgeFederation.CreateAwsCredentials(
            options, sp.GetService<TokenCredential>(), sp.GetService<ILoggerFactory>()));
        services.AddSingleton<AWSCredentials>(sp => sp.GetRequiredService<FederatedAwsCredentials>());
        services.AddDefaultAWSOptions(sp => new AWSOptions
        {
            Credentials = sp.GetRequiredService<AWSCredentials>(),
            Region = Amazon.RegionEndpoint.GetBySystemName(options.Region),
        });
        return services;
    }
}
