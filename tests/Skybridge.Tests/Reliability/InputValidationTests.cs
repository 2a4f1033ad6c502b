using Azure;
using Skybridge.Providers.AzureBlob;
using Skybridge.Cli;
using Skybridge.Transfer;

namespace Skybridge.Tests.Reliability;

/// <summary>
/// Bad input found by the reliability suite (issue 8) that used to reach the services or silently
/// do nothing: invalid container names, empty filter windows, two destination credentials.
/// </summary>
public sealed class InputValidationTests
{
    [Theory]
    [InlineData("Bad_Container")]
    [InlineData("UPPER")]
    [InlineData("ab")]
    [InlineData("rel--bad")]
    [InlineData("-rel-bad")]
    [InlineData("rel-bad-")]
    public void Invalid_container_names_are_usage_errors_before_any_request(string container)
    {
        var e = Assert.Throws<SkybridgeException>(() => BlobLocation.Parse($"https://acct.blob.core.windows.net/{container}/p"));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("container name", e.Message);
        Assert.NotNull(e.Fix);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("skybridge-dest")]
    [InlineData("a1-b2-c3")]
    [InlineData("$root")]
    public void Valid_container_names_pass(string container)
        => Assert.Equal(container, BlobLocation.Parse($"https://127.0.0.1:10000/devstoreaccount1/{container}/x").Container);

    [Fact]
    public void An_empty_size_window_is_a_usage_error()
    {
        var e = Assert.Throws<SkybridgeException>(() => new Filter(minSize: 10 << 20, maxSize: 1024));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("--max-size", e.Message);
    }

    [Fact]
    public void An_empty_date_window_is_a_usage_error()
    {
        var e = Assert.Throws<SkybridgeException>(() => new Filter(modifiedAfter: new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), modifiedBefore: new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("--modified-before", e.Message);
    }

    [Fact]
    public void A_connection_string_and_a_sas_together_are_a_usage_error()
    {
        var location = BlobLocation.Parse("https://127.0.0.1:10000/devstoreaccount1/cont/p");
        var e = Assert.Throws<SkybridgeException>(() => AzureBlobDestination.Create(location, null, "sv=2020-01-01&sig=abc", "UseDevelopmentStorage=true"));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("--dest-sas", e.Fix);
    }

    [Fact]
    public void The_azure_sdks_give_up_aggregate_is_described_by_its_last_attempt()
    {
        var attempts = Enumerable.Range(0, 6).Select(_ => (Exception)new RequestFailedException(503, "The server is busy.", "ServerBusy", null)).ToList();
        var (code, message, fix) = CommandRunner.Describe(new AggregateException("Retry failed after 6 tries.", attempts));
        Assert.Equal(1, code);
        Assert.Contains("503 ServerBusy", message);
        Assert.Contains("after 6 attempts", message);
        Assert.NotNull(fix);
    }

    [Fact]
    public void An_azure_identity_failure_shows_the_providers_reason_from_the_inner_exception()
    {
        var inner = new InvalidOperationException("A configuration issue is preventing authentication. Original exception: AADSTS700024: client assertion rejected (not a JWT)");
        var e = new Azure.Identity.AuthenticationFailedException("ClientAssertionCredential authentication failed: ", inner);
        var (code, message, _) = CommandRunner.Describe(e);
        Assert.Equal(3, code);
        Assert.Contains("AADSTS700024: client assertion rejected", message);
    }

    // ---- issue 16 ----

    [Theory]
    [InlineData("http://example.com/cont", null, "token")]
    [InlineData("http://example.com/cont?sv=2020-01-01&sig=abc", null, "a SAS")]
    [InlineData("http://example.com/cont", "sv=2020-01-01&sig=abc", "a SAS")]
    public void A_bearer_secret_over_plain_http_is_a_usage_error_before_any_request(string url, string? sas, string what)
    {
        var location = BlobLocation.Parse(url);
        var e = Assert.Throws<SkybridgeException>(() => AzureBlobDestination.Create(location, new Azure.Identity.ManagedIdentityCredential(Azure.Identity.ManagedIdentityId.SystemAssigned), sas));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("plain http", e.Message);
        Assert.Contains(what, e.Message);
        Assert.DoesNotContain("sig=abc", e.Message + e.Fix);
        Assert.Contains("https", e.Fix);
    }

    [Fact]
    public void A_connection_string_over_http_is_allowed_its_key_is_never_sent()
        => Assert.NotNull(AzureBlobDestination.Create(BlobLocation.Parse("http://127.0.0.1:10000/devstoreaccount1/cont"), null, null, "UseDevelopmentStorage=true"));

    [Theory]
    [InlineData("http://127.0.0.1:17500/devstoreaccount1/cont")]
    [InlineData("http://localhost:10000/devstoreaccount1/cont")]
    [InlineData("http://[::1]:10000/devstoreaccount1/cont")]
    public void A_sas_to_a_loopback_endpoint_stays_on_this_host_and_is_accepted(string url)
        => Assert.NotNull(AzureBlobDestination.Create(BlobLocation.Parse(url), null, "sv=2020-01-01&sig=abc"));

    [Theory]
    [InlineData(1024L, null, "8MiB")]
    [InlineData(8L << 20, 16L << 20, "16MiB")]
    [InlineData(5L << 20, 5L << 20, "8MiB")] // a 5 MiB block is a power-of-two (8 MiB) buffer
    [InlineData(1000L, 1500L, "2048")]
    public void A_memory_budget_smaller_than_one_block_buffer_is_refused_with_the_size_that_works(long budget, long? block, string need)
    {
        var e = Assert.Throws<SkybridgeException>(() => MemoryBudget.RequireRoomForOneBlock(budget, block ?? BlockPlanner.DefaultBlockSize));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("--max-memory", e.Message);
        Assert.Contains($"--max-memory {need} ", e.Fix);
    }

    [Theory]
    [InlineData(8L << 20, 8L << 20)]
    [InlineData(128L << 20, null)]
    [InlineData(4096L, 3000L)]
    public void A_budget_of_at_least_one_block_buffer_passes(long budget, long? block)
        => MemoryBudget.RequireRoomForOneBlock(budget, block ?? BlockPlanner.DefaultBlockSize);

    [Theory]
    [InlineData("[")]
    [InlineData("data-[0-9")]
    [InlineData("[]")]
    [InlineData("[!]")]
    [InlineData("")]
    public void A_bad_glob_says_what_a_valid_one_looks_like_and_how_to_match_a_literal_bracket(string glob)
    {
        var e = Assert.Throws<SkybridgeException>(() => new Filter(include: [glob]));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("'[[]'", e.Fix);
    }
}
