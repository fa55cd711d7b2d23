using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace IdpServerless.Functions.Catalog.Ingestion;

/// <summary>One document of a catalog file: its JSON tree, the line it starts on and the line of each field path.</summary>
/// <param name="Root">The document's value (null for an empty document).</param>
/// <param name="Line">1-based line of the document's first node.</param>
/// <param name="Lines">Line of each field path down to a few levels (<c>metadata.name</c>, <c>spec.dependsOn[0]</c>); empty for JSON input.</param>
public sealed record ParsedDocument(JsonNode? Root, int Line, IReadOnlyDictionary<string, int> Lines)
{
    /// <summary>The line of <paramref name="path"/>, else of its nearest recorded parent, else of the document.</summary>
    public int LineOf(string path)
    {
        var p = path;
        while (p.Length > 0)
        {
            if (Lines.TryGetValue(p, out var line))
            {
                return line;
            }

            var cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
            p = cut <= 0 ? string.Empty : p[..cut];
        }

        return Line;
    }
}

/// <summary>Limits that keep hostile YAML (alias bombs, absurd nesting) from costing more than a normal file.</summary>
/// <param name="MaxDepth">Deepest nesting of mappings and sequences.</param>
/// <param name="MaxAliasNodes">Nodes that alias expansion may create in one file (a billion-laughs file needs billions).</param>
/// <param name="MaxNodes">Nodes in one file, aliases included.</param>
public sealed record YamlLimits(int MaxDepth = 64, int MaxAliasNodes = 10_000, int MaxNodes = 2_000_000);

/// <summary>A catalog file that cannot be read as YAML or JSON; <see cref="Line"/> is 1-based when known.</summary>
public sealed class CatalogParseException(string message, int? line) : Exception(message)
{
    public int? Line { get; } = line;
}

/// <summary>
/// Reads multi-document YAML into JSON trees, following the YAML 1.2 core schema as Backstage's parser does (plain
/// <c>true</c>, <c>12</c>, <c>null</c> are typed; quoted text stays text; merge keys are ordinary keys). Duplicate keys
/// are errors. Aliases are expanded with a budget so an alias bomb fails fast instead of exhausting memory.
/// </summary>
public static class YamlDocumentReader
{
    private const int LineDepth = 4;

    public static List<ParsedDocument> Read(string text, YamlLimits limits)
    {
        var state = new ReadState(limits);
        var documents = new List<ParsedDocument>();
        try
        {
            var parser = new Parser(new Scanner(new StringReader(text), skipComments: true));
            parser.Consume<StreamStart>();
            while (!parser.TryConsume<StreamEnd>(out _))
            {
                var start = parser.Consume<DocumentStart>();
                state.Anchors.Clear();
                var lines = new Dictionary<string, int>(StringComparer.Ordinal);
                var line = (int)parser.Current!.Start.Line;
                var root = ReadNode(parser, string.Empty, 0, lines, state);
                parser.Consume<DocumentEnd>();
                documents.Add(new ParsedDocument(root, line > 0 ? line : (int)start.Start.Line, lines));
            }
        }
        catch (YamlException e)
        {
            throw new CatalogParseException($"malformed YAML: {Clean(e.Message)}", (int)e.Start.Line);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner fails this way on some broken flow collections; it is still the file's fault.
            throw new CatalogParseException($"malformed YAML after line {state.LastLine}: {e.Message}", state.LastLine);
        }

        return documents;
    }

    private static JsonNode? ReadNode(IParser parser, string path, int depth, Dictionary<string, int> lines, ReadState state)
    {
        var current = parser.Current ?? throw new CatalogParseException("unexpected end of YAML", null);
        var line = (int)current.Start.Line;
        state.LastLine = line;
        if (++state.Nodes > state.Limits.MaxNodes)
        {
            throw new CatalogParseException($"the file has more than {state.Limits.MaxNodes} YAML nodes", line);
        }

        switch (current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (!state.Anchors.TryGetValue(alias.Value.Value, out var anchored))
                {
                    throw new CatalogParseException($"alias *{alias.Value.Value} refers to no anchor defined before it", line);
                }

                state.AliasNodes += anchored.Count;
                state.Nodes += anchored.Count;
                if (state.AliasNodes > state.Limits.MaxAliasNodes)
                {
                    throw new CatalogParseException(
                        $"YAML aliases expand to more than {state.Limits.MaxAliasNodes} nodes (an alias bomb?); refusing to expand further", line);
                }

                if (depth + anchored.Depth > state.Limits.MaxDepth)
                {
                    throw new CatalogParseException($"YAML nesting deeper than {state.Limits.MaxDepth} levels", line);
                }

                return anchored.Node?.DeepClone();

            case Scalar scalar:
                parser.MoveNext();
                var value = Resolve(scalar);
                Remember(scalar.Anchor, value, 1, state);
                return value;

            case SequenceStart seq:
                CheckDepth(depth, line, state);
                parser.MoveNext();
                var array = new JsonArray();
                var before = state.Nodes;
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    var itemPath = $"{path}[{array.Count}]";
                    if (depth < LineDepth)
                    {
                        lines[itemPath] = (int)parser.Current!.Start.Line;
                    }

                    array.Add(ReadNode(parser, itemPath, depth + 1, lines, state));
                }

                Remember(seq.Anchor, array, state.Nodes - before + 1, state);
                return array;

            case MappingStart map:
                CheckDepth(depth, line, state);
                parser.MoveNext();
                var obj = new JsonObject();
                var start = state.Nodes;
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    if (parser.Current is not Scalar keyScalar)
                    {
                        throw new CatalogParseException("complex mapping keys (a map or list used as a key) are not supported", (int)parser.Current!.Start.Line);
                    }

                    parser.MoveNext();
                    var key = keyScalar.Value;
                    var keyLine = (int)keyScalar.Start.Line;
                    if (obj.ContainsKey(key))
                    {
                        throw new CatalogParseException($"duplicate key \"{key}\"", keyLine);
                    }

                    var childPath = path.Length == 0 ? key : path + "." + key;
                    if (depth < LineDepth)
                    {
                        lines[childPath] = keyLine;
                    }

                    obj[key] = ReadNode(parser, childPath, depth + 1, lines, state);
                }

                Remember(map.Anchor, obj, state.Nodes - start + 1, state);
                return obj;

            default:
                throw new CatalogParseException($"unexpected YAML event {current.GetType().Name}", line);
        }
    }

    private static void CheckDepth(int depth, int line, ReadState state)
    {
        if (depth >= state.Limits.MaxDepth)
        {
            throw new CatalogParseException($"YAML nesting deeper than {state.Limits.MaxDepth} levels", line);
        }
    }

    private static void Remember(AnchorName anchor, JsonNode? node, long count, ReadState state)
    {
        if (!anchor.IsEmpty)
        {
            state.Anchors[anchor.Value] = new Anchored(node, count, Depth(node));
        }
    }

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray a => 1 + a.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    /// <summary>YAML 1.2 core schema resolution of a scalar (explicit tags win; quoted and block scalars are strings).</summary>
    private static JsonNode? Resolve(Scalar scalar)
    {
        var text = scalar.Value;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is not null && !scalar.Tag.IsNonSpecific)
        {
            return tag switch
            {
                "tag:yaml.org,2002:str" => JsonValue.Create(text),
                "tag:yaml.org,2002:null" => null,
                "tag:yaml.org,2002:bool" or "tag:yaml.org,2002:int" or "tag:yaml.org,2002:float" => ResolvePlain(text) ?? JsonValue.Create(text),
                _ => JsonValue.Create(text),
            };
        }

        return scalar.Style is ScalarStyle.Plain || (scalar.Style is ScalarStyle.Any && scalar.IsPlainImplicit)
            ? ResolvePlain(text)
            : JsonValue.Create(text);
    }

    private static JsonNode? ResolvePlain(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] is '-' or '+' or '.'))
        {
            if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            {
                return JsonValue.Create(hex);
            }

            if (text.StartsWith("0o", StringComparison.Ordinal) && text.Length > 2 && text.AsSpan(2).IndexOfAnyExceptInRange('0', '7') < 0)
            {
                return JsonValue.Create(Convert.ToInt64(text[2..], 8));
            }

            if (IsInteger(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            {
                return JsonValue.Create(integer);
            }

            if (IsFloat(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
            {
                return JsonValue.Create(real);
            }
        }

        return JsonValue.Create(text);
    }

    private static bool IsInteger(string s)
    {
        var i = s[0] is '-' or '+' ? 1 : 0;
        return i < s.Length && s.AsSpan(i).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private static bool IsFloat(string s)
    {
        // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
        var i = s[0] is '-' or '+' ? 1 : 0;
        var digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            digits++;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                digits++;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '-' or '+')
            {
                i++;
            }

            var exp = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                exp++;
            }

            if (exp == 0)
            {
                return false;
            }
        }

        return i == s.Length;
    }

    private static string Clean(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the line is reported separately.
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 && message.StartsWith('(') ? message[(cut + 3)..] : message;
    }

    private sealed record Anchored(JsonNode? Node, long Count, int Depth);

    private sealed class ReadState(YamlLimits limits)
    {
        public YamlLimits Limits { get; } = limits;

        public Dictionary<string, Anchored> Anchors { get; } = new(StringComparer.Ordinal);

        public long Nodes { get; set; }

        public long AliasNodes { get; set; }

        public int LastLine { get; set; }
    }
}
