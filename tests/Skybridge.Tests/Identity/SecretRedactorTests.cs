using Skybridge.Diagnostics;
using Skybridge.Tests.TestSupport;

namespace Skybridge.Tests.Identity;

public class SecretRedactorTests
{
    [Fact]
    public void Masks_jwts()
    {
        var jwt = FakeJwt.Create();
        var text = SecretRedactor.Redact($"token was {jwt} ok");
        Assert.DoesNotContain(jwt.Split('.')[1], text);
        Assert.Contains("token was ***", text);
    }

    [Fact]
    public void Masks_presigned_url_and_sas_signatures_but_keeps_the_rest()
    {
        var url = "http://127.0.0.1:17080/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA%2F20261128&X-Amz-Security-Token=FwoGZXIvYXdz&X-Amz-Signature=abcdef0123&x=1";
        var text = SecretRedactor.Redact(url);
        Assert.DoesNotContain("abcdef0123", text);
        Assert.DoesNotContain("FwoGZXIvYXdz", text);
        Assert.Contains("X-Amz-Algorithm=AWS4-HMAC-SHA256", text);
        Assert.Contains("x=1", text);
        Assert.DoesNotContain("sig=secretsig", SecretRedactor.Redact("https://a.blob.core.windows.net/c?sv=2024&sig=secretsig&se=1"));
    }

    [Fact]
    public void Masks_registered_secrets()
    {
        SecretRedactor.Register("registered-secret-value-123");
        Assert.Equal("key=*** end", SecretRedactor.Redact("key=registered-secret-value-123 end"));
    }
}
