using Amazon.Runtime;
using Skybridge.Providers.S3;

namespace Skybridge.Tests.Reliability;

/// <summary>The S3 client's retry budget (issue 8: a copy under 12% transient faults must complete).</summary>
public sealed class RetryBudgetTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("http://127.0.0.1:17080")]
    public void S3_clients_retry_transient_errors_five_times_with_standard_backoff(string? endpoint)
    {
        var s3 = new S3Endpoint { ServiceUrl = endpoint is null ? null : new Uri(endpoint) }
            .CreateClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"));
        Assert.Equal(5, s3.Config.MaxErrorRetry);
        Assert.Equal(RequestRetryMode.Standard, s3.Config.RetryMode);
    }
}
