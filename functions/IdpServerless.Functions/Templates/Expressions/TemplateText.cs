using System.Text;
using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Templates.Expressions;

/// <summary>
/// <c>${{ expression }}</c> interpolation in step inputs, <c>if</c> conditions and outputs. A string that is exactly one
/// expression keeps the expression's JSON type (a list stays a list, as in Backstage); other strings are interpolated.
/// </summary>
public static class TemplateText
{
    public const string Open = "${{";
    public const string Close = "}}";
    private const int MaxDepth = 64;

    /// <summary>A copy of <paramref name="node"/> with every string rendered in <paramref name="scope"/>.</summary>
    public static JsonNode? RenderNode(JsonNode? node, ExpressionScope scope) => RenderNode(node, scope, 0);

    /// <summary>Renders one string: interpolates every <c>${{ }}</c>, or returns the typed value of a lone expression.</summary>
    public static JsonNode? RenderString(string text, ExpressionScope scope)
    {
        var start = text.IndexOf(Open, StringComparison.Ordinal);
        if (start < 0)
        {
            return JsonValue.Create(text);
        }

        var trimmed = text.Trim();
        if (trimmed.StartsWith(Open, StringComparison.Ordinal) && trimmed.EndsWith(Close, StringComparison.Ordinal)
            && trimmed.IndexOf(Open, Open.Length, StringComparison.Ordinal) < 0 && FindClose(trimmed, Open.Length) == trimmed.Length - Close.Length)
        {
            var value = ExpressionEvaluator.Evaluate(trimmed[Open.Length..^Close.Length], scope);
            return ExpressionEvaluator.Detach(value);
        }

        return JsonValue.Create(Interpolate(text, scope));
    }

    /// <summary>Interpolates every <c>${{ }}</c> of <paramref name="text"/> as text.</summary>
    public static string Interpolate(string text, ExpressionScope scope)
    {
        var sb = new StringBuilder(text.Length);
        var i = 0;
        while (true)
        {
            var start = text.IndexOf(Open, i, StringComparison.Ordinal);
            if (start < 0)
            {
                sb.Append(text, i, text.Length - i);
                return sb.ToString();
            }

            sb.Append(text, i, start - i);
            var end = FindClose(text, start + Open.Length);
            if (end < 0)
            {
                throw new TemplateExpressionException($"Unterminated '{Open}' in '{Shorten(text)}'.");
            }

            sb.Append(ExpressionEvaluator.ToText(ExpressionEvaluator.Evaluate(text[(start + Open.Length)..end], scope)));
            i = end + Close.Length;
        }
    }

    /// <summary>Parses (without evaluating) every <c>${{ }}</c> of <paramref name="text"/>; throws naming the first broken one.</summary>
    public static void Check(string text)
    {
        var i = 0;
        while ((i = text.IndexOf(Open, i, StringComparison.Ordinal)) >= 0)
        {
            var end = FindClose(text, i + Open.Length);
            if (end < 0)
            {
                throw new TemplateExpressionException($"Unterminated '{Open}' in '{Shorten(text)}'.");
            }

            ExpressionParser.Parse(text[(i + Open.Length)..end]);
            i = end + Close.Length;
        }
    }

    /// <summary>Evaluates an <c>if</c>: booleans as-is, strings rendered then judged truthy (<c>"false"</c> is false).</summary>
    public static bool IsTrue(JsonNode? condition, ExpressionScope scope)
    {
        var value = condition is JsonValue v && v.TryGetValue<string>(out var s) ? RenderString(s, scope) : condition;
        return value is JsonValue t && t.TryGetValue<string>(out var text)
            ? text.Length > 0 && !string.Equals(text, "false", StringComparison.OrdinalIgnoreCase)
            : ExpressionEvaluator.IsTruthy(value);
    }

    /// <summary>The index of the <c>}}</c> closing an expression that starts at <paramref name="from"/>, skipping quoted strings.</summary>
    internal static int FindClose(string text, int from)
    {
        char quote = '\0';
        for (var i = from; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                return i;
            }
        }

        return -1;
    }

    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";

    private static JsonNode? RenderNode(JsonNode? node, ExpressionScope scope, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new TemplateExpressionException("Input is nested too deeply.");
        }

        switch (node)
        {
            case null:
                return null;
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (k, v) in o)
                {
                    copy[k] = RenderNode(v, scope, depth + 1);
                }

                return copy;
            case JsonArray a:
                return new JsonArray(a.Select(i => RenderNode(i, scope, depth + 1)).ToArray());
            case JsonValue v when v.TryGetValue<string>(out var s):
                return RenderString(s, scope);
            default:
                return node.DeepClone();
        }
    }
}
