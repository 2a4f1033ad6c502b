using Amazon.Runtime;
using Amazon.S3;
using Azure.Core;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Skybridge.Providers.AzureBlob;
using Skybridge.Identity;
using Skybridge.Providers.S3;

namespace Skybridge.Setup.Doctor;

/// <summary>
/// What the doctor was asked to check (inputs) and what the checks found so far (state passed from
/// one link to the next). Holds the STS session in memory for the S3 checks; nothing in here is
/// ever rendered except through a check's non-secret detail.
/// </summary>
public sealed class DoctorContext
{
    // ---- inputs
    public required FederationOptions Federation { get; init; }
    public required TokenCredential AzureCredential { get; init; }
    public required IWebIdentityExchange Exchange { get; init; }
    public S3Endpoint S3Endpoint { get; init; } = new();
    public S3Location? Source { get; init; }
    public BlobLocation? Destination { get; init; }

    /// <summary>Destination SAS / connection string, as copy takes them (default: keyless, the Azure identity).</summary>
    public string? DestinationSas { get; init; }
    public string? DestinationConnectionString { get; init; }

    /// <summary>How the destination is authorised, for the checklist.</summary>
    public string DestinationAuth => DestinationConnectionString is not null ? "connection string"
        : DestinationSas is not null || Destination?.Sas is not null ? "SAS" : "Azure identity (keyless)";

    /// <summary>The issuer URL registered in AWS (the IAM OIDC provider URL), when the user knows it.</summary>
    public string? ExpectedIssuer { get; init; }

    /// <summary>Write and delete a probe blob in the destination (off with --no-write-probe).</summary>
    public bool WriteProbe { get; init; } = true;

    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Fetches OIDC discovery documents (seam for tests).</summary>
    public HttpClient Http { get; init; } = DefaultHttp.Value;

    /// <summary>Builds the S3 client for the session (seam for tests); default: <see cref="S3Endpoint.CreateClient"/>.</summary>
    public Func<AWSCredentials, IAmazonS3>? S3ClientFactory { get; init; }

    /// <summary>Builds the destination container client (seam for tests); default: <see cref="AzureBlobDestination.Create"/>.</summary>
    public Func<BlobLocation, TokenCredential, BlobContainerClient>? ContainerFactory { get; init; }

    // ---- state left by earlier checks
    private FederatedAwsCredentials? _federated;

    /// <summary>The federation credential under test (its ExchangeAsync is used once, outside any cache).</summary>
    public FederatedAwsCredentials Federated => _federated ??= new FederatedAwsCredentials(Federation, AzureCredential, Exchange, Clock, Logger);

    /// <summary>Claims of the token for the federation audience (check 1).</summary>
    public TokenClaims? FederationClaims { get; set; }

    /// <summary>Why the token for the federation audience could not be had although the credential answered (check 1 -> 2).</summary>
    public SkybridgeException? FederationTokenError { get; set; }

    /// <summary>What the issuer/audience check found wrong (check 3), so the STS check can point at it.</summary>
    public string? IssuerProblem { get; set; }

    /// <summary>The STS session (check 4); its secrets stay here.</summary>
    public FederatedSession? Session { get; set; }

    /// <summary>First object listed under the source prefix (check 5), if any.</summary>
    public string? FirstObjectKey { get; set; }
    public long FirstObjectSize { get; set; }

    /// <summary>Claims of the storage token (check 6).</summary>
    public TokenClaims? StorageClaims { get; set; }

    public BlobContainerClient? Container { get; set; }

    /// <summary>Check 7a found no container (copy would create it): check 7b has nothing to write to.</summary>
    public bool ContainerMissing { get; set; }

    private IAmazonS3? _s3;

    /// <summary>The S3 client on the session credentials (created on first use, after check 4).</summary>
    public IAmazonS3 S3Client()
    {
        if (_s3 is not null) return _s3;
        var c = (Session ?? throw new InvalidOperationException("No STS session yet.")).Credentials;
        return _s3 = S3ClientFor(new SessionAWSCredentials(c.AccessKey, c.SecretKey, c.Token));
    }

    /// <summary>An S3 client on other credentials (the cached session of check 11).</summary>
    public IAmazonS3 S3ClientFor(AWSCredentials credentials) => S3ClientFactory?.Invoke(credentials) ?? S3Endpoint.CreateClient(credentials, maxConnections: 4);

    /// <summary>The on-disk cache of 'auth aws-credentials', whose session check 11 tests; null: none in use.</summary>
    public CredentialProcessCache? CredentialCache { get; init; }

    public BlobContainerClient ContainerClient(BlobLocation location)
        => Container ??= ContainerFactory?.Invoke(location, AzureCredential)
            ?? AzureBlobDestination.Create(location, DestinationSas is null && DestinationConnectionString is null && location.Sas is null ? AzureCredential : null,
                DestinationSas, DestinationConnectionString).Container;

    private static readonly Lazy<HttpClient> DefaultHttp = new(() => new HttpClient { Timeout = TimeSpan.FromSeconds(15) });
}
