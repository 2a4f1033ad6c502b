using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Tests.Transfer.ServiceSide;

public class PresignPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Expiry_is_the_requested_lifetime_when_the_session_outlives_it()
        => Assert.Equal(Now.AddHours(1), PresignPolicy.Expiry(Now, TimeSpan.FromHours(1), Now.AddHours(6)));

    [Fact]
    public void A_url_never_outlives_the_session_that_signs_it()
        => Assert.Equal(Now.AddMinutes(20) - PresignPolicy.SessionMargin, PresignPolicy.Expiry(Now, TimeSpan.FromHours(1), Now.AddMinutes(20)));

    [Fact]
    public void Long_lived_keys_are_capped_at_sigv4s_seven_days()
        => Assert.Equal(Now.AddDays(7), PresignPolicy.Expiry(Now, TimeSpan.FromDays(30), null));

    [Fact]
    public void A_session_about_to_end_gives_no_expiry_so_the_caller_refreshes_first()
    {
        Assert.Null(PresignPolicy.Expiry(Now, TimeSpan.FromHours(1), Now.AddSeconds(40)));  // 10 s left after the margin
        Assert.Null(PresignPolicy.Expiry(Now, TimeSpan.FromHours(1), Now.AddMinutes(-1))); // already expired
        Assert.NotNull(PresignPolicy.Expiry(Now, TimeSpan.FromHours(1), Now.AddSeconds(60)));
    }

    [Fact]
    public void Non_positive_lifetimes_are_refused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => PresignPolicy.Expiry(Now, TimeSpan.Zero, null));

    [Theory]
    [InlineData(2048, null)]
    [InlineData(2049, "presigned URL 2049 chars > 2048: streamed")]
    [InlineData(2210, "presigned URL 2210 chars > 2048: streamed")]
    public void Url_length_decides_service_side_or_stream(int length, string? expected)
    {
        var prefix = "https://bucket.s3.amazonaws.com/key?X-Amz-Signature=";
        var url = new PresignedUrl(new Uri(prefix + new string('a', length - prefix.Length)), Now);
        Assert.Equal(length, url.Length);
        Assert.Equal(expected, PresignPolicy.TooLong(url));
    }

    [Fact]
    public void The_escaped_form_is_what_is_measured()
    {
        // Azure receives the escaped absolute URI: a non-ASCII key counts 3 chars per UTF-8 byte.
        var url = new PresignedUrl(new Uri("https://h/b/%C3%A9t%C3%A9.txt?X-Amz-Signature=abc"), Now);
        Assert.Equal("https://h/b/%C3%A9t%C3%A9.txt?X-Amz-Signature=abc".Length, url.Length);
    }

    [Fact]
    public void A_presigned_url_prints_without_its_query()
    {
        var url = new PresignedUrl(new Uri("https://h/b/k?X-Amz-Security-Token=SESSIONTOKEN&X-Amz-Signature=SIGNATURE"), Now);
        Assert.Equal("https://h/b/k?***", url.ToString());
        Assert.DoesNotContain("SIGNATURE", $"{url}");
        Assert.DoesNotContain("SESSIONTOKEN", url.Redacted);
    }

    [Theory]
    [InlineData("http://127.0.0.1:17080/", "https://acct.blob.core.windows.net/c", true)]
    [InlineData("http://10.1.2.3:9000/", "https://acct.blob.core.windows.net/c", true)]
    [InlineData("http://192.168.0.5/", "https://acct.blob.core.windows.net/c", true)]
    [InlineData("http://localhost:9000/", "https://acct.blob.core.windows.net/c", true)]
    [InlineData("http://127.0.0.1:17080/", "https://127.0.0.1:10100/devstoreaccount1/c", false)] // emulator/shim next to it
    [InlineData("https://s3.eu-west-1.amazonaws.com/", "https://acct.blob.core.windows.net/c", false)]
    [InlineData("https://minio.example.com/", "https://acct.blob.core.windows.net/c", false)]
    public void Auto_streams_when_azure_cannot_reach_the_s3_endpoint(string s3, string blob, bool unreachable)
        => Assert.Equal(unreachable, ServiceSideCopier.Unreachable(new Uri(s3), new Uri(blob)) is not null);

    [Theory]
    [InlineData("auto", CopyMode.Auto)]
    [InlineData(null, CopyMode.Auto)]
    [InlineData("SERVICE", CopyMode.Service)]
    [InlineData("stream", CopyMode.Stream)]
    public void Mode_parses(string? text, CopyMode mode) => Assert.Equal(mode, TransferModes.Parse(text));

    [Fact]
    public void Unknown_mode_is_a_usage_error()
        => Assert.Equal(ErrorKind.Usage, Assert.Throws<SkybridgeException>(() => TransferModes.Parse("fast")).Kind);
}
