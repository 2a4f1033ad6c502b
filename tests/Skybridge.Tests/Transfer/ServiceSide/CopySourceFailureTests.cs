using Skybridge.Providers.AzureBlob;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Tests.Transfer.ServiceSide;

public class CopySourceFailureTests
{
    private static readonly SourceObject Obj = new("data/a.bin", 10, "0123456789abcdef0123456789abcdef", DateTimeOffset.UnixEpoch);

    [Theory]
    [InlineData(403, "AccessDenied", SourceFailureKind.AccessDenied)]
    [InlineData(401, "InvalidAuthenticationInfo", SourceFailureKind.AccessDenied)]
    [InlineData(404, "NoSuchKey", SourceFailureKind.Missing)]
    [InlineData(412, "PreconditionFailed", SourceFailureKind.Changed)]
    [InlineData(500, "InternalError", SourceFailureKind.Other)]
    public void Source_status_from_azures_headers_decides_the_kind(int status, string code, SourceFailureKind kind)
    {
        var f = AzureCopySourceErrors.From(FakeResponse.CopySourceError(status, code))!;
        Assert.Equal(kind, f.Kind);
        Assert.Equal(status, f.SourceStatus);
        Assert.Equal(code, f.SourceErrorCode);
        Assert.Equal($"S3 {status} {code}", f.Source);
    }

    [Fact]
    public void The_error_body_is_read_when_the_headers_are_missing()
    {
        var e = new Azure.RequestFailedException(new FakeResponse(403, new Dictionary<string, string>(),
            "<Error><Code>CannotVerifyCopySource</Code><Message>m</Message><CopySourceStatusCode>403</CopySourceStatusCode><CopySourceErrorCode>SignatureDoesNotMatch</CopySourceErrorCode></Error>"));
        var f = AzureCopySourceErrors.From(e)!;
        Assert.Equal(SourceFailureKind.AccessDenied, f.Kind);
        Assert.Equal("SignatureDoesNotMatch", f.SourceErrorCode);
    }

    [Fact]
    public void No_source_status_means_azure_could_not_reach_the_source()
        => Assert.Equal(SourceFailureKind.Unreachable, AzureCopySourceErrors.From(FakeResponse.CopySourceError(null, destinationStatus: 404))!.Kind);

    [Fact]
    public void Other_destination_errors_are_not_source_failures()
        => Assert.Null(AzureCopySourceErrors.From(FakeResponse.Plain(409, "BlobAlreadyExists")));

    [Fact]
    public void Map_gives_the_reasons_stream_mode_gives()
    {
        Assert.IsType<SourceChangedException>(Map(FakeResponse.CopySourceError(412, "PreconditionFailed")));
        var missing = Assert.IsType<CopySourceException>(Map(FakeResponse.CopySourceError(404, "NoSuchKey", 404)));
        Assert.Contains("missing (S3 404 NoSuchKey", missing.Message);
        Assert.Null(missing.StreamInstead); // streaming would not find it either
        var denied = Assert.IsType<SkybridgeException>(Map(FakeResponse.CopySourceError(403, "AccessDenied", 403)));
        Assert.Equal(ErrorKind.Auth, denied.Kind);
        Assert.True(TransferErrors.IsFatal(denied)); // like a refused GET in stream mode: the run stops

        var unreachable = Assert.IsType<CopySourceException>(Map(FakeResponse.CopySourceError(null)));
        Assert.True(unreachable.DestinationCannotFetch);
        Assert.NotNull(unreachable.StreamInstead);
        var other = Assert.IsType<CopySourceException>(Map(FakeResponse.CopySourceError(503, "SlowDown")));
        Assert.False(other.DestinationCannotFetch);
        Assert.Contains("S3 503 SlowDown", other.StreamInstead);

        var notImplemented = Assert.IsType<CopySourceException>(Map(FakeResponse.Plain(501, "NotImplemented")));
        Assert.True(notImplemented.DestinationCannotFetch);
        var tooLong = Assert.IsType<CopySourceException>(Map(FakeResponse.Plain(400, "OutOfRangeInput")));
        Assert.False(tooLong.DestinationCannotFetch);
        Assert.NotNull(tooLong.StreamInstead);
        var failed = Assert.IsType<CopySourceException>(Map(FakeResponse.Plain(500, "InternalError")));
        Assert.True(failed.DestinationFailed);
        Assert.False(failed.DestinationCannotFetch);
        Assert.IsType<SourceChangedException>(Map(FakeResponse.Plain(412, "SourceConditionNotMet")));
        // Not about the from-URL copy: the adapter's general mapping, the SDK's error kept as the cause.
        var unrelated = FakeResponse.Plain(409, "BlobAlreadyExists");
        var general = AzureCopySourceErrors.Map(unrelated);
        Assert.IsNotType<CopyFromUrlException>(general);
        Assert.Same(unrelated, general.InnerException);
    }

    /// <summary>Azure's answer through the adapter's mapping, then the copier's (what a from-URL failure goes through).</summary>
    private static Exception Map(Azure.RequestFailedException e) => ServiceSideCopier.Map(Obj, (CopyFromUrlException)AzureCopySourceErrors.Map(e));
}
