using Skybridge.Identity;
using Skybridge.Tests.TestSupport;

namespace Skybridge.Tests.Reliability;

/// <summary>
/// Found on the sandbox (issue 8): with --max-credential-age 5, a 7 s STS outage ended a copy with
/// exit 3 although the session in use was valid for another hour. A failed refresh must keep the
/// still-valid credentials in use, and fail only when they are about to expire.
/// </summary>
public sealed class RefreshFailureTests
{
    private static readonly FederationOptions Options = new() { Audience = "api://app", RoleArn = "arn:aws:iam::123456789012:role/reader" };

    [Fact]
    public async Task A_failed_forced_refresh_keeps_the_valid_session_in_use_and_a_later_one_replaces_it()
    {
        var sts = new FakeExchange();
        var credentials = new FederatedAwsCredentials(Options with { MaxCredentialAge = TimeSpan.FromMilliseconds(300) }, new FakeTokenCredential(), sts);
        var first = await credentials.GetCredentialsAsync();
        var down = true;
        sts.Failure = () => down ? new HttpRequestException("STS is down") : null;

        var until = DateTime.UtcNow.AddSeconds(1.5);
        while (DateTime.UtcNow < until)
        {
            Assert.Equal(first.AccessKey, (await credentials.GetCredentialsAsync()).AccessKey); // never throws, same session
            await Task.Delay(50);
        }
        Assert.True(sts.Calls > 1); // it did try to refresh

        down = false;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await credentials.GetCredentialsAsync()).AccessKey == first.AccessKey)
        {
            Assert.True(DateTime.UtcNow < deadline, "no new session after STS came back");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_session_about_to_expire_is_not_kept_the_failure_surfaces()
    {
        var sts = new FakeExchange(lifetime: TimeSpan.FromSeconds(2));
        var credentials = new FederatedAwsCredentials(Options, new FakeTokenCredential(), sts);
        await credentials.GetCredentialsAsync();
        sts.Failure = () => new HttpRequestException("STS is down");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            while (DateTime.UtcNow < deadline)
            {
                await credentials.GetCredentialsAsync();
                await Task.Delay(50);
            }
        });
        Assert.True(DateTime.UtcNow < deadline, "the expiring session was served past its end");
    }
}
