using Skybridge.Transfer.Execution;
using Skybridge.Transfer.Planning;

namespace Skybridge.Transfer.Outcomes;

/// <summary>
/// The one stream of what happens in a run. The engine publishes each event once; the counters,
/// the report and the journal are subscribers (so no component talks to three sinks). Events come
/// from the planner's thread and from every worker at once: subscribers are thread-safe. For one
/// source entry the order is Decided, then (when executed) Started, then Finished, then Listed.
/// </summary>
public interface ITransferObserver
{
    /// <summary>The planner decided an item (any action, including excluded entries and extras).</summary>
    void Decided(TransferItem item) { }

    /// <summary>A worker started executing a copy.</summary>
    void Started(TransferItem item) { }

    /// <summary>The item reached its final state (settled when planned, or executed).</summary>
    void Finished(TransferItem item, ItemOutcome outcome) { }

    /// <summary>A source entry of this run's listing is decided and recorded: the listing watermark may pass it.</summary>
    void Listed(SourceObject listed) { }

    /// <summary>The producer (the listing, or a saved plan) has delivered its last item; executions may still be running.</summary>
    void ListingDone() { }
}

/// <summary>Fans every event out to the subscribers, in subscription order.</summary>
internal sealed class OutcomeStream(IEnumerable<ITransferObserver> observers) : ITransferObserver
{
    private readonly ITransferObserver[] _observers = observers.ToArray();

    public void Decided(TransferItem item) { foreach (var o in _observers) o.Decided(item); }
    public void Started(TransferItem item) { foreach (var o in _observers) o.Started(item); }
    public void Finished(TransferItem item, ItemOutcome outcome) { foreach (var o in _observers) o.Finished(item, outcome); }
    public void Listed(SourceObject listed) { foreach (var o in _observers) o.Listed(listed); }
    public void ListingDone() { foreach (var o in _observers) o.ListingDone(); }
}
