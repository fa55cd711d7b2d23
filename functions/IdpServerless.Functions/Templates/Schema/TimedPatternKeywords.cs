using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using Json.Schema.Keywords;

namespace IdpServerless.Functions.Templates.Schema;

/// <summary>
/// JsonSchema.Net's dialects with <c>pattern</c> and <c>patternProperties</c> handlers whose regular expressions stop
/// after <see cref="Timeout"/>: the library's own ones match without a limit, and a template's catastrophic pattern
/// (<c>^(a+)+$</c>) must not hang a request. Every dialect the library knows is registered under its own id, so a
/// schema's <c>$schema</c> picks the dialect and still gets these handlers.
/// </summary>
internal static class TimedDialects
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(200);

    public const string TimedOut = "took too long to check against the pattern";

    /// <summary>For schemas without <c>$schema</c>: draft-07, as Backstage's template forms assume.</summary>
    public static Dialect Default { get; }

    public static DialectRegistry Registry { get; } = new();

    static TimedDialects()
    {
        IKeywordHandler[] handlers = [new TimedPatternKeyword(), new TimedPatternPropertiesKeyword()];

        // Draft-06/07 ignore $ref's siblings by the letter of the spec; ajv 8 (Backstage's form validator) and this app
        // before the library evaluate them, so a template checks the same here as in the form.
        Dialect Timed(Dialect dialect) => dialect.With(handlers, dialect.Id, refIgnoresSiblingKeywords: false);

        Default = Timed(Dialect.Draft07);
        Registry.Register(Default);
        foreach (var dialect in new[] { Dialect.Draft06, Dialect.Draft201909, Dialect.Draft202012, Dialect.V1 })
        {
            Registry.Register(Timed(dialect));
        }
    }

    /// <summary>ECMA-262 syntax as JSON Schema asks; a pattern only .NET understands (<c>\p{L}</c>) still works.</summary>
    public static Regex? Create(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.ECMAScript, Timeout);
        }
        catch (ArgumentException)
        {
            try
            {
                return new Regex(pattern, RegexOptions.CultureInvariant, Timeout);
            }
            catch (ArgumentException)
            {
                return null;
            }
        }
    }
}

/// <summary><c>pattern</c>, with a match timeout; a pattern that is not a regular expression fails the value it checks.</summary>
internal sealed class TimedPatternKeyword : PatternKeyword
{
    private sealed record Compiled(string Pattern, Regex? Regex);

    public override object? ValidateKeywordValue(JsonElement value) =>
        value.ValueKind is JsonValueKind.String
            ? new Compiled(value.GetString()!, TimedDialects.Create(value.GetString()!))
            : throw new JsonSchemaException($"'{Name}' value must be a string, found {value.ValueKind}");

    public override KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context)
    {
        if (context.Instance.ValueKind is not JsonValueKind.String || keyword.Value is not Compiled compiled)
        {
            return KeywordEvaluation.Ignore;
        }

        string? error;
        try
        {
            error = compiled.Regex is null
                ? $"cannot be checked: the template's pattern '{compiled.Pattern}' is not a valid regular expression"
                : compiled.Regex.IsMatch(context.Instance.GetString()!) ? null : $"must match the pattern {compiled.Pattern}";
        }
        catch (RegexMatchTimeoutException)
        {
            error = TimedDialects.TimedOut;
        }

        return new KeywordEvaluation { Keyword = Name, IsValid = error is null, Error = error };
    }
}

/// <summary><c>patternProperties</c>, with a match timeout on the property names.</summary>
internal sealed class TimedPatternPropertiesKeyword : PatternPropertiesKeyword
{
    public override object? ValidateKeywordValue(JsonElement value)
    {
        if (value.ValueKind is not JsonValueKind.Object)
        {
            throw new JsonSchemaException($"'{Name}' value must be an object, found {value.ValueKind}");
        }

        var regexes = new Dictionary<string, Regex>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (property.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
            {
                throw new JsonSchemaException($"'{Name}' values must be schemas");
            }

            regexes[property.Name] = TimedDialects.Create(property.Name)
                ?? throw new JsonSchemaException($"'{Name}' key '{property.Name}' is not a valid regular expression");
        }

        return regexes;
    }

    public override KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context)
    {
        try
        {
            return base.Evaluate(keyword, context);
        }
        catch (RegexMatchTimeoutException)
        {
            return new KeywordEvaluation { Keyword = Name, IsValid = false, Error = TimedDialects.TimedOut };
        }
    }
}
