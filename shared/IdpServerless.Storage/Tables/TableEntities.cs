using SdkEntity = Azure.Data.Tables.TableEntity;

namespace IdpServerless.Storage.Internal;

/// <summary>Converts between our <see cref="TableEntity"/> and the SDK's, and between continuation forms.</summary>
internal static class TableEntities
{
    public static SdkEntity ToSdk(TableEntity entity)
    {
        var sdk = new SdkEntity(entity.PartitionKey, entity.RowKey);
        foreach (var (name, value) in entity.Properties)
        {
            sdk[name] = value;
        }

        if (entity.ETag is { Length: > 0 } etag)
        {
            sdk.ETag = new Azure.ETag(etag);
        }

        return sdk;
    }

    public static TableEntity FromSdk(SdkEntity sdk)
    {
        var entity = new TableEntity(sdk.PartitionKey, sdk.RowKey)
        {
            ETag = sdk.ETag == default ? null : sdk.ETag.ToString(),
            Timestamp = sdk.Timestamp,
        };
        foreach (var (name, value) in sdk)
        {
            if (value is null || name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag"
                || name.EndsWith("@odata.type", StringComparison.Ordinal))
            {
                continue;
            }

            entity.SetRaw(name, value is DateTime dt ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)) : value);
        }

        return entity;
    }

    /// <summary>A $select list, or null for all properties; the keys are always included.</summary>
    public static IEnumerable<string>? Select(IEnumerable<string>? select)
    {
        if (select is null)
        {
            return null;
        }

        var names = new List<string> { "PartitionKey", "RowKey" };
        foreach (var name in select)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(select));
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
        }

        return names;
    }

    // The SDK's continuation token is "NextPartitionKey NextRowKey" (both are opaque tokens without spaces).
    public static string? Token(TableContinuation? continuation) =>
        continuation is null ? null : continuation.NextPartitionKey + " " + continuation.NextRowKey;

    public static TableContinuation? Continuation(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var space = token.IndexOf(' ', StringComparison.Ordinal);
        var pk = space < 0 ? token : token[..space];
        var rk = space < 0 ? null : token[(space + 1)..];
        return new TableContinuation(pk.Length == 0 ? null : pk, string.IsNullOrEmpty(rk) ? null : rk);
    }
}
