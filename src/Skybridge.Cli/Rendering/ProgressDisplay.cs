using Spectre.Console;
using Spectre.Console.Rendering;
using Skybridge.Diagnostics;
using Skybridge.Transfer;

namespace Skybridge.Cli.Rendering;

/// <summary>
/// Shows a run's <see cref="TransferStats"/> while it goes: a live Spectre.Console panel when
/// stderr is a terminal, otherwise one plain line on stderr every few seconds (logs, CI). Never
/// writes to stdout, which belongs to the summary (and --output json).
/// </summary>
internal sealed class ProgressDisplay : IAsyncDisposable
{
    private readonly TransferStats _stats;
    private readonly string _verb;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ProgressDisplay(TransferStats stats, string verb, TextWriter stderr, bool live, TimeSpan interval)
    {
        _stats = stats;
        _verb = verb;
        _loop = live ? LiveAsync(stderr) : PlainAsync(stderr, interval);
    }

    public static ProgressDisplay Start(TransferStats stats, string verb, TextWriter stderr, bool interactive, TimeSpan? interval = null)
        => new(stats, verb, stderr, interactive, interval ?? TimeSpan.FromSeconds(5));

    private async Task PlainAsync(TextWriter stderr, TimeSpan interval)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, _stop.Token);
                await stderr.WriteLineAsync(PlainLine(_stats, _verb));
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task LiveAsync(TextWriter stderr)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });
        try
        {
            await console.Live(Render()).AutoClear(false).StartAsync(async live =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    live.UpdateTarget(Render());
                    try { await Task.Delay(250, _stop.Token); } catch (OperationCanceledException) { }
                }
                live.UpdateTarget(Render());
            });
        }
        catch (Exception)
        {
            // A display problem must never fail the copy.
        }
    }

    private IRenderable Render()
    {
        var s = _stats;
        var table = new Table().NoBorder().HideHeaders().AddColumn("k").AddColumn("v");
        var done = s.Copied + s.Failed;
        table.AddRow("[bold]objects[/]", $"{done:N0} / {s.ToCopy:N0} to copy{(s.ListingDone ? "" : " (listing…)")}, {s.Skipped:N0} skipped, {s.Listed:N0} listed");
        table.AddRow("[bold]bytes[/]", $"{Format.Bytes(s.BytesMoved)} / {Format.Bytes(s.BytesToCopy)}");
        table.AddRow("[bold]rate[/]", $"{Format.Bytes((long)s.Rate)}/s, ETA {(s.ListingDone && s.Eta is { } eta ? Format.Duration(eta) : "…")}, elapsed {Format.Duration(s.Elapsed)}");
        table.AddRow("[bold]errors[/]", s.Failed == 0 ? "0" : $"[red]{s.Failed:N0}[/] — last: {Markup.Escape(DisplayName.Escape(s.Errors.LastOrDefault()))}");
        double ratio = s.BytesToCopy > 0 ? Math.Min(1, (double)s.BytesMoved / s.BytesToCopy) : s.ListingDone ? 1 : 0;
        var bar = new BreakdownChart().Width(50).HideTags()
            .AddItem("done", Math.Round(ratio * 100, 1), Color.Green)
            .AddItem("left", Math.Round((1 - ratio) * 100, 1), Color.Grey);
        return new Panel(new Rows(table, bar)).Header(Markup.Escape(_verb)).RoundedBorder();
    }

    internal static string PlainLine(TransferStats s, string verb)
        => $"{verb}: {s.Copied + s.Failed:N0}/{s.ToCopy:N0} objects{(s.ListingDone ? "" : "+")}, {Format.Bytes(s.BytesMoved)}/{Format.Bytes(s.BytesToCopy)}, " +
           $"{Format.Bytes((long)s.Rate)}/s, skipped {s.Skipped:N0}, errors {s.Failed:N0}, elapsed {Format.Duration(s.Elapsed)}" +
           (s.ListingDone && s.Eta is { } eta ? $", ETA {Format.Duration(eta)}" : "");

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>Human formats shared by progress and summary.</summary>
internal static class Format
{
    public static string Bytes(long n)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{n} B" : $"{v:0.0} {units[u]}";
    }

    public static string Duration(TimeSpan t)
        => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:0.0}s";
}
