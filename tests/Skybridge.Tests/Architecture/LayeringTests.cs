using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Skybridge.Tests.Architecture;

/// <summary>
/// The folders ARCHITECTURE.md names keep their dependencies: the engine (plan, execute, outcomes,
/// jobs) sees no SDK and no provider, and each provider sees only its own cloud's SDK. Read from
/// the sources, so a new file that breaks the rule fails here with its name and line.
/// </summary>
public sealed partial class LayeringTests
{
    public static TheoryData<string, string> Rules => new()
    {
        { "src/Skybridge/Transfer", @"^(Amazon|Azure)\b|^Skybridge\.(Providers|Identity|Setup)\b" },
        { "src/Skybridge/Jobs", @"^(Amazon|Azure)\b|^Skybridge\.(Providers|Identity|Setup)\b" },
        { "src/Skybridge/Providers/S3", @"^Azure\b|^Skybridge\.Providers\.AzureBlob\b" },
        { "src/Skybridge/Providers/AzureBlob", @"^Amazon\b|^Skybridge\.Providers\.S3\b" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void A_folder_uses_no_namespace_it_must_not(string folder, string forbidden)
    {
        var root = Path.Combine(RepositoryRoot(), folder);
        var files = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var rule = new Regex(forbidden);
        var breaches = (
            from file in files
            from line in File.ReadLines(file).Select((text, n) => (text, n: n + 1))
            let used = Used(line.text)
            where used is not null && rule.IsMatch(used)
            select $"{Path.GetRelativePath(root, file)}:{line.n}: {used}").ToList();
        Assert.True(breaches.Count == 0, $"{folder} must not use {forbidden}:\n" + string.Join("\n", breaches));
    }

    [Fact]
    public void The_rule_sees_usings_and_fully_qualified_names_but_not_comments()
    {
        Assert.Equal("Amazon.S3", Used("using Amazon.S3;"));
        Assert.Equal("Azure.Storage.Blobs.BlobClient", Used("    var c = (Azure.Storage.Blobs.BlobClient)x;"));
        Assert.Equal("Skybridge.Providers.AzureBlob.BlobNamePolicy.Map", Used("  Skybridge.Providers.AzureBlob.BlobNamePolicy.Map(k);"));
        Assert.Null(Used("    /// <summary>Azure.Storage.Blobs does this.</summary>"));
        Assert.Null(Used("    // Amazon.S3 retries on its own"));
        Assert.Null(Used("    var s = \"Azure.Storage\";"));
    }

    /// <summary>The namespace-qualified name a code line uses (a using, or a qualified reference), or null.</summary>
    private static string? Used(string line)
    {
        var code = line.TrimStart();
        if (code.StartsWith("//", StringComparison.Ordinal)) return null;
        code = Strings().Replace(code, "\"\"");
        var usingMatch = Using().Match(code);
        if (usingMatch.Success) return usingMatch.Groups[1].Value;
        var qualified = Qualified().Match(code);
        return qualified.Success ? qualified.Value : null;
    }

    [GeneratedRegex(@"^(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?([\w.]+)\s*;")]
    private static partial Regex Using();

    [GeneratedRegex(@"(?<![\w.])(?:Amazon|Azure|Skybridge\.Providers|Skybridge\.Identity|Skybridge\.Setup)(?:\.\w+)+")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex Strings();

    private static string RepositoryRoot([CallerFilePath] string path = "")
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(path)!); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Skybridge.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Skybridge.sln above {path}");
    }
}
