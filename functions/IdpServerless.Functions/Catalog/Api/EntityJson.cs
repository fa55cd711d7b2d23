using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Index;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// Writes entities as Backstage returns them: the stored body with <c>relations</c> appended, straight from the bytes
/// the index holds (no re-serialization), or pruned to the requested <c>fields</c>.
/// </summary>
public static class EntityJson
{
    private static readonly byte[] RelationsMember = ",\"relations\":"u8.ToArray();

    /// <summary>The full entity as UTF-8 JSON.</summary>
    public static byte[] Bytes(EntityRecord record)
    {
        var body = record.Stored.Body;
        var relations = record.RelationsJson;
        var result = new byte[body.Length - 1 + RelationsMember.Length + relations.Length + 1];
        body.AsSpan(0, body.Length - 1).CopyTo(result);
        RelationsMember.CopyTo(result.AsSpan(body.Length - 1));
        relations.CopyTo(result.AsSpan(body.Length - 1 + RelationsMember.Length));
        result[^1] = (byte)'}';
        return result;
    }

    /// <summary>Writes the entity (or its projection) as one JSON value.</summary>
    public static void Write(Utf8JsonWriter writer, EntityRecord? record, IReadOnlyList<string>? fields)
    {
        if (record is null)
        {
            writer.WriteNullValue();
        }
        else if (fields is null || fields.Count == 0)
        {
            // Assembled in a pooled buffer: a list of thousands of entities allocates nothing per entity.
            var body = record.Stored.Body;
            var relations = record.RelationsJson;
            var length = body.Length - 1 + RelationsMember.Length + relations.Length + 1;
            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                body.AsSpan(0, body.Length - 1).CopyTo(rented);
                RelationsMember.CopyTo(rented.AsSpan(body.Length - 1));
                relations.CopyTo(rented.AsSpan(body.Length - 1 + RelationsMember.Length));
                rented[length - 1] = (byte)'}';
                writer.WriteRawValue(rented.AsSpan(0, length), skipInputValidation: true);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        else
        {
            Project(JsonNode.Parse(Bytes(record))!.AsObject(), fields).WriteTo(writer);
        }
    }

    /// <summary>Keeps only the given dotted paths (each a value or a whole subtree), as Backstage's field selection does.</summary>
    public static JsonObject Project(JsonObject entity, IReadOnlyList<string> fields)
    {
        var result = new JsonObject();
        foreach (var field in fields)
        {
            var parts = field.Split('.');
            JsonNode? source = entity;
            foreach (var part in parts)
            {
                source = source is JsonObject o ? FindIgnoreCase(o, part) : null;
                if (source is null)
                {
                    break;
                }
            }

            if (source is null)
            {
                continue;
            }

            var target = result;
            JsonObject? from = entity;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                var key = KeyIgnoreCase(from!, parts[i]) ?? parts[i];
                from = from![key] as JsonObject;
                if (target[key] is not JsonObject next)
                {
                    target[key] = next = [];
                }

                target = next;
            }

            target[KeyIgnoreCase(from!, parts[^1]) ?? parts[^1]] = source.DeepClone();
        }

        return result;
    }

    /// <summary>Serializes with <paramref name="write"/> into a pooled buffer and answers it as application/json.</summary>
    public static IResult Result(Action<Utf8JsonWriter> write, int status = 200)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            write(writer);
        }

        var bytes = Results.Bytes(buffer.WrittenMemory, "application/json");
        return status == 200 ? bytes : new StatusResult(bytes, status);
    }

    private static JsonNode? FindIgnoreCase(JsonObject o, string key) =>
        o.TryGetPropertyValue(key, out var exact) ? exact : KeyIgnoreCase(o, key) is { } k ? o[k] : null;

    private static string? KeyIgnoreCase(JsonObject o, string key)
    {
        if (o.ContainsKey(key))
        {
            return key;
        }

        foreach (var (k, _) in o)
        {
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase))
            {
                return k;
            }
        }

        return null;
    }

    /// <summary>An inner result answered with another status.</summary>
    private sealed class StatusResult(IResult inner, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
