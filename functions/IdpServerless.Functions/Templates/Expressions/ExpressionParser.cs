using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Templates.Expressions;

/// <summary>A template expression could not be parsed or evaluated; the message names the expression and why.</summary>
public sealed class TemplateExpressionException(string message) : Exception(message);

/// <summary>A node of a parsed expression.</summary>
internal abstract record Expr;

internal sealed record LiteralExpr(JsonNode? Value) : Expr;

/// <summary><c>root.a['b'][0]</c>: a root name and member/index accesses (each an expression, usually a literal).</summary>
internal sealed record PathExpr(string Root, IReadOnlyList<Expr> Members) : Expr;

/// <summary><c>(expression).member</c> or <c>(expression)[key]</c>.</summary>
internal sealed record MemberExpr(Expr Target, Expr Key) : Expr;

internal sealed record FilterExpr(Expr Target, string Name, IReadOnlyList<Expr> Arguments) : Expr;

internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right) : Expr;

internal sealed record NotExpr(Expr Operand) : Expr;

internal sealed record ArrayExpr(IReadOnlyList<Expr> Items) : Expr;

internal sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else) : Expr;

/// <summary>
/// Parses the small, safe expression language of templates (a subset of Nunjucks as Backstage uses it): paths
/// (<c>parameters.name</c>, <c>steps['publish'].output.remoteUrl</c>), string/number/boolean/null literals, lists,
/// comparisons, <c>and</c>/<c>or</c>/<c>not</c>, <c>~</c> concatenation, inline <c>a if c else b</c> and filters
/// (<c>| lower</c>, <c>| replace('a', 'b')</c>). Nothing can call code other than the fixed filters.
/// </summary>
internal sealed class ExpressionParser
{
    public const int MaxLength = 4096;
    private const int MaxDepth = 64;
    private readonly string _text;
    private readonly List<Token> _tokens;
    private int _pos;
    private int _depth;

    private ExpressionParser(string text)
    {
        _text = text;
        _tokens = Tokenize(text);
    }

    public static Expr Parse(string text)
    {
        if (text.Length > MaxLength)
        {
            throw new TemplateExpressionException($"Expression is longer than {MaxLength} characters.");
        }

        var parser = new ExpressionParser(text);
        var expr = parser.ParseConditional();
        if (parser.Peek().Kind != TokenKind.End)
        {
            throw parser.Error($"unexpected '{parser.Peek().Text}'");
        }

        return expr;
    }

    private Expr ParseConditional()
    {
        var value = ParseOr();
        if (IsWord("if"))
        {
            _pos++;
            var condition = ParseOr();
            Expr? otherwise = null;
            if (IsWord("else"))
            {
                _pos++;
                otherwise = ParseConditional();
            }

            return new ConditionalExpr(condition, value, otherwise);
        }

        return value;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (IsWord("or") || IsSymbol("||"))
        {
            _pos++;
            left = new BinaryExpr("or", left, ParseAnd());
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (IsWord("and") || IsSymbol("&&"))
        {
            _pos++;
            left = new BinaryExpr("and", left, ParseNot());
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (IsWord("not") || IsSymbol("!"))
        {
            _pos++;
            Enter();
            var operand = ParseNot();
            _depth--;
            return new NotExpr(operand);
        }

        return ParseComparison();
    }

    private Expr ParseComparison()
    {
        var left = ParseConcat();
        while (Peek() is { Kind: TokenKind.Symbol, Text: "==" or "!=" or "===" or "!==" or "<" or "<=" or ">" or ">=" } op)
        {
            _pos++;
            var name = op.Text switch { "===" => "==", "!==" => "!=", _ => op.Text };
            left = new BinaryExpr(name, left, ParseConcat());
        }

        if (IsWord("in"))
        {
            _pos++;
            left = new BinaryExpr("in", left, ParseConcat());
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseFiltered();
        while (IsSymbol("~") || IsSymbol("+"))
        {
            var op = Peek().Text;
            _pos++;
            left = new BinaryExpr(op, left, ParseFiltered());
        }

        return left;
    }

    private Expr ParseFiltered()
    {
        var target = ParsePostfix();
        while (IsSymbol("|"))
        {
            _pos++;
            var name = Expect(TokenKind.Identifier, "a filter name").Text;
            var args = new List<Expr>();
            if (IsSymbol("("))
            {
                _pos++;
                args.AddRange(ParseList(")"));
            }

            target = new FilterExpr(target, name, args);
        }

        return target;
    }

    private Expr ParsePostfix()
    {
        var token = Peek();
        Enter();
        try
        {
            switch (token.Kind)
            {
                case TokenKind.String:
                    _pos++;
                    return new LiteralExpr(JsonValue.Create(token.Text));
                case TokenKind.Number:
                    _pos++;
                    return new LiteralExpr(double.Parse(token.Text, CultureInfo.InvariantCulture) is var d && d == Math.Floor(d) && Math.Abs(d) < 1e15
                        ? JsonValue.Create((long)d) : JsonValue.Create(d));
                case TokenKind.Symbol when token.Text == "(":
                    _pos++;
                    Expr inner = ParseConditional();
                    Expect(TokenKind.Symbol, "')'", ")");
                    foreach (var key in ParseMembers("(group)").Members)
                    {
                        inner = new MemberExpr(inner, key);
                    }

                    return inner;
                case TokenKind.Symbol when token.Text == "[":
                    _pos++;
                    return new ArrayExpr(ParseList("]"));
                case TokenKind.Identifier:
                    _pos++;
                    return token.Text switch
                    {
                        "true" or "True" => new LiteralExpr(JsonValue.Create(true)),
                        "false" or "False" => new LiteralExpr(JsonValue.Create(false)),
                        "null" or "none" or "None" or "undefined" => new LiteralExpr(null),
                        _ => ParseMembers(token.Text),
                    };
                default:
                    throw Error(token.Kind == TokenKind.End ? "unexpected end of expression" : $"unexpected '{token.Text}'");
            }
        }
        finally
        {
            _depth--;
        }
    }

    private PathExpr ParseMembers(string root)
    {
        var members = new List<Expr>();
        while (true)
        {
            if (IsSymbol("."))
            {
                _pos++;
                var name = Peek();
                if (name.Kind is not (TokenKind.Identifier or TokenKind.Number))
                {
                    throw Error("expected a member name after '.'");
                }

                _pos++;
                members.Add(new LiteralExpr(JsonValue.Create(name.Text)));
            }
            else if (IsSymbol("["))
            {
                _pos++;
                members.Add(ParseConditional());
                Expect(TokenKind.Symbol, "']'", "]");
            }
            else
            {
                return new PathExpr(root, members);
            }
        }
    }

    private List<Expr> ParseList(string close)
    {
        var items = new List<Expr>();
        if (IsSymbol(close))
        {
            _pos++;
            return items;
        }

        while (true)
        {
            items.Add(ParseConditional());
            if (IsSymbol(","))
            {
                _pos++;
                continue;
            }

            Expect(TokenKind.Symbol, $"'{close}'", close);
            return items;
        }
    }

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw Error("expression is nested too deeply");
        }
    }

    private Token Peek() => _tokens[Math.Min(_pos, _tokens.Count - 1)];

    private bool IsSymbol(string text) => Peek() is { Kind: TokenKind.Symbol } t && t.Text == text;

    private bool IsWord(string text) => Peek() is { Kind: TokenKind.Identifier } t && t.Text == text;

    private Token Expect(TokenKind kind, string what, string? text = null)
    {
        var t = Peek();
        if (t.Kind != kind || (text is not null && t.Text != text))
        {
            throw Error($"expected {what} but found {(t.Kind == TokenKind.End ? "the end" : $"'{t.Text}'")}");
        }

        _pos++;
        return t;
    }

    private TemplateExpressionException Error(string why) => new($"Cannot parse '{_text}': {why}.");

    private enum TokenKind
    {
        Identifier,
        String,
        Number,
        Symbol,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text);

    private static readonly string[] Symbols = ["===", "!==", "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", ",", "|", "~", "+"];

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiLetter(c) || c is '_' or '$')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '$' or '-'))
                {
                    i++;
                }

                // A trailing '-' belongs to no identifier (kept simple: names never end with '-').
                while (text[i - 1] == '-')
                {
                    i--;
                }

                tokens.Add(new Token(TokenKind.Identifier, text[start..i]));
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || (text[i] == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Number, text[start..i]));
            }
            else if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new TemplateExpressionException($"Cannot parse '{text}': unterminated string.");
                    }

                    var ch = text[i++];
                    if (ch == c)
                    {
                        break;
                    }

                    if (ch == '\\' && i < text.Length)
                    {
                        var e = text[i++];
                        sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => e });
                    }
                    else
                    {
                        sb.Append(ch);
                    }
                }

                tokens.Add(new Token(TokenKind.String, sb.ToString()));
            }
            else
            {
                var symbol = Symbols.FirstOrDefault(s => string.CompareOrdinal(text, i, s, 0, s.Length) == 0)
                    ?? throw new TemplateExpressionException($"Cannot parse '{text}': unexpected character '{c}'.");
                tokens.Add(new Token(TokenKind.Symbol, symbol));
                i += symbol.Length;
            }
        }

        tokens.Add(new Token(TokenKind.End, string.Empty));
        return tokens;
    }
}
