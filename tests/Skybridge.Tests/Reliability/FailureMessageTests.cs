using System.Net;
using Amazon.S3;
using Azure;
using Skybridge.Cli;

namespace Skybridge.Tests.Reliability;

/// <summary>
/// What the CLI says when a failure outlasts the SDKs' retries (issue 8: permanent faults fail with
/// a clear message): who answered, the status and error code, and a fix line saying a re-run is safe.
/// </summary>
public sealed class FailureMessageTests
{
    [Fact]
    public void S3_throttling_that_outlasted_the_retries_names_status_code_and_says_rerun()
    {
        var e = new AmazonS3Exception("Please reduce your request rate.") { StatusCode = HttpStatusCode.ServiceUnavailable, ErrorCode = "SlowDown" };
        var (code, message, fix) = CommandRunner.Describe(e);
        Assert.Equal(1, code);
        Assert.Contains("S3 answered 503 SlowDown", message);
        Assert.Contains("retries", message);
        Assert.Contains("run the same command again", fix);
    }

    [Fact]
    public void Azure_server_busy_names_status_code_and_says_rerun()
    {
        var e = new RequestFailedException(503, "The server is currently unable to receive requests.", "ServerBusy", null);
        var (code, message, fix) = CommandRunner.Describe(e);
        Assert.Equal(1, code);
        Assert.Contains("Azure Storage answered 503 ServerBusy", message);
        Assert.Contains("run the same command again", fix);
    }

    [Fact]
    public void A_non_transient_service_error_is_not_called_throttling()
    {
        var (code, message, fix) = CommandRunner.Describe(new RequestFailedException(400, "bad", "InvalidResourceName", null));
        Assert.Equal(1, code);
        Assert.DoesNotContain("retries", message);
        Assert.DoesNotContain("throttling", fix);
    }

    [Fact]
    public void A_failing_type_initializer_is_described_by_its_cause()
    {
        var cause = new RequestFailedException(503, "The server is currently unable to receive requests.", "ServerBusy", null);
        var (code, message, fix) = CommandRunner.Describe(new TypeInitializationException("Some.Type", cause));
        Assert.Equal(1, code);
        Assert.Contains("Azure Storage answered 503 ServerBusy", message);
        Assert.DoesNotContain("type initializer", message);
        Assert.Contains("run the same command again", fix);
    }

    [Fact]
    public void A_network_failure_says_so_with_a_fix()
    {
        var (code, message, fix) = CommandRunner.Describe(new HttpRequestException("Connection refused (127.0.0.1:1)"));
        Assert.Equal(1, code);
        Assert.StartsWith("Network failure", message);
        Assert.Contains("reachable", fix);
    }

    [Fact]
    public void Auth_failures_keep_exit_3()
    {
        Assert.Equal(3, CommandRunner.Describe(new AmazonS3Exception("denied") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "AccessDenied" }).Code);
        Assert.Equal(3, CommandRunner.Describe(new RequestFailedException(403, "no", "AuthorizationFailure", null)).Code);
    }
}
