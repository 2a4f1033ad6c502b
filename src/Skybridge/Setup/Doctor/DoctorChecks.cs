using Skybridge.Setup.Doctor.Checks;

namespace Skybridge.Setup.Doctor;

/// <summary>The checklist in chain order: Azure credential -> Entra token -> issuer -> STS -> S3 -> storage token -> container -> service-side copy, then the AWS CLI's cached session.</summary>
internal static class DoctorChecks
{
    public static IReadOnlyList<IDoctorCheck> All() =>
    [
        new AzureCredentialCheck(),
        new EntraTokenCheck(),
        new IssuerCheck(),
        new StsExchangeCheck(),
        new S3ListCheck(),
        new S3ReadCheck(),
        new StorageTokenCheck(),
        new ContainerCheck(),
        new ContainerWriteCheck(),
        new PresignLengthCheck(),
        new CachedSessionCheck(),
    ];
}
