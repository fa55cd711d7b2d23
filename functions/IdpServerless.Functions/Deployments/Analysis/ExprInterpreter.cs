using System.Globalization;

namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>Evaluates a parsed condition with <c>result</c> bound; values are double, bool, string, null or lists of them.</summary>
internal sealed class ExprInterpreter(object? result)
{
    private static readonly HashSet<string> Predicates = ["all", "any", "none", "one", "filter", "map", "count"];

    public object? Eval(Node node, object? element) => node switch
    {
        Literal l => l.Value,
        Identifier { Name: "result" } => result,
        Identifier i => throw new ConditionException($"unknown name '{i.Name}': conditions see only 'result'"),
        Element => element ?? throw new ConditionException("'#' is only meaningful inside a predicate such as all(result, {# < 1})"),
        ListLiteral l => l.Items.Select(x => Eval(x, element)).ToList(),
        Index x => IndexOf(Eval(x.Target, element), Eval(x.Key, element)),
        Unary { Operator: "!" } u => !Bool(Eval(u.Operand, element), "!"),
        Unary u => -Number(Eval(u.Operand, element), "-"),
        Binary { Operator: "&&" } b => Bool(Eval(b.Left, element), "&&") && Bool(Eval(b.Right, element), "&&"),
        Binary { Operator: "||" } b => Bool(Eval(b.Left, element), "||") || Bool(Eval(b.Right, element), "||"),
        Binary b => Apply(b.Operator, Eval(b.Left, element), Eval(b.Right, element)),
        Ternary t => Bool(Eval(t.Condition, element), "?:") ? Eval(t.Then, element) : Eval(t.Else, element),
        Call c when Predicates.Contains(c.Name) => Predicate(c, element),
        Call c => Function(c.Name, c.Arguments.Select(a => Eval(a, element)).ToList()),
        _ => throw new ConditionException("unsupported expression"),
    };

    private object? Predicate(Call c, object? element)
    {
        if (c.Arguments.Count != 2)
        {
            throw new ConditionException($"{c.Name}(list, predicate) takes two arguments");
        }

        var list = List(Eval(c.Arguments[0], element), c.Name);
        var predicate = c.Arguments[1];
        bool Test(object? x) => Bool(Eval(predicate, x), c.Name);
        return c.Name switch
        {
            "all" => list.All(Test),
            "any" => list.Any(Test),
            "none" => !list.Any(Test),
            "one" => list.Count(Test) == 1,
            "count" => (double)list.Count(Test),
            "filter" => list.Where(Test).ToList(),
            _ => list.Select(x => Eval(predicate, x)).ToList(),
        };
    }

    private static object? Function(string name, List<object?> args)
    {
        object? Arg(int i) => i < args.Count ? args[i] : throw new ConditionException($"{name}() needs {i + 1} argument(s)");
        switch (name)
        {
            case "len":
                return Arg(0) switch
                {
                    List<object?> l => (double)l.Count,
                    string s => (double)s.Length,
                    null => 0d,
                    var other => throw new ConditionException($"len() of {Show(other)}"),
                };
            case "isNaN":
                return Arg(0) is double d && double.IsNaN(d);
            case "isInf":
                return Arg(0) is double inf && double.IsInfinity(inf);
            case "default":
                // Argo's default(): the fallback when the value is missing, NaN or an empty list.
                return Arg(0) switch
                {
                    null => Arg(1),
                    double v when double.IsNaN(v) => Arg(1),
                    List<object?> { Count: 0 } => Arg(1),
                    var v => v,
                };
            case "abs":
                return Math.Abs(Number(Arg(0), name));
            case "ceil":
                return Math.Ceiling(Number(Arg(0), name));
            case "floor":
                return Math.Floor(Number(Arg(0), name));
            case "round":
                return Math.Round(Number(Arg(0), name), MidpointRounding.AwayFromZero);
            case "int" or "asInt":
                return Math.Truncate(ToNumber(Arg(0), name));
            case "float" or "asFloat":
                return ToNumber(Arg(0), name);
            case "first":
                return List(Arg(0), name) is { Count: > 0 } f ? f[0] : null;
            case "last":
                return List(Arg(0), name) is { Count: > 0 } l2 ? l2[^1] : null;
            case "sum" or "mean" or "min" or "max":
                var numbers = (args.Count == 1 && args[0] is List<object?> one ? one : args).Select(x => Number(x, name)).ToList();
                if (numbers.Count == 0)
                {
                    return name == "sum" ? 0d : throw new ConditionException($"{name}() of an empty list");
                }

                return name switch { "sum" => numbers.Sum(), "mean" => numbers.Average(), "min" => numbers.Min(), _ => numbers.Max() };
            default:
                throw new ConditionException($"unknown function '{name}'");
        }
    }

    private static object? Apply(string op, object? left, object? right)
    {
        (left, right) = (Unwrap(left, right), Unwrap(right, left));
        switch (op)
        {
            case "==":
                return Equal(left, right);
            case "!=":
                return !Equal(left, right);
            case "in":
                return right switch
                {
                    List<object?> l => l.Any(x => Equal(x, left)),
                    string s when left is string sub => s.Contains(sub, StringComparison.Ordinal),
                    _ => throw new ConditionException($"'in' needs a list on the right, not {Show(right)}"),
                };
            case "+" when left is string || right is string:
                return Text(left) + Text(right);
        }

        if (left is string ls && right is string rs && op is "<" or "<=" or ">" or ">=")
        {
            var c = string.CompareOrdinal(ls, rs);
            return op switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, _ => c >= 0 };
        }

        var (a, b) = (Number(left, op), Number(right, op));
        return op switch
        {
            "<" => a < b,
            "<=" => a <= b,
            ">" => a > b,
            ">=" => a >= b,
            "+" => a + b,
            "-" => a - b,
            "*" => a * b,
            "/" => a / b,
            "%" => a % b,
            "**" => Math.Pow(a, b),
            _ => throw new ConditionException($"unknown operator '{op}'"),
        };
    }

    /// <summary>The leniency: a one-element list next to a number stands for its element.</summary>
    private static object? Unwrap(object? value, object? other) =>
        value is List<object?> { Count: 1 } l && other is double && l[0] is double ? l[0] : value;

    private static bool Equal(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (double x, double y) => x == y,
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
        _ => Equals(a, b),
    };

    private static object? IndexOf(object? target, object? key)
    {
        var list = List(target, "[]");
        var i = (int)Number(key, "[]");
        var at = i < 0 ? list.Count + i : i;
        return at >= 0 && at < list.Count ? list[at] : throw new ConditionException($"index {i} is out of range (result has {list.Count} value(s))");
    }

    private static List<object?> List(object? value, string op) =>
        value as List<object?> ?? throw new ConditionException($"{op} needs a list, not {Show(value)}");

    private static double Number(object? value, string op) =>
        value is double d ? d : throw new ConditionException($"{op} needs a number, not {Show(value)}");

    private static bool Bool(object? value, string op) =>
        value is bool b ? b : throw new ConditionException($"{op} needs true or false, not {Show(value)}");

    private static double ToNumber(object? value, string op) => value switch
    {
        double d => d,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
        _ => throw new ConditionException($"{op}() cannot convert {Show(value)} to a number"),
    };

    private static string Text(object? value) => value switch
    {
        double d => d.ToString(CultureInfo.InvariantCulture),
        null => string.Empty,
        _ => value.ToString() ?? string.Empty,
    };

    public static string Show(object? value) => value switch
    {
        null => "nil",
        double d => d.ToString("0.######", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => $"'{s}'",
        List<object?> l => $"[{string.Join(", ", l.Select(Show))}]",
        _ => value.ToString() ?? "?",
    };
}
