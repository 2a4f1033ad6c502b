using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace Skybridge.Identity;

/// <summary>
/// Makes every AWS SDK request be signed with one credential set, read once.
/// <para>
/// The SDK for .NET v4's <c>Signer</c> handler reads a request's credentials twice: once for the
/// <c>x-amz-security-token</c> header, then again inside <c>AWS4Signer.Sign</c> for the access key
/// and signing key. A refresh of <see cref="RefreshingAWSCredentials"/> that lands between the two
/// reads sends session A's token with session B's access key, and the service refuses the request
/// (RGW: 403 AccessDenied, "Invalid access key" in its log). With parallel requests and a refresh
/// every few seconds this hit about one read in ten thousand, always just as a refresh finished.
/// </para>
/// <para>
/// This handler, placed just before the <c>Signer</c> (inside the retry loop, so every attempt is
/// signed afresh), reads the credentials once and hands the signer that one set. Registered for every
/// SDK client created once <see cref="FederatedAwsCredentials"/> is loaded; it changes nothing for
/// credentials that cannot change (static keys).
/// </para>
/// </summary>
internal sealed class OneCredentialSetPerRequest : PipelineHandler
{
    private sealed class Customizer : IRuntimePipelineCustomizer
    {
        public string UniqueName => "Skybridge.OneCredentialSetPerRequest";
        public void Customize(Type type, RuntimePipeline pipeline) => pipeline.AddHandlerBefore<Signer>(new OneCredentialSetPerRequest());
    }

    /// <summary>Adds the handler to every SDK client created from now on in this process (once; later calls do nothing).</summary>
    public static void Register() => RuntimePipelineCustomizerRegistry.Instance.Register(new Customizer());

    public override void InvokeSync(IExecutionContext executionContext)
    {
        if (Source(executionContext.RequestContext) is { } source)
            executionContext.RequestContext.Identity = new Pinned(source, source.GetCredentials());
        base.InvokeSync(executionContext);
    }

    public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        if (Source(executionContext.RequestContext) is { } source)
            executionContext.RequestContext.Identity = new Pinned(source, await source.GetCredentialsAsync().ConfigureAwait(false));
        return await base.InvokeAsync<T>(executionContext).ConfigureAwait(false);
    }

    /// <summary>The refreshing credentials behind this attempt (a retry finds the previous attempt's pinned set and reads its source again).</summary>
    private static RefreshingAWSCredentials? Source(IRequestContext context) => context.Identity switch
    {
        Pinned pinned => pinned.Source,
        RefreshingAWSCredentials refreshing => refreshing,
        _ => null,
    };

    /// <summary>One credential set, as read for one attempt of one request.</summary>
    private sealed class Pinned(RefreshingAWSCredentials source, ImmutableCredentials set) : AWSCredentials
    {
        public RefreshingAWSCredentials Source => source;
        public override DateTime? Expiration => source.Expiration;
        public override ImmutableCredentials GetCredentials() => set;
        public override Task<ImmutableCredentials> GetCredentialsAsync() => Task.FromResult(set);
    }
}
