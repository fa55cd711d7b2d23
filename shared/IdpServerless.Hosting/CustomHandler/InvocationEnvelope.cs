using System.Globalization;
using System.Text.Json;

namespace IdpServerless.Hosting.CustomHandler;

/// <summary>
/// The Functions host's invocation request to a custom handler: <c>{"Data": {binding: value}, "Metadata": {...}}</c>.
/// Values may arrive as JSON strings holding JSON (encoded twice); the readers here undo that defensively.
/// </summary>
public sealed class InvocationEnvelope
{
    private InvocationEnvelope(JsonElement data, JsonElement metadata)
    {
        Data = data;
        Metadata = metadata;
    }

    public JsonElement Data { get; }

    public JsonElement Metadata { get; }

    /// <summary>Parses the host's body; throws <see cref="FormatException"/> with what is wrong.</summary>
    public static InvocationEnvelope Parse(ReadOnlySpan<byte> body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException($"The invocation body is not JSON: {e.Message}", e);
        }

        var root = doc.RootElement.Clone();
        doc.Dispose();
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("The invocation body must be a JSON object with 'Data' and 'Metadata'.");
        }

        var data = Property(root, "Data");
        var metadata = Property(root, "Metadata");
        if (data.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("The invocation body has no 'Data' object.");
        }

        return new InvocationEnvelope(data, metadata.ValueKind == JsonValueKind.Object ? metadata : default);
    }

    /// <summary>A binding's value as text: a string as is (unwrapping a second JSON encoding), anything else as its JSON.</summary>
    public string? GetText(string binding)
    {
        var v = Property(Data, binding);
        return v.ValueKind switch
        {
            JsonValueKind.Undefined or JsonValueKind.Null => null,
            JsonValueKind.String => UnwrapString(v.GetString()!),
            _ => v.GetRawText(),
        };
    }

    /// <summary>A binding's value as a JSON element, decoding it when it arrived as a JSON-encoded string.</summary>
    public JsonElement GetJson(string binding)
    {
        var v = Property(Data, binding);
        if (v.ValueKind == JsonValueKind.String)
        {
            var s = v.GetString()!;
            try
            {
                using var inner = JsonDocument.Parse(s);
                return inner.RootElement.Clone();
            }
            catch (JsonException)
            {
                return v;
            }
        }

        return v;
    }

    /// <summary>A metadata value as a string (numbers and strings alike), or null.</summary>
    public string? GetMetadata(string name)
    {
        var v = Property(Metadata, name);
        return v.ValueKind switch
        {
            JsonValueKind.String => UnwrapString(v.GetString()!),
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Undefined or JsonValueKind.Null => null,
            _ => v.GetRawText(),
        };
    }

    public long GetMetadataInt64(string name, long fallback) =>
        long.TryParse(GetMetadata(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public DateTimeOffset? GetMetadataTime(string name) =>
        DateTimeOffset.TryParse(GetMetadata(name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v) ? v : null;

    private static string UnwrapString(string s)
    {
        // "\"text\"" arrives when the host serialised an already-serialised string.
        if (s.Length >= 2 && s[0] == '"' && s[^1] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize<string>(s) ?? s;
            }
            catch (JsonException)
            {
                return s;
            }
        }

        return s;
    }

    private static JsonElement Property(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        if (obj.TryGetProperty(name, out var v))
        {
            return v;
        }

        foreach (var p in obj.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return default;
    }
}

/// <summary>The reply the host expects: <c>{"Outputs": {}, "Logs": [], "ReturnValue": null}</c>.</summary>
public sealed record InvocationResult(
    [property: System.Text.Json.Serialization.JsonPropertyName("Outputs")] IReadOnlyDictionary<string, object?> Outputs,
    [property: System.Text.Json.Serialization.JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
    [property: System.Text.Json.Serialization.JsonPropertyName("ReturnValue")] object? ReturnValue)
{
    public static InvocationResult Of(params string[] logs) => new(new Dictionary<string, object?>(), logs, null);
}
