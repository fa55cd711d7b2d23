using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Templates.Expressions;

/// <summary>
/// Evaluates parsed expressions against a scope of JSON values (<c>parameters</c>, <c>steps</c>, <c>user</c>,
/// <c>values</c>, loop variables). Missing members evaluate to null, as in Nunjucks; nothing else is reachable.
/// </summary>
public static class ExpressionEvaluator
{
    private const int MaxCachedExpressions = 4096;
    private static readonly ConcurrentDictionary<string, Expr> Cache = new(StringComparer.Ordinal);

    /// <summary>Evaluates <paramref name="expression"/> (without the <c>${{ }}</c>) in <paramref name="scope"/>.</summary>
    public static JsonNode? Evaluate(string expression, ExpressionScope scope)
    {
        if (!Cache.TryGetValue(expression, out var expr))
        {
            expr = ExpressionParser.Parse(expression);
            if (Cache.Count < MaxCachedExpressions)
            {
                Cache[expression] = expr;
            }
        }

        return Eval(expr, scope, expression);
    }

    /// <summary>JavaScript truthiness: null, false, 0, NaN and "" are false; everything else (empty lists too) is true.</summary>
    public static bool IsTruthy(JsonNode? value) => value switch
    {
        null => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length > 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => Num(v) is var d && d != 0 && !double.IsNaN(d),
        _ => true,
    };

    /// <summary>The text form used when a value is interpolated into a string: strings as-is, others as JSON, null as empty.</summary>
    public static string ToText(JsonNode? value) => value switch
    {
        null => string.Empty,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => FormatNumber(Num(v)),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
        _ => value.ToJsonString(),
    };

    internal static string FormatNumber(double d) =>
        d == Math.Floor(d) && Math.Abs(d) < 1e15 ? ((long)d).ToString(CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);

    private static JsonNode? Eval(Expr expr, ExpressionScope scope, string source) => expr switch
    {
        LiteralExpr l => l.Value?.DeepClone(),
        PathExpr p => EvalPath(p, scope, source),
        MemberExpr m => Member(Eval(m.Target, scope, source), Eval(m.Key, scope, source)),
        ArrayExpr a => new JsonArray(a.Items.Select(i => Detach(Eval(i, scope, source))).ToArray()),
        NotExpr n => JsonValue.Create(!IsTruthy(Eval(n.Operand, scope, source))),
        ConditionalExpr c => IsTruthy(Eval(c.Condition, scope, source)) ? Eval(c.Then, scope, source) : c.Else is null ? null : Eval(c.Else, scope, source),
        BinaryExpr b => EvalBinary(b, scope, source),
        FilterExpr f => TemplateFilters.Apply(f.Name, Eval(f.Target, scope, source), f.Arguments.Select(a => Eval(a, scope, source)).ToList(), source),
        _ => throw new TemplateExpressionException($"Cannot evaluate '{source}'."),
    };

    private static JsonNode? EvalPath(PathExpr path, ExpressionScope scope, string source)
    {
        var current = scope.Resolve(path.Root);
        foreach (var member in path.Members)
        {
            current = Member(current, Eval(member, scope, source));
            if (current is null)
            {
                return null;
            }
        }

        return current;
    }

    private static JsonNode? Member(JsonNode? current, JsonNode? key) => current switch
    {
        JsonObject o when key is JsonValue kv => o[ToText(kv)],
        JsonArray a when key is JsonValue iv && iv.GetValueKind() == JsonValueKind.Number && Num(iv) is var d && d >= 0 && d < a.Count && d == Math.Floor(d) => a[(int)d],
        JsonArray a when key is JsonValue lv && ToText(lv) == "length" => JsonValue.Create(a.Count),
        JsonValue s when s.GetValueKind() == JsonValueKind.String && key is JsonValue sv && ToText(sv) == "length" => JsonValue.Create(s.GetValue<string>().Length),
        _ => null,
    };

    private static JsonNode? EvalBinary(BinaryExpr b, ExpressionScope scope, string source)
    {
        var left = Eval(b.Left, scope, source);
        switch (b.Operator)
        {
            case "and":
                return IsTruthy(left) ? Eval(b.Right, scope, source) : left;
            case "or":
                return IsTruthy(left) ? left : Eval(b.Right, scope, source);
        }

        var right = Eval(b.Right, scope, source);
        return b.Operator switch
        {
            "==" => JsonValue.Create(JsonNode.DeepEquals(left, right)),
            "!=" => JsonValue.Create(!JsonNode.DeepEquals(left, right)),
            "<" or "<=" or ">" or ">=" => JsonValue.Create(Compare(b.Operator, left, right)),
            "~" => JsonValue.Create(ToText(left) + ToText(right)),
            "+" when IsNumber(left) && IsNumber(right) => JsonValue.Create(Num(left!) + Num(right!)),
            "+" => JsonValue.Create(ToText(left) + ToText(right)),
            "in" => JsonValue.Create(right switch
            {
                JsonArray a => a.Any(i => JsonNode.DeepEquals(i, left)),
                JsonObject o => o.ContainsKey(ToText(left)),
                JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>().Contains(ToText(left), StringComparison.Ordinal),
                _ => false,
            }),
            _ => throw new TemplateExpressionException($"Cannot evaluate '{source}': unknown operator '{b.Operator}'."),
        };
    }

    private static bool Compare(string op, JsonNode? left, JsonNode? right)
    {
        int c;
        if (IsNumber(left) && IsNumber(right))
        {
            c = Num(left!).CompareTo(Num(right!));
        }
        else
        {
            c = string.CompareOrdinal(ToText(left), ToText(right));
        }

        return op switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, _ => c >= 0 };
    }

    internal static bool IsNumber(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.Number;

    /// <summary>A JSON number as a double, whatever CLR type backs the node.</summary>
    internal static double Num(JsonNode n) =>
        n is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.Parse(n.ToJsonString(), CultureInfo.InvariantCulture);

    /// <summary>A copy that can be attached to a new parent.</summary>
    internal static JsonNode? Detach(JsonNode? node) => node?.Parent is null ? node : node.DeepClone();
}

/// <summary>Names visible to expressions: a root object's members, shadowed by loop variables.</summary>
public sealed class ExpressionScope
{
    private readonly JsonObject _root;
    private readonly ExpressionScope? _parent;
    private readonly Dictionary<string, JsonNode?> _locals = new(StringComparer.Ordinal);

    public ExpressionScope(JsonObject root)
        : this(root, null)
    {
    }

    private ExpressionScope(JsonObject root, ExpressionScope? parent)
    {
        _root = root;
        _parent = parent;
    }

    /// <summary>A child scope with <paramref name="name"/> bound (for <c>{% for %}</c>).</summary>
    public ExpressionScope With(string name, JsonNode? value)
    {
        var child = new ExpressionScope(_root, this);
        child._locals[name] = value;
        return child;
    }

    internal JsonNode? Resolve(string name)
    {
        for (var s = this; s is not null; s = s._parent)
        {
            if (s._locals.TryGetValue(name, out var v))
            {
                return v;
            }
        }

        return _root[name];
    }
}
