using System.Text;
using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Templates.Expressions;

/// <summary>
/// Renders skeleton file contents and paths the way Backstage's <c>fetch:template</c> does (Nunjucks with
/// <c>${{ }}</c> for values): <c>${{ values.name | lower }}</c>, <c>{% if %}{% elif %}{% else %}{% endif %}</c>,
/// <c>{% for x in list %}{% else %}{% endfor %}</c> (also <c>for k, v in object</c>), <c>{% raw %}</c>,
/// <c>{# comments #}</c> and <c>{%- -%}</c> whitespace control. No code runs; output and loops are bounded.
/// </summary>
public sealed class SkeletonRenderer(int maxOutputChars = SkeletonRenderer.DefaultMaxOutputChars, int maxIterations = 10_000)
{
    public const int DefaultMaxOutputChars = 2 * 1024 * 1024;
    private const int MaxNesting = 32;

    /// <summary>Renders <paramref name="template"/>; <paramref name="name"/> names it in errors (the file path).</summary>
    public string Render(string template, ExpressionScope scope, string name)
    {
        try
        {
            var nodes = Parse(Tokenize(template));
            var output = new StringBuilder();
            var budget = new Budget(maxOutputChars, maxIterations);
            Write(nodes, scope, output, budget, name);
            return output.ToString();
        }
        catch (TemplateExpressionException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal))
        {
            throw new TemplateExpressionException($"{name}: {e.Message}");
        }
    }

    private sealed class Budget(int chars, int iterations)
    {
        public int Chars { get; set; } = chars;

        public int Iterations { get; set; } = iterations;
    }

    private abstract record Node;

    private sealed record TextNode(string Text) : Node;

    private sealed record OutputNode(string Expression) : Node;

    private sealed record IfNode(List<(string Condition, List<Node> Body)> Branches, List<Node>? Else) : Node;

    private sealed record ForNode(string Key, string? Value, string Source, List<Node> Body, List<Node>? Else) : Node;

    private enum PartKind
    {
        Text,
        Output,
        Tag,
    }

    private sealed record Part(PartKind Kind, string Text, int Line);

    private void Write(List<Node> nodes, ExpressionScope scope, StringBuilder output, Budget budget, string name)
    {
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode t:
                    Append(output, t.Text, budget, name);
                    break;
                case OutputNode o:
                    Append(output, ExpressionEvaluator.ToText(ExpressionEvaluator.Evaluate(o.Expression, scope)), budget, name);
                    break;
                case IfNode i:
                    var taken = i.Branches.FirstOrDefault(b => ExpressionEvaluator.IsTruthy(ExpressionEvaluator.Evaluate(b.Condition, scope)));
                    var body = taken.Body ?? i.Else;
                    if (body is not null)
                    {
                        Write(body, scope, output, budget, name);
                    }

                    break;
                case ForNode f:
                    var source = ExpressionEvaluator.Evaluate(f.Source, scope);
                    var items = source switch
                    {
                        JsonArray a => a.Select(v => (Key: v, Value: (JsonNode?)null)).ToList(),
                        JsonObject o => o.Select(p => (Key: (JsonNode?)JsonValue.Create(p.Key), Value: p.Value)).ToList(),
                        _ => [],
                    };
                    if (items.Count == 0 && f.Else is not null)
                    {
                        Write(f.Else, scope, output, budget, name);
                    }

                    for (var n = 0; n < items.Count; n++)
                    {
                        if (--budget.Iterations < 0)
                        {
                            throw new TemplateExpressionException($"{name}: loops ran more than {maxIterations} times.");
                        }

                        var inner = scope.With(f.Key, items[n].Key)
                            .With("loop", new JsonObject { ["index"] = n + 1, ["index0"] = n, ["first"] = n == 0, ["last"] = n == items.Count - 1, ["length"] = items.Count });
                        if (f.Value is not null)
                        {
                            inner = inner.With(f.Value, items[n].Value);
                        }

                        Write(f.Body, inner, output, budget, name);
                    }

                    break;
            }
        }
    }

    private void Append(StringBuilder output, string text, Budget budget, string name)
    {
        budget.Chars -= text.Length;
        if (budget.Chars < 0)
        {
            throw new TemplateExpressionException($"{name}: rendered output is larger than {maxOutputChars} characters.");
        }

        output.Append(text);
    }

    private static List<Part> Tokenize(string template)
    {
        var parts = new List<Part>();
        var i = 0;
        var line = 1;
        var trimNext = false;
        while (i < template.Length)
        {
            var next = NextOpening(template, i);
            if (next < 0)
            {
                AddText(template[i..]);
                break;
            }

            AddText(template[i..next]);
            var opener = template.Substring(next, 2) == "${" ? TemplateText.Open : template.Substring(next, 2);
            var contentStart = next + opener.Length;
            var trimBefore = opener != TemplateText.Open && contentStart < template.Length && template[contentStart] == '-';
            if (trimBefore)
            {
                contentStart++;
                TrimLastText(parts);
            }

            switch (opener)
            {
                case "{#":
                    var endComment = template.IndexOf("#}", contentStart, StringComparison.Ordinal);
                    if (endComment < 0)
                    {
                        throw new TemplateExpressionException($"line {line}: unterminated comment.");
                    }

                    line += Count(template, next, endComment);
                    i = endComment + 2;
                    continue;
                case "{%":
                    var endTag = template.IndexOf("%}", contentStart, StringComparison.Ordinal);
                    if (endTag < 0)
                    {
                        throw new TemplateExpressionException($"line {line}: unterminated '{{%' tag.");
                    }

                    var tagText = template[contentStart..endTag];
                    trimNext = tagText.EndsWith('-');
                    tagText = tagText.TrimEnd('-').Trim();
                    i = endTag + 2;
                    if (tagText == "raw")
                    {
                        var endRaw = FindEndRaw(template, i, out var afterRaw);
                        if (endRaw < 0)
                        {
                            throw new TemplateExpressionException($"line {line}: '{{% raw %}}' without '{{% endraw %}}'.");
                        }

                        parts.Add(new Part(PartKind.Text, template[i..endRaw], line));
                        line += Count(template, next, afterRaw);
                        i = afterRaw;
                        continue;
                    }

                    parts.Add(new Part(PartKind.Tag, tagText, line));
                    line += Count(template, next, i);
                    continue;
                default:
                    var endOutput = TemplateText.FindClose(template, contentStart);
                    if (endOutput < 0)
                    {
                        throw new TemplateExpressionException($"line {line}: unterminated '${{{{'.");
                    }

                    parts.Add(new Part(PartKind.Output, template[contentStart..endOutput], line));
                    line += Count(template, next, endOutput);
                    i = endOutput + 2;
                    continue;
            }
        }

        return parts;

        void AddText(string text)
        {
            if (trimNext)
            {
                text = text.TrimStart();
                trimNext = false;
            }

            if (text.Length > 0)
            {
                parts.Add(new Part(PartKind.Text, text, line));
                line += Count(text, 0, text.Length);
            }
        }
    }

    private static int NextOpening(string template, int from)
    {
        var best = -1;
        foreach (var token in new[] { TemplateText.Open, "{%", "{#" })
        {
            var at = template.IndexOf(token, from, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best))
            {
                best = at;
            }
        }

        return best;
    }

    private static int FindEndRaw(string template, int from, out int after)
    {
        var i = from;
        while (true)
        {
            var at = template.IndexOf("{%", i, StringComparison.Ordinal);
            if (at < 0)
            {
                after = -1;
                return -1;
            }

            var end = template.IndexOf("%}", at, StringComparison.Ordinal);
            if (end < 0)
            {
                after = -1;
                return -1;
            }

            if (template[(at + 2)..end].Trim('-', ' ', '\t') == "endraw")
            {
                after = end + 2;
                return at;
            }

            i = at + 2;
        }
    }

    private static void TrimLastText(List<Part> parts)
    {
        if (parts.Count > 0 && parts[^1] is { Kind: PartKind.Text } last)
        {
            parts[^1] = last with { Text = last.Text.TrimEnd() };
        }
    }

    private static int Count(string s, int from, int to)
    {
        var n = 0;
        for (var i = from; i < to && i < s.Length; i++)
        {
            if (s[i] == '\n')
            {
                n++;
            }
        }

        return n;
    }

    private static List<Node> Parse(List<Part> parts)
    {
        var pos = 0;
        var nodes = ParseBlock(parts, ref pos, [], 0, out var end);
        if (end is not null)
        {
            throw new TemplateExpressionException($"line {end.Line}: unexpected '{{% {end.Text} %}}'.");
        }

        return nodes;
    }

    private static List<Node> ParseBlock(List<Part> parts, ref int pos, string[] terminators, int depth, out Part? terminator)
    {
        if (depth > MaxNesting)
        {
            throw new TemplateExpressionException("blocks are nested too deeply.");
        }

        var nodes = new List<Node>();
        while (pos < parts.Count)
        {
            var part = parts[pos++];
            switch (part.Kind)
            {
                case PartKind.Text:
                    nodes.Add(new TextNode(part.Text));
                    break;
                case PartKind.Output:
                    ExpressionParser.Parse(part.Text);
                    nodes.Add(new OutputNode(part.Text));
                    break;
                default:
                    var keyword = part.Text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty;
                    if (terminators.Contains(keyword))
                    {
                        terminator = part;
                        return nodes;
                    }

                    if (keyword is "endif" or "endfor" or "else" or "elif" or "elseif")
                    {
                        throw new TemplateExpressionException($"line {part.Line}: unexpected '{{% {part.Text} %}}'.");
                    }

                    nodes.Add(keyword switch
                    {
                        "if" => ParseIf(parts, ref pos, part, depth),
                        "for" => ParseFor(parts, ref pos, part, depth),
                        _ => throw new TemplateExpressionException($"line {part.Line}: unsupported tag '{{% {part.Text} %}}' (if, elif, else, endif, for, endfor, raw are supported)."),
                    });
                    break;
            }
        }

        terminator = null;
        if (terminators.Length > 0)
        {
            throw new TemplateExpressionException($"missing '{{% {terminators[^1]} %}}'.");
        }

        return nodes;
    }

    private static IfNode ParseIf(List<Part> parts, ref int pos, Part start, int depth)
    {
        var branches = new List<(string, List<Node>)>();
        var condition = Expression(start, "if");
        while (true)
        {
            var body = ParseBlock(parts, ref pos, ["elif", "elseif", "else", "endif"], depth + 1, out var end);
            branches.Add((condition, body));
            var keyword = end!.Text.Split(' ', 2)[0];
            switch (keyword)
            {
                case "endif":
                    return new IfNode(branches, null);
                case "else":
                    return new IfNode(branches, ParseBlock(parts, ref pos, ["endif"], depth + 1, out _));
                default:
                    condition = Expression(end, keyword);
                    break;
            }
        }
    }

    private static ForNode ParseFor(List<Part> parts, ref int pos, Part start, int depth)
    {
        var text = start.Text["for".Length..].Trim();
        var inAt = text.IndexOf(" in ", StringComparison.Ordinal);
        if (inAt <= 0)
        {
            throw new TemplateExpressionException($"line {start.Line}: expected '{{% for item in list %}}'.");
        }

        var names = text[..inAt].Split(',', StringSplitOptions.TrimEntries);
        if (names.Length is < 1 or > 2 || names.Any(n => n.Length == 0 || !n.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
        {
            throw new TemplateExpressionException($"line {start.Line}: bad loop variable in '{{% {start.Text} %}}'.");
        }

        var source = text[(inAt + 4)..].Trim();
        ExpressionParser.Parse(source);
        var body = ParseBlock(parts, ref pos, ["else", "endfor"], depth + 1, out var end);
        List<Node>? otherwise = null;
        if (end!.Text.StartsWith("else", StringComparison.Ordinal))
        {
            otherwise = ParseBlock(parts, ref pos, ["endfor"], depth + 1, out _);
        }

        return new ForNode(names[0], names.Length == 2 ? names[1] : null, source, body, otherwise);
    }

    private static string Expression(Part tag, string keyword)
    {
        var expr = tag.Text[keyword.Length..].Trim();
        if (expr.Length == 0)
        {
            throw new TemplateExpressionException($"line {tag.Line}: '{{% {keyword} %}}' needs a condition.");
        }

        ExpressionParser.Parse(expr);
        return expr;
    }
}
