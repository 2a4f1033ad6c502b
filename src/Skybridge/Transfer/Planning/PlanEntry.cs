using Skybridge.Transfer.Execution;

namespace Skybridge.Transfer.Planning;

/// <summary>
/// One entry of a saved plan: an item the plan run decided, with the outcome it settled there (a
/// skip, a failure) or none when the item is still to be executed (a copy or a delete).
/// </summary>
/// <param name="Item">The decided item, as the planner made it.</param>
/// <param name="Settled">What the plan run settled for it; null: execute it when the plan is applied.</param>
public sealed record PlanEntry(TransferItem Item, ItemOutcome? Settled);
