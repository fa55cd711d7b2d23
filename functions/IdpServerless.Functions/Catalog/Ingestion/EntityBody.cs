using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Catalog.Index;

namespace IdpServerless.Functions.Catalog.Ingestion;

/// <summary>Turning processed entities into stored bodies: content hashes, our uid and etag, the orphan mark.</summary>
public static class EntityBody
{
    /// <summary>A hash of the entity's content without uid and etag: equal hashes mean nothing to write.</summary>
    public static string Hash(JsonObject entity) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(entity.ToJsonString())), 0, 16);

    public static string NewEtag() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public static string NewUid() => Guid.NewGuid().ToString("D");

    /// <summary>The stored body: the entity with <c>metadata.uid</c> and <c>metadata.etag</c> set, as compact UTF-8 JSON.</summary>
    public static byte[] WithIds(JsonObject entity, string uid, string etag)
    {
        var metadata = (JsonObject)entity["metadata"]!;
        metadata["uid"] = uid;
        metadata["etag"] = etag;
        try
        {
            return Encoding.UTF8.GetBytes(entity.ToJsonString());
        }
        finally
        {
            metadata.Remove("uid");
            metadata.Remove("etag");
        }
    }

    /// <summary>A stored body parsed back, without uid and etag (to hash or change it).</summary>
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
}
