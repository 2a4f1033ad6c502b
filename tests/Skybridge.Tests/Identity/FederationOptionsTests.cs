using Skybridge.Identity;

namespace Skybridge.Tests.Identity;

public class FederationOptionsTests
{
    private static FederationOptions Valid => new() { Audience = "api://aws_azure_federate", RoleArn = "arn:aws:iam::123456789012:role/reader" };

    [Theory]
    [InlineData("api://aws_azure_federate", "api://aws_azure_federate/.default", "api://aws_azure_federate")]
    [InlineData("api://aws_azure_federate/.default", "api://aws_azure_federate/.default", "api://aws_azure_federate")]
    [InlineData("api://x/", "api://x/.default", "api://x")]
    public void Audience_is_accepted_with_or_without_default_suffix(string audience, string scope, string tokenAudience)
    {
        var o = Valid with { Audience = audience };
        Assert.Equal(scope, o.Scope);
        Assert.Equal(tokenAudience, o.ExpectedTokenAudience);
    }

    [Theory]
    [InlineData("arn:aws:iam:::role/skybridge-sandbox")]
    [InlineData("arn:aws-us-gov:iam::123456789012:role/path/reader")]
    public void Role_arns_of_aws_and_s3_compatible_servers_are_valid(string arn)
        => Assert.Same(arn, (Valid with { RoleArn = arn }).Validate().RoleArn);

    [Theory]
    [InlineData("role/reader", "--role-arn")]
    [InlineData("arn:aws:iam::12345:role/reader", "--role-arn")]
    [InlineData("arn:aws:s3:::bucket", "--role-arn")]
    public void Bad_role_arn_is_a_usage_error(string arn, string mentioned)
    {
        var e = Assert.Throws<SkybridgeException>(() => (Valid with { RoleArn = arn }).Validate());
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains(mentioned, e.Message);
        Assert.NotNull(e.Fix);
    }

    [Theory]
    [InlineData(899)]
    [InlineData(43201)]
    public void Duration_outside_sts_range_is_refused(int seconds)
    {
        var e = Assert.Throws<SkybridgeException>(() => (Valid with { Duration = TimeSpan.FromSeconds(seconds) }).Validate());
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("900..43200", e.Fix);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    public void Invalid_session_names_are_refused(string name)
        => Assert.Equal(ErrorKind.Usage, Assert.Throws<SkybridgeException>(() => (Valid with { RoleSessionName = name }).Validate()).Kind);

    [Fact]
    public void Audience_that_is_neither_uri_nor_guid_is_refused()
        => Assert.Contains("App ID URI", Assert.Throws<SkybridgeException>(() => (Valid with { Audience = "just words" }).Validate()).Message);

    [Fact]
    public void Derived_session_name_is_valid_and_stable()
    {
        var claims = new TokenClaims { ObjectId = "3f2a1b4c-0000-4000-8000-123456789abc" };
        var name = FederationOptions.DeriveSessionName(claims);
        Assert.Equal("skybridge-3f2a1b4c-0000-4000-8000-123456789abc", name);
        Assert.Equal(name, (Valid with { RoleSessionName = name }).Validate().RoleSessionName);
        var longName = FederationOptions.DeriveSessionName(new TokenClaims { Subject = new string('x', 100) + " bad chars!" });
        Assert.Equal(64, longName.Length);
        Assert.DoesNotContain(' ', longName);
    }
}
