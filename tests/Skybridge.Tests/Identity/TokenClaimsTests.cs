using Skybridge.Identity;
using Skybridge.Tests.TestSupport;

namespace Skybridge.Tests.Identity;

public class TokenClaimsTests
{
    [Fact]
    public void Decodes_federation_claims()
    {
        var exp = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds());
        var claims = TokenClaims.Decode(FakeJwt.Create(iss: "https://sts.windows.net/t/", aud: "api://x", sub: "s", exp: exp));
        Assert.Equal("https://sts.windows.net/t/", claims.Issuer);
        Assert.Equal("api://x", claims.Audience);
        Assert.Equal("s", claims.Subject);
        Assert.Equal("oid-s", claims.ObjectId);
        Assert.Equal("app-1", claims.AppId);
        Assert.Equal(exp, claims.ExpiresOn);
        Assert.False(claims.IsV2);
    }

    [Fact]
    public void Recognises_v2_tokens_by_issuer_or_version()
    {
        Assert.True(TokenClaims.Decode(FakeJwt.Create(iss: "https://login.microsoftonline.com/t/v2.0", ver: "1.0")).IsV2);
        Assert.True(TokenClaims.Decode(FakeJwt.Create(ver: "2.0")).IsV2);
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.!!!.sig")]
    public void Garbage_is_an_auth_error_without_echoing_the_input(string token)
    {
        var e = Assert.Throws<SkybridgeException>(() => TokenClaims.Decode(token));
        Assert.Equal(ErrorKind.Auth, e.Kind);
        Assert.DoesNotContain(token, e.Message);
    }

    [Fact]
    public void ToString_shows_claims_but_never_the_token()
    {
        var token = FakeJwt.Create(sub: "visible-subject");
        var text = TokenClaims.Decode(token).ToString();
        Assert.Contains("sub=visible-subject", text);
        Assert.DoesNotContain(token.Split('.')[1], text);
    }
}
