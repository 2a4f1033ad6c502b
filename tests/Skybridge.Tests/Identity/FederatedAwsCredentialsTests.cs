using Amazon.Runtime;
using Azure.Identity;
using Skybridge.Diagnostics;
using Skybridge.Identity;
using Skybridge.Tests.TestSupport;

namespace Skybridge.Tests.Identity;

public class FederatedAwsCredentialsTests
{
    private static readonly FederationOptions Options = new() { Audience = "api://app", RoleArn = "arn:aws:iam::123456789012:role/reader" };

    [Fact]
    public async Task Many_concurrent_callers_cause_exactly_one_exchange()
    {
        var azure = new FakeTokenCredential();
        var sts = new FakeExchange(latency: TimeSpan.FromMilliseconds(200));
        var credentials = new FederatedAwsCredentials(Options, azure, sts);

        var all = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => credentials.GetCredentialsAsync())));

        Assert.Equal(1, sts.Calls);
        Assert.Equal(1, azure.Calls);
        Assert.Equal("api://app/.default", azure.LastScope);
        Assert.All(all, c => Assert.Equal("ASIAFAKE0001", c.AccessKey));
    }

    [Fact]
    public async Task Credentials_are_replaced_before_they_expire_with_one_exchange_per_refresh()
    {
        var sts = new FakeExchange();
        var credentials = new FederatedAwsCredentials(Options with { MaxCredentialAge = TimeSpan.FromMilliseconds(300) }, new FakeTokenCredential(), sts);
        var seen = new HashSet<string>();
        var until = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < until)
        {
            var batch = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => credentials.GetCredentialsAsync()));
            foreach (var c in batch) seen.Add(c.AccessKey);
            await Task.Delay(20);
        }
        // ~2 s / 300 ms => about 7 refreshes; each distinct key is one exchange, never more.
        Assert.InRange(sts.Calls, 4, 10);
        Assert.Equal(sts.Calls, credentials.RefreshCount);
        Assert.InRange(seen.Count, sts.Calls - 1, sts.Calls);
    }

    [Fact]
    public async Task Session_name_defaults_to_one_derived_from_the_identity()
    {
        var sts = new FakeExchange();
        await new FederatedAwsCredentials(Options, new FakeTokenCredential(() => FakeJwt.Create(aud: "api://app", sub: "abc")), sts).GetCredentialsAsync();
        Assert.Equal("skybridge-oid-abc", sts.LastSessionName);
    }

    [Fact]
    public async Task Sts_refusal_becomes_a_diagnosed_auth_error()
    {
        var sts = new FakeExchange { Failure = () => new AmazonServiceException("Not authorized to perform sts:AssumeRoleWithWebIdentity", null, ErrorType.Sender, "AccessDenied", "r", System.Net.HttpStatusCode.Forbidden) };
        var e = await Assert.ThrowsAsync<SkybridgeException>(() => new FederatedAwsCredentials(Options, new FakeTokenCredential(), sts).ExchangeAsync());
        Assert.Equal(ErrorKind.Auth, e.Kind);
        Assert.Contains("trust policy", e.Message);
    }

    [Fact]
    public async Task Missing_managed_identity_is_explained()
    {
        var azure = new ThrowingCredential(new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable. No Managed Identity endpoint found."));
        var options = Options with { Azure = new AzureCredentialOptions { Kind = AzureCredentialKind.ManagedIdentity } };
        var e = await Assert.ThrowsAsync<SkybridgeException>(() => new FederatedAwsCredentials(options, azure, new FakeExchange()).ExchangeAsync());
        Assert.Equal(ErrorKind.Auth, e.Kind);
        Assert.Contains("no managed identity is available on this host", e.Message);
        Assert.Contains("--client-id", e.Fix);
    }

    [Fact]
    public async Task Obtained_secrets_are_registered_for_redaction()
    {
        var credentials = new FederatedAwsCredentials(Options, new FakeTokenCredential(), new FakeExchange());
        var c = await credentials.GetCredentialsAsync();
        var text = SecretRedactor.Redact($"oops {c.SecretKey} and {c.Token}");
        Assert.DoesNotContain(c.SecretKey, text);
        Assert.DoesNotContain(c.Token, text);
        Assert.Equal(c.AccessKey, credentials.Current!.AccessKeyId);
    }

    private sealed class ThrowingCredential(Exception e) : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext r, CancellationToken c) => throw e;
        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext r, CancellationToken c) => throw e;
    }
}

public class RefreshScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(3600, 3300)]   // 1 h session: refresh 5 min early
    [InlineData(900, 720)]     // 15 min session: refresh a fifth early (3 min)
    [InlineData(43200, 42900)]
    public void Refreshes_ahead_of_expiry(int lifetimeSeconds, int refreshAfterSeconds)
        => Assert.Equal(Now.AddSeconds(refreshAfterSeconds), RefreshSchedule.RefreshAt(Now, Now.AddSeconds(lifetimeSeconds), null));

    [Fact]
    public void Max_age_forces_earlier_refresh()
        => Assert.Equal(Now.AddSeconds(10), RefreshSchedule.RefreshAt(Now, Now.AddHours(1), TimeSpan.FromSeconds(10)));

    [Theory]
    // 1 h session, scheduled refresh at 55 min: requests keep the session while it runs, until its last 30 s.
    [InlineData(3600, null, 3300, 3570)]
    // 2 s session: refresh at 1.6 s, used until its last 1/20 (0.1 s).
    [InlineData(2, null, 1.6, 1.9)]
    // --max-credential-age 5 on a 1 h session: the promise holds, a quarter of the interval later callers wait.
    [InlineData(3600, 5.0, 5, 6.25)]
    // --max-credential-age 10 min: at most a minute later.
    [InlineData(3600, 600.0, 600, 660)]
    public void Callers_wait_for_a_refresh_only_when_the_session_is_nearly_over_or_a_max_age_is_due(double lifetime, double? maxAge, double refreshAfter, double waitAfter)
    {
        var expiration = Now.AddSeconds(lifetime);
        var age = maxAge is { } m ? TimeSpan.FromSeconds(m) : (TimeSpan?)null;
        var (refreshAt, waitFrom) = RefreshSchedule.For(Now, expiration, age);
        Assert.Equal(Now.AddSeconds(refreshAfter), refreshAt);
        Assert.Equal(Now.AddSeconds(waitAfter), waitFrom);
    }

    [Fact]
    public void Already_expired_session_still_schedules_in_the_future()
        => Assert.True(RefreshSchedule.RefreshAt(Now, Now.AddSeconds(-5), null) > Now);
}
