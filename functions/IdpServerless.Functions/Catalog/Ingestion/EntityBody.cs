using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Index;

namespace IdpServerless.Functions.Catalog.Ingestion;

/// <summary>Turning processed entities into stored bodies: content hashes, our uid and etag, the orphan mark.</summary>
public static class EntityBody
{
    /// <summary>A hash of the entity's JSON without uid and etag: equal hashes mean nothing to write.</summary>
    public static string Hash(byte[] json) => Convert.ToHexStringLower(SHA256.HashData(json), 0, 16);

    public static string NewEtag() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public static string NewUid() => Guid.NewGuid().ToString("D");

    /// <summary>
    /// The stored body: <paramref name="json"/> (an entity without ids) with <c>"uid"</c> and <c>"etag"</c> inserted as
    /// the first members of <c>metadata</c>, spliced in without re-serializing the entity.
    /// </summary>
    public static byte[] WithIds(byte[] json, string uid, string etag)
    {
        var at = MetadataContentStart(json);
        var ids = Encoding.UTF8.GetBytes($"\"uid\":{JsonSerializer.Serialize(uid)},\"etag\":{JsonSerializer.Serialize(etag)}" + (json[at] == (byte)'}' ? string.Empty : ","));
        var result = new byte[json.Length + ids.Length];
        json.AsSpan(0, at).CopyTo(result);
        ids.CopyTo(result.AsSpan(at));
        json.AsSpan(at).CopyTo(result.AsSpan(at + ids.Length));
        return result;
    }

    /// <summary>A stored body parsed back, without uid and etag (to change it).</summary>
    public static JsonObject WithoutIds(byte[] body)
    {
        var entity = JsonNode.Parse(body)!.AsObject();
        if (entity["metadata"] is JsonObject metadata)
        {
            metadata.Remove("uid");
            metadata.Remove("etag");
        }

        return entity;
    }

    /// <summary>Sets or clears the <c>backstage.io/orphan: 'true'</c> annotation.</summary>
    public static void SetOrphan(JsonObject entity, bool orphan)
    {
        var metadata = (JsonObject)entity["metadata"]!;
        if (metadata["annotations"] is not JsonObject annotations)
        {
            metadata["annotations"] = annotations = [];
        }

        if (orphan)
        {
            annotations[CatalogAnnotations.Orphan] = "true";
        }
        else
        {
            annotations.Remove(CatalogAnnotations.Orphan);
        }
    }

    /// <summary>The index just after <c>metadata</c>'s opening brace at the root of <paramref name="json"/>.</summary>
    private static int MetadataContentStart(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("metadata"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    break;
                }

                return (int)reader.BytesConsumed;
            }

            if (reader.CurrentDepth == 1 && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        throw new InvalidOperationException("The entity has no metadata object.");
    }
}
