using System.Net;
using Amazon.Runtime;
using Azure.Identity;
using Skybridge.Identity;
using Skybridge.Setup.Doctor;
using Skybridge.Setup.Doctor.Checks;
using Skybridge.Tests.TestSupport;

namespace Skybridge.Tests.Doctor;

public class DoctorIdentityCheckTests
{
    private const string V1 = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/";
    private const string V2 = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";

    private static FakeTokenCredential Token(string iss = V1, string aud = DoctorSetup.Audience, string ver = "1.0")
        => DoctorSetup.Credential(() => FakeJwt.Create(iss: iss, aud: aud, ver: ver, sub: "mi"));

    [Fact]
    public async Task A_healthy_chain_without_source_or_destination_passes_and_skips_only_the_location_checks()
    {
        var exchange = new FakeExchange();
        var report = await DoctorSetup.Run(DoctorSetup.Context(exchange: exchange));
        Assert.True(report.Passed, DoctorRenderer.Text(report));
        Assert.Equal(["s3-list", "s3-read", "container", "container-write", "presign"],
            report.Checks.Where(c => c.Status == DoctorStatus.Skipped).Select(c => c.Name));
        Assert.Equal(1, exchange.Calls);
        Assert.Contains("iss=" + "https://sts.windows.net/tid/", report["entra-token"]!.Detail);
        Assert.Contains("aud=https://storage.azure.com", report["storage-token"]!.Detail);
        Assert.Contains("no source given", report["s3-list"]!.Detail);
    }

    [Fact]
    public async Task No_managed_identity_fails_the_first_link_and_skips_everything_that_needs_a_token()
    {
        var report = await DoctorSetup.Run(DoctorSetup.Context(new ThrowingCredential(new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable. No response received from the managed identity endpoint."))));
        var first = report["azure-credential"]!;
        Assert.Equal(DoctorStatus.Failed, first.Status);
        Assert.Contains("--azure-credential managed-identity", first.Detail);
        Assert.Contains("no managed identity is available", first.Detail);
        Assert.Contains("system-assigned identity", first.Fix);
        Assert.All(report.Checks.Skip(1), c => Assert.Equal(DoctorStatus.Skipped, c.Status));
        Assert.Equal(ExitCodes.SomeFailed, report.ExitCode);
    }

    [Fact]
    public async Task An_entra_refusal_means_the_credential_works_but_the_token_check_fails_with_the_setup_azure_fix()
    {
        var report = await DoctorSetup.Run(DoctorSetup.Context(new ThrowingCredential(new AuthenticationFailedException(
            "AADSTS500011: The resource principal named api://aws_azure_federate was not found in the tenant."))));
        Assert.Equal(DoctorStatus.Passed, report["azure-credential"]!.Status);
        Assert.Contains("refused", report["azure-credential"]!.Detail);
        Assert.Equal(DoctorStatus.Failed, report["entra-token"]!.Status);
        Assert.Contains("skybridge setup azure", report["entra-token"]!.Fix);
        Assert.Equal(DoctorStatus.Skipped, report["sts"]!.Status);
    }

    [Fact]
    public async Task Clock_skew_over_five_minutes_warns_without_failing()
    {
        var future = DateTimeOffset.UtcNow.AddMinutes(12).ToUnixTimeSeconds();
        var jwt = FakeJwt.Create(new Dictionary<string, object>
        {
            ["iss"] = V1, ["aud"] = DoctorSetup.Audience, ["sub"] = "mi", ["ver"] = "1.0", ["iat"] = future, ["nbf"] = future, ["exp"] = future + 3600,
        });
        var report = await DoctorSetup.Run(DoctorSetup.Context(DoctorSetup.Credential(() => jwt)));
        var token = report["entra-token"]!;
        Assert.Equal(DoctorStatus.Warning, token.Status);
        Assert.Contains("behind", token.Detail);
        Assert.Contains("NTP", token.Fix);
        Assert.True(report.Passed);
    }

    [Fact]
    public void Clock_skew_within_tolerance_is_only_described()
    {
        var now = DateTimeOffset.UtcNow;
        var (description, warning) = EntraTokenCheck.ClockSkew(new TokenClaims { IssuedAt = now.AddSeconds(-30), ExpiresOn = now.AddHours(1) }, now);
        Assert.Equal("issued 30 s ago", description);
        Assert.Null(warning);
        Assert.NotNull(EntraTokenCheck.ClockSkew(new TokenClaims { IssuedAt = now.AddHours(-2), ExpiresOn = now.AddHours(-1) }, now).Warning);
    }

    [Theory]
    [InlineData(V1, "1.0", "Entra v1 issuer")]
    [InlineData(V2, "2.0", "Entra v2 issuer")]
    public async Task Entra_issuers_in_the_right_form_pass_and_say_which_form(string iss, string ver, string expected)
    {
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(iss, ver: ver)));
        Assert.Equal(DoctorStatus.Passed, report["issuer"]!.Status);
        Assert.Contains(expected, report["issuer"]!.Detail);
    }

    [Fact]
    public async Task A_v1_issuer_without_its_trailing_slash_fails()
    {
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(V1.TrimEnd('/'))));
        Assert.Equal(DoctorStatus.Failed, report["issuer"]!.Status);
        Assert.Contains("no trailing slash", report["issuer"]!.Detail);
    }

    [Fact]
    public async Task Expected_issuer_without_the_trailing_slash_is_explained()
    {
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(V1), expectedIssuer: V1.TrimEnd('/')));
        var issuer = report["issuer"]!;
        Assert.Equal(DoctorStatus.Failed, issuer.Status);
        Assert.Contains("Only the trailing slash differs", issuer.Detail);
        Assert.Contains("this is a v1 token", issuer.Detail); // FederationDiagnosis.DescribeIssuerMismatch
        Assert.Contains($"exactly '{V1}'", issuer.Fix);
        Assert.Contains("skybridge setup aws", issuer.Fix);
        // STS still runs: it has the last word
        Assert.Equal(DoctorStatus.Passed, report["sts"]!.Status);
    }

    [Fact]
    public async Task A_v2_token_against_a_v1_registration_is_explained_both_ways()
    {
        var v2Token = await DoctorSetup.Run(DoctorSetup.Context(Token(V2, ver: "2.0"), expectedIssuer: V1));
        Assert.Contains("v2 token", v2Token["issuer"]!.Detail);
        Assert.Contains("accessTokenAcceptedVersion = 2", v2Token["issuer"]!.Detail);
        Assert.Contains("--token-version 2", v2Token["issuer"]!.Fix);

        var v1Token = await DoctorSetup.Run(DoctorSetup.Context(Token(V1), expectedIssuer: V2));
        Assert.Contains("registered issuer '" + V2 + "' is the v2 form", v1Token["issuer"]!.Detail);
    }

    [Fact]
    public async Task The_expected_issuer_setting_of_the_federation_options_is_used_too()
    {
        var context = DoctorSetup.Context(Token(V1));
        var withOption = new DoctorContext
        {
            Federation = context.Federation with { ExpectedIssuer = V2 }, AzureCredential = context.AzureCredential, Exchange = context.Exchange, Http = context.Http,
        };
        var report = await DoctorSetup.Run(withOption);
        Assert.Equal(DoctorStatus.Failed, report["issuer"]!.Status);
        Assert.Contains("is the v2 form", report["issuer"]!.Detail);
    }

    [Fact]
    public async Task Matching_expected_issuer_passes()
    {
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(V1), expectedIssuer: V1));
        Assert.Contains("equals --expected-issuer", report["issuer"]!.Detail);
    }

    [Fact]
    public async Task An_audience_other_than_the_one_configured_fails_with_the_app_registration_fix()
    {
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(aud: "api://other")));
        var issuer = report["issuer"]!;
        Assert.Equal(DoctorStatus.Failed, issuer.Status);
        Assert.Contains("aud 'api://other'", issuer.Detail);
        Assert.Contains("'api://aws_azure_federate'", issuer.Detail);
        Assert.Contains("Application ID URI", issuer.Fix);
    }

    [Fact]
    public async Task An_sts_refusal_after_an_issuer_problem_points_back_at_it()
    {
        var exchange = new FakeExchange { Failure = () => new AmazonServiceException("Forbidden", null, ErrorType.Sender, "AccessDenied", "r", HttpStatusCode.Forbidden) };
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(V2, ver: "2.0"), exchange, expectedIssuer: V1));
        Assert.Equal(DoctorStatus.Failed, report["issuer"]!.Status);
        Assert.EndsWith("The issuer/audience check above found a likely cause.", report["sts"]!.Detail);
        var clean = await DoctorSetup.Run(DoctorSetup.Context(Token(V1), new FakeExchange { Failure = exchange.Failure }));
        Assert.DoesNotContain("likely cause", clean["sts"]!.Detail);
    }

    [Fact]
    public async Task A_v2_client_id_audience_explains_the_guid()
    {
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(V2, aud: "0b3a1c2d-0000-4000-8000-000000000001", ver: "2.0")));
        Assert.Contains("client id (GUID)", report["issuer"]!.Fix);
        Assert.Contains("accessTokenAcceptedVersion", report["issuer"]!.Fix);
    }

    private const string Custom = "http://127.0.0.1:17090/7f3c1a52-5b0e-4c1e-9d7a-2b8e6f4a9c10/";
    private const string Discovery = "http://127.0.0.1:17090/7f3c1a52-5b0e-4c1e-9d7a-2b8e6f4a9c10/.well-known/openid-configuration";

    [Fact]
    public async Task A_non_entra_issuer_passes_when_its_discovery_document_names_the_same_issuer()
    {
        var http = new FakeHttp(new() { [Discovery] = (HttpStatusCode.OK, $$"""{"issuer":"{{Custom}}","jwks_uri":"x"}""") });
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(Custom), http: http));
        Assert.Equal(DoctorStatus.Passed, report["issuer"]!.Status);
        Assert.Equal([Discovery], http.Requested);
    }

    [Fact]
    public async Task A_discovery_document_naming_another_issuer_fails()
    {
        var http = new FakeHttp(new() { [Discovery] = (HttpStatusCode.OK, $$"""{"issuer":"{{Custom.TrimEnd('/')}}"}""") });
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(Custom), http: http));
        Assert.Equal(DoctorStatus.Failed, report["issuer"]!.Status);
        Assert.Contains("Only the trailing slash differs", report["issuer"]!.Detail);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_unreachable_or_missing_discovery_document_fails_and_names_the_url(bool reachable)
    {
        var http = new FakeHttp(reachable ? new() { [Discovery] = (HttpStatusCode.NotFound, "") } : []);
        var report = await DoctorSetup.Run(DoctorSetup.Context(Token(Custom), http: http));
        Assert.Equal(DoctorStatus.Failed, report["issuer"]!.Status);
        Assert.Contains(Discovery, report["issuer"]!.Detail);
        Assert.Contains(reachable ? "HTTP 404" : "unreachable", report["issuer"]!.Detail);
    }

    [Fact]
    public async Task An_sts_refusal_carries_the_federation_diagnosis_and_skips_the_s3_checks_only()
    {
        var exchange = new FakeExchange
        {
            Failure = () => new AmazonServiceException("Not authorized to perform sts:AssumeRoleWithWebIdentity", null, ErrorType.Sender, "AccessDenied", "r", HttpStatusCode.Forbidden),
        };
        var report = await DoctorSetup.Run(DoctorSetup.Context(exchange: exchange, src: "s3://bucket/pre", dst: "https://acct.blob.core.windows.net/dest", container: new FakeContainer()));
        var sts = report["sts"]!;
        Assert.Equal(DoctorStatus.Failed, sts.Status);
        Assert.Contains("trust policy", sts.Detail);
        Assert.Contains("sub='mi'", sts.Fix);
        Assert.Equal(DoctorStatus.Skipped, report["s3-list"]!.Status);
        Assert.Equal(DoctorStatus.Skipped, report["presign"]!.Status);
        Assert.Equal(DoctorStatus.Passed, report["container-write"]!.Status);
        Assert.Equal(ExitCodes.SomeFailed, report.ExitCode);
    }

    [Fact]
    public async Task An_unknown_role_is_diagnosed()
    {
        var exchange = new FakeExchange { Failure = () => new AmazonServiceException("Role not found", null, ErrorType.Sender, "NoSuchEntity", "r", HttpStatusCode.NotFound) };
        var report = await DoctorSetup.Run(DoctorSetup.Context(exchange: exchange));
        Assert.Contains("does not exist", report["sts"]!.Detail);
        Assert.Contains("--role-arn", report["sts"]!.Fix);
    }

    [Fact]
    public async Task Nothing_secret_reaches_the_report()
    {
        var tokens = new List<string>();
        var credential = DoctorSetup.Credential(() => { var t = FakeJwt.Create(aud: DoctorSetup.Audience); tokens.Add(t); return t; });
        var report = await DoctorSetup.Run(DoctorSetup.Context(credential, src: "s3://bucket/pre", s3: FakeS3.Create().Client));
        var json = DoctorRenderer.Json(report) + DoctorRenderer.Text(report);
        Assert.NotEmpty(tokens);
        foreach (var t in tokens) Assert.DoesNotContain(t.Split('.')[1], json);
        Assert.DoesNotContain("secret-key-", json);
        Assert.DoesNotContain("session-token-", json);
    }
}
