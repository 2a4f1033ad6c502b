using Microsoft.Extensions.Logging;
using Skybridge.Diagnostics;
using Skybridge.Tests.TestSupport;

namespace Skybridge.Tests.Diagnostics;

public class RedactingLoggerProviderTests
{
    [Fact]
    public void An_exception_is_logged_with_its_stack_and_inner_exceptions_redacted_and_escaped()
    {
        var jwt = FakeJwt.Create();
        Exception thrown;
        try { ThrowsWrapped(jwt); throw new InvalidOperationException("not reached"); }
        catch (Exception e) { thrown = e; }
        var output = new StringWriter();
        using (var provider = new RedactingLoggerProvider(output))
            provider.CreateLogger("test").LogWarning(thrown, "{Key} failed", "bad\nkey");

        var text = output.ToString();
        Assert.Contains("warn test: bad\\nkey failed", text);
        Assert.Contains("InvalidOperationException: while copying", text);
        Assert.Contains("ArgumentOutOfRangeException: Specified argument was out of the range of valid values.", text);
        // The frame that threw: what makes an unmapped failure findable.
        Assert.Contains($"{nameof(ThrowsInner)}", text);
        Assert.DoesNotContain(jwt.Split('.')[1], text);
    }

    private static void ThrowsWrapped(string jwt)
    {
        try { ThrowsInner(); }
        catch (Exception e) { throw new InvalidOperationException($"while copying with token {jwt}", e); }
    }

    private static void ThrowsInner() => throw new ArgumentOutOfRangeException();
}
