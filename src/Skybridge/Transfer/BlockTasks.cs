using System.Runtime.ExceptionServices;

namespace Skybridge.Transfer;

/// <summary>The blocks of one object, each a task: waiting for them the same way in every copier.</summary>
internal static class BlockTasks
{
    /// <summary>
    /// Waits for every block; when one failed, throws its exception (the root cause), not the
    /// cancellations it triggered in its siblings; then honours <paramref name="ct"/>.
    /// </summary>
    public static async Task WhenAllAsync(IReadOnlyCollection<Task> tasks, CancellationToken ct)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            var root = tasks.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (root is not null) ExceptionDispatchInfo.Throw(root);
            throw;
        }
        ct.ThrowIfCancellationRequested();
    }
}
