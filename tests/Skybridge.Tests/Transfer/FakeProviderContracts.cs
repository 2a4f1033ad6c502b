using Skybridge.Contracts;
using Skybridge.Tests.Transfer.ServiceSide;
using Skybridge.Transfer;
using Skybridge.Transfer.ServiceSide;

namespace Skybridge.Tests.Transfer;

/// <summary>The source contract against <see cref="FakeSource"/> (with <see cref="FakePresigner"/>): the fake every engine test relies on is held to what RGW does.</summary>
public sealed class FakeSourceContract : SourceContract
{
    protected override Task<ISourceUnderTest> StartAsync() => Task.FromResult<ISourceUnderTest>(new Fake());

    private sealed class Fake : ISourceUnderTest
    {
        private readonly FakeSource _bucket = new("contract-bucket") { OffersListAfter = true, OffersFolders = true };
        private readonly FakePresigner _presigner;

        public Fake()
        {
            _presigner = new FakePresigner(_bucket);
            // Neighbours outside the root: a listing that is not scoped to its prefix shows them.
            foreach (var key in new[] { "ct", "ct0/x", "cs/y", "cu" }) _bucket.Put(key, [1]);
        }

        public string Root => "ct/";
        public int ListPageSize => 1000; // S3's page; the fake lists in one go, so this only sizes the test
        public int MinPartSize => 5 * 1024 * 1024;
        public bool KnowsPartSizes => true;

        public IObjectSource Open(string prefix = "")
        {
            var view = _bucket.At(Root + prefix);
            view.Presigner = _presigner;
            return view;
        }

        public Task PutAsync(string key, byte[] data, SourceWrite? write = null)
        {
            write ??= new SourceWrite();
            _bucket.Put(Root + key, data, props: new SourceProperties { ContentType = write.ContentType, UserMetadata = write.Metadata },
                tags: new Dictionary<string, string>(write.Tags), modified: DateTimeOffset.UtcNow);
            return Task.CompletedTask;
        }

        public async Task PutManyAsync(IReadOnlyCollection<string> keys)
        {
            foreach (var key in keys) await PutAsync(key, [7]);
        }

        public Task PutMultipartAsync(string key, byte[] data, int[] partSizes)
        {
            _bucket.Put(Root + key, data, parts: partSizes.Select(p => (long)p).ToArray(), modified: DateTimeOffset.UtcNow);
            return Task.CompletedTask;
        }

        public Task DeleteAsync(string key)
        {
            _bucket.Remove(Root + key);
            return Task.CompletedTask;
        }

        public async Task<byte[]> FetchAsync(PresignedUrl url)
        {
            var obj = _presigner.Urls[url.Url.AbsoluteUri];
            var data = new byte[obj.Size];
            await _bucket.ReadAsync(obj, 0, data, CancellationToken.None);
            return data;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>The destination contract against <see cref="FakeDestination"/> and <see cref="FakeFromUrl"/>, held to what Azurite does.</summary>
public sealed class FakeDestinationContract : DestinationContract
{
    protected override Task<IDestinationUnderTest> StartAsync() => Task.FromResult<IDestinationUnderTest>(new Fake());

    private sealed class Fake : IDestinationUnderTest
    {
        private readonly FakeSource _source = new("contract-source");
        private readonly FakePresigner _presigner;
        private readonly FakeDestination _root = new() { OffersListAfter = true };

        public Fake() => _presigner = new FakePresigner(_source);

        public int ListPageSize => 5000; // Azure's page; the fake lists in one go

        public IBlobDestination Open(string prefix = "")
        {
            // One container: every view shares the root's blobs and staged blocks.
            var view = prefix.Length == 0 ? _root : _root.At(prefix);
            view.FromUrl = new FakeFromUrl(_presigner, _source, view);
            return view;
        }

        public async Task<UrlSource> PublishAsync(string key, byte[] data)
        {
            var obj = _source.Put(key, data);
            return new UrlSource(obj, await _presigner.PresignAsync(obj, CancellationToken.None));
        }

        public Task ChangeAsync(UrlSource source, byte[] data)
        {
            _source.Put(source.Object.Key, data);
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
