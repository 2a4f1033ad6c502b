using System.Net;
using Amazon.S3.Model;
using Azure;
using Skybridge.Setup.Doctor;
using Skybridge.Setup.Doctor.Checks;
using Skybridge.Tests.TestSupport;

namespace Skybridge.Tests.Doctor;

public class DoctorStorageCheckTests
{
    private const string Src = "s3://bucket/exports/2024";
    private const string Dst = "https://acct.blob.core.windows.net/dest/landing";

    private static ListObjectsV2Response Listing(params (string Key, long Size)[] objects)
        => new() { S3Objects = objects.Select(o => new S3Object { Key = o.Key, Size = o.Size }).ToList(), IsTruncated = false };

    [Fact]
    public async Task A_healthy_source_and_destination_pass_every_check_and_the_probe_blob_is_deleted()
    {
        var (s3, fake) = FakeS3.Create();
        fake.List = r => { Assert.Equal(("bucket", "exports/2024/", 5), (r.BucketName, r.Prefix, r.MaxKeys ?? 0)); return Listing(("exports/2024/a.csv", 10)); };
        fake.Get = r => { Assert.Equal(("exports/2024/a.csv", 0L, 0L), (r.Key, r.ByteRange.Start, r.ByteRange.End)); return new GetObjectResponse { ResponseStream = new MemoryStream([1]) }; };
        var container = new FakeContainer();
        var report = await DoctorSetup.Run(DoctorSetup.Context(src: Src, dst: Dst, s3: s3, container: container));
        Assert.True(report.Passed, DoctorRenderer.Text(report));
        Assert.All(report.Checks, c => Assert.Equal(DoctorStatus.Passed, c.Status));
        Assert.Contains("first 'exports/2024/a.csv'", report["s3-list"]!.Detail);
        var probe = Assert.Single(container.Uploaded);
        Assert.StartsWith("landing/" + ContainerWriteCheck.ProbePrefix, probe);
        Assert.Equal([probe], container.Deleted);
    }

    [Fact]
    public async Task List_access_denied_names_s3_ListBucket_on_the_bucket_arn_and_setup_aws()
    {
        var (s3, fake) = FakeS3.Create();
        fake.List = _ => throw FakeS3.Error("AccessDenied", HttpStatusCode.Forbidden);
        var report = await DoctorSetup.Run(DoctorSetup.Context(src: Src, s3: s3));
        var list = report["s3-list"]!;
        Assert.Equal(DoctorStatus.Failed, list.Status);
        Assert.Contains($"may not s3:ListBucket on arn:aws:s3:::bucket.", list.Detail);
        Assert.Contains(DoctorSetup.RoleArn, list.Detail);
        Assert.Contains("Allow s3:ListBucket on arn:aws:s3:::bucket", list.Fix);
        Assert.Contains("'exports/2024/*'", list.Fix);
        Assert.Contains("skybridge setup aws --bucket bucket --prefix exports/2024", list.Fix);
        Assert.Equal(DoctorStatus.Skipped, report["s3-read"]!.Status);
    }

    [Fact]
    public async Task Read_access_denied_names_s3_GetObject_on_the_object_arn()
    {
        var (s3, fake) = FakeS3.Create();
        fake.List = _ => Listing(("exports/2024/a.csv", 10));
        fake.Get = _ => throw FakeS3.Error("AccessDenied", HttpStatusCode.Forbidden);
        var report = await DoctorSetup.Run(DoctorSetup.Context(src: Src, s3: s3));
        var read = report["s3-read"]!;
        Assert.Equal(DoctorStatus.Failed, read.Status);
        Assert.Contains("Allow s3:GetObject on arn:aws:s3:::bucket/exports/2024/*", read.Fix);
    }

    [Fact]
    public async Task Kms_denial_asks_for_kms_decrypt()
    {
        var (s3, fake) = FakeS3.Create();
        fake.List = _ => Listing(("exports/2024/a.csv", 10));
        fake.Get = _ => throw FakeS3.Error("AccessDenied", HttpStatusCode.Forbidden, "User is not authorized to perform kms:Decrypt (KMS)");
        var report = await DoctorSetup.Run(DoctorSetup.Context(src: Src, s3: s3));
        Assert.Contains("kms:Decrypt", report["s3-read"]!.Fix);
    }

    [Fact]
    public async Task A_missing_bucket_is_not_reported_as_a_permission_problem()
    {
        var (s3, fake) = FakeS3.Create();
        fake.List = _ => throw FakeS3.Error("NoSuchBucket", HttpStatusCode.NotFound, "The specified bucket does not exist");
        var report = await DoctorSetup.Run(DoctorSetup.Context(src: Src, s3: s3));
        Assert.Contains("does not exist", report["s3-list"]!.Detail);
        Assert.DoesNotContain("Allow", report["s3-list"]!.Fix);
    }

    [Fact]
    public async Task An_empty_prefix_passes_the_list_and_skips_the_read_and_presigns_a_placeholder()
    {
        var (s3, _) = FakeS3.Create();
        var report = await DoctorSetup.Run(DoctorSetup.Context(src: Src, s3: s3));
        Assert.Equal(DoctorStatus.Passed, report["s3-list"]!.Status);
        Assert.Equal(DoctorStatus.Skipped, report["s3-read"]!.Status);
        Assert.Contains("placeholder key 'exports/2024/example-object'", report["presign"]!.Detail);
    }

    [Fact]
    public async Task Container_403_asks_for_Storage_Blob_Data_Contributor_via_setup_azure()
    {
        var container = new FakeContainer(properties: new RequestFailedException(403, "This request is not authorized", "AuthorizationPermissionMismatch", null));
        var report = await DoctorSetup.Run(DoctorSetup.Context(dst: Dst, container: container));
        var c = report["container"]!;
        Assert.Equal(DoctorStatus.Failed, c.Status);
        Assert.Contains("403 AuthorizationPermissionMismatch", c.Detail);
        Assert.Contains("Storage Blob Data", c.Fix);
        Assert.Contains("skybridge setup azure", c.Fix);
        Assert.Contains("containers/dest", c.Fix);
        Assert.Equal(DoctorStatus.Skipped, report["container-write"]!.Status);
    }

    [Fact]
    public async Task Write_403_asks_for_the_contributor_role()
    {
        var container = new FakeContainer(upload: new RequestFailedException(403, "denied", "AuthorizationPermissionMismatch", null));
        var report = await DoctorSetup.Run(DoctorSetup.Context(dst: Dst, container: container));
        Assert.Equal(DoctorStatus.Passed, report["container"]!.Status);
        Assert.Contains("'Storage Blob Data Contributor'", report["container-write"]!.Fix);
    }

    private static RequestFailedException NoContainer() => new(404, "The specified container does not exist.", "ContainerNotFound", null);

    [Fact]
    public async Task A_missing_container_says_create_it_or_fix_the_url()
    {
        // The identity may not create it (the conditional Delete Container probe is refused).
        var container = new FakeContainer(properties: NoContainer(), deleteContainer: new RequestFailedException(403, "no", "AuthorizationPermissionMismatch", null));
        var report = await DoctorSetup.Run(DoctorSetup.Context(dst: Dst, container: container));
        Assert.Contains("does not exist in account 'acct'", report["container"]!.Detail);
        Assert.Contains("az storage container create", report["container"]!.Fix);
        Assert.Contains("fix the container in DST", report["container"]!.Fix);
        Assert.Equal(DoctorStatus.Failed, report["container"]!.Status);
        Assert.Contains("no container rights on the account (a conditional Delete Container was refused: 403 AuthorizationPermissionMismatch)", report["container"]!.Detail);
        Assert.Equal(DoctorStatus.Skipped, report["container-write"]!.Status);
        Assert.Equal(ContainerCreation.NeverModifiedBefore, Assert.Single(container.ContainerDeletes)!.IfUnmodifiedSince);
    }

    [Fact]
    public async Task A_missing_container_the_identity_may_create_is_a_warning_and_nothing_is_written()
    {
        var container = new FakeContainer(properties: NoContainer(), deleteContainer: NoContainer());
        var report = await DoctorSetup.Run(DoctorSetup.Context(dst: Dst, container: container));
        Assert.True(report.Passed, DoctorRenderer.Text(report));
        Assert.Equal(DoctorStatus.Warning, report["container"]!.Status);
        Assert.Contains("copy will create it", report["container"]!.Detail);
        Assert.Equal(DoctorStatus.Skipped, report["container-write"]!.Status);
        Assert.Empty(container.Uploaded);
    }

    [Fact]
    public async Task A_container_created_between_the_two_requests_is_kept_and_passes()
    {
        var container = new FakeContainer(properties: NoContainer(), deleteContainer: new RequestFailedException(412, "changed", "ConditionNotMet", null));
        var report = await DoctorSetup.Run(DoctorSetup.Context(dst: Dst, container: container));
        Assert.Equal(DoctorStatus.Passed, report["container"]!.Status);
        Assert.Contains("exists now", report["container"]!.Detail);
    }

    [Theory]
    [InlineData("sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2030-01-01&sig=x", true)]
    [InlineData("sv=2021-08-06&ss=b&srt=sco&sp=rl&se=2030-01-01&sig=x", false)]
    [InlineData("sv=2021-08-06&ss=b&srt=o&sp=rwc&se=2030-01-01&sig=x", false)]
    [InlineData("?sv=2021-08-06&sr=c&sp=racwdl&se=2030-01-01&sig=x", false)]
    public void A_sas_says_itself_whether_it_may_create_a_container(string sas, bool mayCreate)
    {
        var (may, evidence) = ContainerCreation.FromSas(sas);
        Assert.Equal(mayCreate, may);
        Assert.DoesNotContain("sig", evidence);
    }

    [Theory]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5;EndpointSuffix=core.windows.net", true)]
    [InlineData("BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2021-08-06&sr=c&sp=rwl&sig=x", false)]
    public void A_connection_string_may_create_with_its_shared_key_not_with_a_service_sas(string connectionString, bool mayCreate)
        => Assert.Equal(mayCreate, ContainerCreation.FromConnectionString(connectionString).MayCreate);

    [Fact]
    public async Task No_write_probe_skips_the_write_and_writes_nothing()
    {
        var container = new FakeContainer();
        var report = await DoctorSetup.Run(DoctorSetup.Context(dst: Dst, container: container, writeProbe: false));
        Assert.Equal(DoctorStatus.Skipped, report["container-write"]!.Status);
        Assert.Contains("--no-write-probe", report["container-write"]!.Detail);
        Assert.Empty(container.Uploaded);
        Assert.True(report.Passed);
    }

    [Theory]
    [InlineData(512, DoctorStatus.Passed)]
    [InlineData(1800, DoctorStatus.Warning)]
    public async Task The_presigned_url_length_is_measured_against_2048_and_the_url_is_never_shown(int tokenLength, DoctorStatus expected)
    {
        var token = new string('T', tokenLength);
        var exchange = new TokenLengthExchange(token);
        var (s3, fake) = FakeS3.Create();
        fake.List = _ => Listing(("exports/2024/a.csv", 10));
        var report = await DoctorSetup.Run(DoctorSetup.Context(exchange: exchange, src: Src, s3: s3));
        var result = report["presign"]!;
        Assert.Equal(expected, result.Status);
        var url = await fake.Real!.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = "bucket", Key = "exports/2024/a.csv", Verb = Amazon.S3.HttpVerb.GET, Expires = DateTime.UtcNow.AddHours(1), Protocol = Amazon.S3.Protocol.HTTP });
        Assert.Contains($"is {url.Length} chars", result.Detail);
        Assert.Contains($"({tokenLength} chars raw)", result.Detail);
        Assert.DoesNotContain("X-Amz", result.Detail);
        Assert.DoesNotContain(token, result.Detail);
    }

    private sealed class TokenLengthExchange(string token) : Skybridge.Identity.IWebIdentityExchange
    {
        public Task<Skybridge.Identity.FederatedSession> ExchangeAsync(string webIdentityToken, string roleArn, string sessionName, TimeSpan duration, CancellationToken cancellationToken)
            => Task.FromResult(new Skybridge.Identity.FederatedSession(new Amazon.Runtime.ImmutableCredentials("ASIAFAKE0001", "secret-key-abcdefgh", token),
                DateTimeOffset.UtcNow.AddHours(1), roleArn, "mi"));
    }
}
