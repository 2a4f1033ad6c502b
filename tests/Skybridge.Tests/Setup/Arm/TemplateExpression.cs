using System.Text;

namespace Skybridge.Tests.Setup.Arm;

/// <summary>A parsed template expression: a function call, a member access, an index, or a literal.</summary>
public abstract record ExprNode;
public sealed record CallNode(string Function, IReadOnlyList<ExprNode> Arguments) : ExprNode;
public sealed record MemberNode(ExprNode Target, string Member) : ExprNode;
public sealed record IndexNode(ExprNode Target, ExprNode Index) : ExprNode;
public sealed record LiteralNode(object? Value) : ExprNode;

/// <summary>
/// A small recursive-descent parser for the expression language ARM templates (<c>[concat(a, 'b')]</c>)
/// and Data Factory (<c>@activity('X').output.y</c>, <c>@{...}</c> interpolation) share: function
/// calls, '' -escaped string literals, numbers, member access (also <c>?.</c>) and indexers.
/// Throws <see cref="FormatException"/> with the position on anything else.
/// </summary>
public sealed class TemplateExpression
{
    private readonly string _text;
    private int _pos;

    private TemplateExpression(string text) => _text = text;

    public static ExprNode Parse(string text)
    {
        var p = new TemplateExpression(text);
        var node = p.ParseExpression();
        p.SkipSpace();
        if (p._pos != text.Length) throw p.Error("unexpected text after the expression");
        return node;
    }

    /// <summary>The ARM expression in a string value, or null for a literal ("[[" escapes a leading bracket).</summary>
    public static ExprNode? ParseArm(string value)
    {
        if (!value.StartsWith('[') || value.StartsWith("[[", StringComparison.Ordinal)) return null;
        if (!value.EndsWith(']')) throw new FormatException($"ARM expression without closing ']': {value}");
        return Parse(value[1..^1]);
    }

    /// <summary>
    /// The Data Factory expressions in a string value: the whole value after '@', or each
    /// <c>@{...}</c> part of an interpolated string ("@@" escapes a leading '@').
    /// </summary>
    public static IReadOnlyList<ExprNode> ParseAdf(string value)
    {
        if (value.StartsWith("@@", StringComparison.Ordinal)) return [];
        if (value.StartsWith('@') && !value.StartsWith("@{", StringComparison.Ordinal)) return [Parse(value[1..])];
        var result = new List<ExprNode>();
        for (var i = value.IndexOf("@{", StringComparison.Ordinal); i >= 0; i = value.IndexOf("@{", i, StringComparison.Ordinal))
        {
            var end = FindClosingBrace(value, i + 2);
            result.Add(Parse(value[(i + 2)..end]));
            i = end + 1;
        }
        return result;
    }

    /// <summary>Every node of the tree, depth first.</summary>
    public static IEnumerable<ExprNode> Walk(ExprNode node)
    {
        yield return node;
        var children = node switch
        {
            CallNode c => c.Arguments,
            MemberNode m => [m.Target],
            IndexNode i => [i.Target, i.Index],
            _ => (IReadOnlyList<ExprNode>)[],
        };
        foreach (var child in children)
            foreach (var n in Walk(child))
                yield return n;
    }

    /// <summary>The first string argument of every call to <paramref name="function"/>, e.g. parameters('x') -> x.</summary>
    public static IEnumerable<string> CallArguments(ExprNode node, string function) =>
        Walk(node).OfType<CallNode>()
            .Where(c => string.Equals(c.Function, function, StringComparison.OrdinalIgnoreCase))
            .Select(c => c.Arguments is [LiteralNode { Value: string s }, ..] ? s : throw new FormatException($"{function}() needs a literal name"));

    /// <summary>The member chain after a call, e.g. pipeline().parameters.x -> ["parameters", "x"].</summary>
    public static IEnumerable<IReadOnlyList<string>> MemberChains(ExprNode node, string function)
    {
        foreach (var n in Walk(node))
        {
            var chain = new List<string>();
            var cur = n;
            while (cur is MemberNode m) { chain.Insert(0, m.Member); cur = m.Target; }
            if (n is MemberNode && cur is CallNode { Arguments.Count: 0 } c && string.Equals(c.Function, function, StringComparison.OrdinalIgnoreCase))
                yield return chain;
        }
    }

    private static int FindClosingBrace(string value, int from)
    {
        var inString = false;
        for (var i = from; i < value.Length; i++)
        {
            if (value[i] == '\'') inString = !inString;
            else if (!inString && value[i] == '}') return i;
        }
        throw new FormatException($"'@{{' without closing '}}' in: {value}");
    }

    private ExprNode ParseExpression()
    {
        var node = ParsePrimary();
        while (true)
        {
            SkipSpace();
            if (Peek('?') && _pos + 1 < _text.Length && _text[_pos + 1] == '.') _pos++;
            if (Peek('.'))
            {
                _pos++;
                node = new MemberNode(node, Identifier());
            }
            else if (Peek('['))
            {
                _pos++;
                var index = ParseExpression();
                Expect(']');
                node = new IndexNode(node, index);
            }
            else return node;
        }
    }

    private ExprNode ParsePrimary()
    {
        SkipSpace();
        if (_pos >= _text.Length) throw Error("expression ends too early");
        var c = _text[_pos];
        if (c == '\'') return new LiteralNode(StringLiteral());
        if (char.IsDigit(c) || c == '-') return new LiteralNode(Number());
        if (char.IsLetter(c) || c == '_')
        {
            var name = Identifier();
            SkipSpace();
            if (name is "true" or "false" && !Peek('(')) return new LiteralNode(name == "true");
            if (name == "null" && !Peek('(')) return new LiteralNode(null);
            Expect('(');
            var args = new List<ExprNode>();
            SkipSpace();
            if (!Peek(')'))
            {
                do { args.Add(ParseExpression()); SkipSpace(); }
                while (TryConsume(','));
            }
            Expect(')');
            return new CallNode(name, args);
        }
        throw Error($"unexpected '{c}'");
    }

    private string StringLiteral()
    {
        _pos++; // opening quote
        var sb = new StringBuilder();
        while (_pos < _text.Length)
        {
            var c = _text[_pos++];
            if (c != '\'') { sb.Append(c); continue; }
            if (_pos < _text.Length && _text[_pos] == '\'') { sb.Append('\''); _pos++; continue; }
            return sb.ToString();
        }
        throw Error("string literal without closing quote");
    }

    private double Number()
    {
        var start = _pos;
        if (_text[_pos] == '-') _pos++;
        while (_pos < _text.Length && (char.IsDigit(_text[_pos]) || _text[_pos] == '.')) _pos++;
        return double.TryParse(_text[start.._pos], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : throw Error("bad number");
    }

    private string Identifier()
    {
        SkipSpace();
        var start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_')) _pos++;
        if (_pos == start) throw Error("identifier expected");
        return _text[start.._pos];
    }

    private void SkipSpace() { while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++; }
    private bool Peek(char c) => _pos < _text.Length && _text[_pos] == c;
    private bool TryConsume(char c) { SkipSpace(); if (!Peek(c)) return false; _pos++; return true; }
    private void Expect(char c) { SkipSpace(); if (!Peek(c)) throw Error($"'{c}' expected"); _pos++; }
    private FormatException Error(string what) => new($"{what} at position {_pos} of: {_text}");
}
