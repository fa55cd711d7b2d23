using System.Globalization;

namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>
/// Our subset of expr-lang, enough for analysis conditions as Argo Rollouts' documentation and users write them:
/// numbers, strings, <c>true</c>/<c>false</c>/<c>nil</c>, lists <c>[1, 2]</c>; <c>result</c>; indexing
/// <c>result[0]</c> (negative from the end); <c>+ - * / % **</c>; <c>== != &lt; &lt;= &gt; &gt;=</c>, <c>in</c>;
/// <c>&amp;&amp; || !</c> and <c>and or not</c>; <c>c ? a : b</c>; and the functions <c>len isNaN isInf default
/// abs ceil floor round sum mean min max first last asInt asFloat int float</c> plus the predicates
/// <c>all any none one filter map count</c> whose second argument is a closure over <c>#</c> (<c>{# &lt; 0.5}</c> or
/// bare <c># &lt; 0.5</c>). One leniency beyond expr-lang: a one-element list compared with a number compares its
/// element, so the older Argo examples written <c>result &gt;= 0.95</c> for a <c>sum(...)</c> query work.
/// Nothing can call code other than these fixed functions; expressions are limited in length and depth.
/// </summary>
public sealed class ExprConditionEvaluator : IConditionEvaluator
{
    public const int MaxLength = 2048;

    public void Validate(string expression) => ExprParser.Parse(expression);

    public bool Evaluate(string expression, object? result)
    {
        var node = ExprParser.Parse(expression);
        var value = new ExprInterpreter(Normalize(result)).Eval(node, null);
        return value is bool b ? b : throw new ConditionException($"'{expression}' gave {ExprInterpreter.Show(value)}, not true or false");
    }

    private static object? Normalize(object? result) => result switch
    {
        IEnumerable<double> list => list.Select(d => (object?)d).ToList(),
        int i => (double)i,
        _ => result,
    };
}

/// <summary>A parsed expression node.</summary>
internal abstract record Node;

internal sealed record Literal(object? Value) : Node;

internal sealed record Identifier(string Name) : Node;

internal sealed record Element : Node;

internal sealed record Index(Node Target, Node Key) : Node;

internal sealed record Unary(string Operator, Node Operand) : Node;

internal sealed record Binary(string Operator, Node Left, Node Right) : Node;

internal sealed record Ternary(Node Condition, Node Then, Node Else) : Node;

internal sealed record Call(string Name, IReadOnlyList<Node> Arguments) : Node;

internal sealed record ListLiteral(IReadOnlyList<Node> Items) : Node;

/// <summary>Recursive-descent parser of the subset (precedence as expr-lang: ternary, or, and, not, comparison, additive, multiplicative, power, unary, postfix).</summary>
internal sealed class ExprParser
{
    private const int MaxDepth = 48;
    private readonly string _text;
    private readonly List<(string Kind, string Text, int At)> _tokens;
    private int _pos;
    private int _depth;

    private ExprParser(string text)
    {
        _text = text;
        _tokens = Tokenize(text);
    }

    public static Node Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ConditionException("the condition is empty");
        }

        if (text.Length > ExprConditionEvaluator.MaxLength)
        {
            throw new ConditionException($"the condition is longer than {ExprConditionEvaluator.MaxLength} characters");
        }

        var parser = new ExprParser(text);
        var node = parser.Ternary();
        if (parser._pos < parser._tokens.Count)
        {
            throw parser.Error($"unexpected '{parser._tokens[parser._pos].Text}'");
        }

        return node;
    }

    private Node Ternary()
    {
        if (++_depth > MaxDepth)
        {
            throw Error("the condition nests too deeply");
        }

        var condition = Or();
        if (Accept("?"))
        {
            var then = Ternary();
            Expect(":");
            condition = new Ternary(condition, then, Ternary());
        }

        _depth--;
        return condition;
    }

    private Node Or()
    {
        var left = And();
        while (Accept("||") || Accept("or"))
        {
            left = new Binary("||", left, And());
        }

        return left;
    }

    private Node And()
    {
        var left = Not();
        while (Accept("&&") || Accept("and"))
        {
            left = new Binary("&&", left, Not());
        }

        return left;
    }

    private Node Not() => Accept("!") || Accept("not") ? new Unary("!", Not()) : Comparison();

    private Node Comparison()
    {
        var left = Additive();
        while (Peek() is "==" or "!=" or "<" or "<=" or ">" or ">=" or "in")
        {
            var op = _tokens[_pos++].Text;
            left = new Binary(op, left, Additive());
        }

        return left;
    }

    private Node Additive()
    {
        var left = Multiplicative();
        while (Peek() is "+" or "-")
        {
            var op = _tokens[_pos++].Text;
            left = new Binary(op, left, Multiplicative());
        }

        return left;
    }

    private Node Multiplicative()
    {
        var left = Power();
        while (Peek() is "*" or "/" or "%")
        {
            var op = _tokens[_pos++].Text;
            left = new Binary(op, left, Power());
        }

        return left;
    }

    private Node Power()
    {
        var left = UnaryMinus();
        return Accept("**") || Accept("^") ? new Binary("**", left, Power()) : left;
    }

    private Node UnaryMinus() => Accept("-") ? new Unary("-", UnaryMinus()) : Accept("+") ? UnaryMinus() : Postfix();

    private Node Postfix()
    {
        var node = Primary();
        while (Accept("["))
        {
            node = new Index(node, Ternary());
            Expect("]");
        }

        return node;
    }

    private Node Primary()
    {
        if (_pos >= _tokens.Count)
        {
            throw Error("the condition ends too early");
        }

        var (kind, text, _) = _tokens[_pos++];
        switch (kind)
        {
            case "number":
                return new Literal(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
            case "string":
                return new Literal(text);
            case "name" when text is "true" or "false":
                return new Literal(text == "true");
            case "name" when text is "nil" or "null":
                return new Literal(null);
            case "name" when Accept("("):
                var args = new List<Node>();
                if (!Accept(")"))
                {
                    do
                    {
                        args.Add(Ternary());
                    }
                    while (Accept(","));
                    Expect(")");
                }

                return new Call(text, args);
            case "name":
                return new Identifier(text);
            case "op" when text == "#":
                return new Element();
            case "op" when text == "(":
                var inner = Ternary();
                Expect(")");
                return inner;
            case "op" when text == "{":
                var body = Ternary();
                Expect("}");
                return body;
            case "op" when text == "[":
                var items = new List<Node>();
                if (!Accept("]"))
                {
                    do
                    {
                        items.Add(Ternary());
                    }
                    while (Accept(","));
                    Expect("]");
                }

                return new ListLiteral(items);
            default:
                _pos--;
                throw Error($"unexpected '{text}'");
        }
    }

    private string? Peek() => _pos < _tokens.Count && _tokens[_pos].Kind is "op" or "name" ? _tokens[_pos].Text : null;

    private bool Accept(string text)
    {
        if (_pos < _tokens.Count && _tokens[_pos].Kind is "op" or "name" && _tokens[_pos].Text == text)
        {
            _pos++;
            return true;
        }

        return false;
    }

    private void Expect(string text)
    {
        if (!Accept(text))
        {
            throw Error(_pos < _tokens.Count ? $"expected '{text}' but found '{_tokens[_pos].Text}'" : $"expected '{text}' at the end");
        }
    }

    private ConditionException Error(string why) =>
        new($"'{_text}': {why}" + (_pos < _tokens.Count ? $" at character {_tokens[_pos].At + 1}" : string.Empty));

    private static readonly string[] Operators = ["**", "==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "^", "!", "?", ":", "(", ")", "[", "]", "{", "}", ",", "#"];

    private static List<(string Kind, string Text, int At)> Tokenize(string text)
    {
        var tokens = new List<(string, string, int)>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsDigit(c) || (c == '.' && i + 1 < text.Length && char.IsDigit(text[i + 1])))
            {
                var start = i;
                while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.' || text[i] == '_'))
                {
                    i++;
                }

                if (i < text.Length && text[i] is 'e' or 'E')
                {
                    i++;
                    if (i < text.Length && text[i] is '+' or '-')
                    {
                        i++;
                    }

                    while (i < text.Length && char.IsDigit(text[i]))
                    {
                        i++;
                    }
                }

                var number = text[start..i].Replace("_", string.Empty, StringComparison.Ordinal);
                if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    throw new ConditionException($"'{text}': '{text[start..i]}' is not a number at character {start + 1}");
                }

                tokens.Add(("number", number, start));
            }
            else if (c is '\'' or '"')
            {
                var start = i++;
                var s = new System.Text.StringBuilder();
                while (i < text.Length && text[i] != c)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    s.Append(text[i++]);
                }

                if (i >= text.Length)
                {
                    throw new ConditionException($"'{text}': the string starting at character {start + 1} is not closed");
                }

                i++;
                tokens.Add(("string", s.ToString(), start));
            }
            else if (char.IsLetter(c) || c == '_' || c == '$')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '$'))
                {
                    i++;
                }

                tokens.Add(("name", text[start..i], start));
            }
            else if (Operators.FirstOrDefault(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0) is { } op)
            {
                tokens.Add(("op", op, i));
                i += op.Length;
            }
            else
            {
                throw new ConditionException($"'{text}': unexpected '{c}' at character {i + 1}");
            }
        }

        return tokens;
    }
}
