using System.Globalization;
using System.Text.Json;

namespace IdpServerless.Storage.Internal;

/// <summary>
/// OData JSON (minimal metadata) mapping of <see cref="TableEntity"/>. Types JSON cannot carry are annotated
/// with <c>Prop@odata.type</c> on write (Int64, Double, DateTime, Guid, Binary) and recognised on read.
/// </summary>
internal static class TableEntityJson
{
    private const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static void Write(Utf8JsonWriter writer, TableEntity entity)
    {
        writer.WriteStartObject();
        writer.WriteString("PartitionKey", entity.PartitionKey);
        writer.WriteString("RowKey", entity.RowKey);
        foreach (var (name, value) in entity.Properties)
        {
            switch (value)
            {
                case string s:
                    writer.WriteString(name, s);
                    break;
                case int i:
                    writer.WriteNumber(name, i);
                    break;
                case long l:
                    Annotate(writer, name, "Edm.Int64");
                    writer.WriteString(name, l.ToString(CultureInfo.InvariantCulture));
                    break;
                case double d:
                    Annotate(writer, name, "Edm.Double");
                    if (double.IsFinite(d))
                    {
                        writer.WriteNumber(name, d);
                    }
                    else
                    {
                        writer.WriteString(name, double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                    }

                    break;
                case bool b:
                    writer.WriteBoolean(name, b);
                    break;
                case DateTimeOffset dto:
                    Annotate(writer, name, "Edm.DateTime");
                    writer.WriteString(name, dto.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture));
                    break;
                case Guid g:
                    Annotate(writer, name, "Edm.Guid");
                    writer.WriteString(name, g);
                    break;
                case byte[] bytes:
                    Annotate(writer, name, "Edm.Binary");
                    writer.WriteBase64String(name, bytes);
                    break;
            }
        }

        writer.WriteEndObject();
    }

    public static TableEntity Read(JsonElement element, string? etagHeader = null)
    {
        string pk = string.Empty, rk = string.Empty;
        List<(string Name, string Type)>? types = null;
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            var at = name.IndexOf("@odata.type", StringComparison.Ordinal);
            if (at > 0 && property.Value.ValueKind == JsonValueKind.String)
            {
                (types ??= []).Add((name[..at], property.Value.GetString()!));
            }
            else if (name == "PartitionKey")
            {
                pk = property.Value.GetString() ?? string.Empty;
            }
            else if (name == "RowKey")
            {
                rk = property.Value.GetString() ?? string.Empty;
            }
        }

        var entity = new TableEntity(pk, rk) { ETag = etagHeader };
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            if (name is "PartitionKey" or "RowKey" || name.Contains('@', StringComparison.Ordinal))
            {
                continue;
            }

            if (name.StartsWith("odata.", StringComparison.Ordinal))
            {
                if (name == "odata.etag" && entity.ETag is null)
                {
                    entity.ETag = property.Value.GetString();
                }

                continue;
            }

            if (name == "Timestamp")
            {
                entity.Timestamp = ParseDate(property.Value.GetString()!);
                continue;
            }

            var value = ReadValue(property.Value, TypeOf(types, name));
            if (value is not null)
            {
                entity.SetRaw(name, value);
            }
        }

        return entity;
    }

    private static void Annotate(Utf8JsonWriter writer, string name, string type)
    {
        // "Name@odata.type" without allocating the concatenation for short names.
        Span<char> buffer = stackalloc char[Math.Min(name.Length + 11, 256)];
        if (name.Length + 11 <= buffer.Length)
        {
            name.AsSpan().CopyTo(buffer);
            "@odata.type".AsSpan().CopyTo(buffer[name.Length..]);
            writer.WriteString(buffer[..(name.Length + 11)], type);
        }
        else
        {
            writer.WriteString(name + "@odata.type", type);
        }
    }

    private static string? TypeOf(List<(string Name, string Type)>? types, string name)
    {
        if (types is null)
        {
            return null;
        }

        foreach (var (n, t) in types)
        {
            if (n == name)
            {
                return t;
            }
        }

        return null;
    }

    private static object? ReadValue(JsonElement value, string? type)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return null;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.String:
                var s = value.GetString()!;
                return type switch
                {
                    "Edm.Int64" => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture),
                    "Edm.Int32" => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture),
                    "Edm.Double" => ParseDouble(s),
                    "Edm.DateTime" => ParseDate(s),
                    "Edm.Guid" => Guid.Parse(s, CultureInfo.InvariantCulture),
                    "Edm.Binary" => Convert.FromBase64String(s),
                    "Edm.Boolean" => bool.Parse(s),
                    _ => s,
                };
            case JsonValueKind.Number:
                if (type == "Edm.Double")
                {
                    return value.GetDouble();
                }

                if (type == "Edm.Int64")
                {
                    return value.GetInt64();
                }

                if (value.TryGetInt32(out var i32) && type is null or "Edm.Int32")
                {
                    return i32;
                }

                return value.TryGetInt64(out var i64) ? i64 : value.GetDouble();
            default:
                // Objects/arrays are not table property values; keep the raw JSON rather than lose data.
                return value.GetRawText();
        }
    }

    private static double ParseDouble(string s) => s switch
    {
        "NaN" => double.NaN,
        "INF" or "Infinity" => double.PositiveInfinity,
        "-INF" or "-Infinity" => double.NegativeInfinity,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static DateTimeOffset ParseDate(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
