using System.Collections;

namespace IdpServerless.Storage;

/// <summary>
/// A table entity: keys, optimistic-concurrency ETag, service timestamp and a bag of typed properties.
/// Property values are <see cref="string"/>, <see cref="int"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="DateTimeOffset"/> (a <see cref="DateTime"/> is converted), <see cref="Guid"/> or
/// <c>byte[]</c>; assigning null removes the property, and reading an absent property gives null (unlike
/// <see cref="IDictionary{TKey,TValue}"/>). The indexer also reaches <c>PartitionKey</c>, <c>RowKey</c> and
/// <c>Timestamp</c>; enumeration and <see cref="Properties"/> yield only the own properties. Not thread-safe.
/// </summary>
public sealed class TableEntity : IEnumerable<KeyValuePair<string, object?>>
{
    private readonly Dictionary<string, object?> _properties = new(StringComparer.Ordinal);
    private string _partitionKey;
    private string _rowKey;

    public TableEntity(string partitionKey, string rowKey)
    {
        _partitionKey = partitionKey ?? throw new ArgumentNullException(nameof(partitionKey));
        _rowKey = rowKey ?? throw new ArgumentNullException(nameof(rowKey));
    }

    public string PartitionKey
    {
        get => _partitionKey;
        set => _partitionKey = value ?? throw new ArgumentNullException(nameof(value));
    }

    public string RowKey
    {
        get => _rowKey;
        set => _rowKey = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>ETag from the service (set on read); pass it as If-Match for optimistic concurrency.</summary>
    public string? ETag { get; set; }

    /// <summary>Last-modified time kept by the service; ignored on writes.</summary>
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary>Own properties (no PartitionKey, RowKey, Timestamp or ETag).</summary>
    public IEnumerable<KeyValuePair<string, object?>> Properties => _properties;

    /// <summary>Number of own properties.</summary>
    public int Count => _properties.Count;

    public object? this[string property]
    {
        get => property switch
        {
            "PartitionKey" => _partitionKey,
            "RowKey" => _rowKey,
            "Timestamp" => Timestamp,
            _ => _properties.GetValueOrDefault(property),
        };
        set
        {
            ArgumentNullException.ThrowIfNull(property);
            switch (property)
            {
                case "PartitionKey":
                    PartitionKey = value as string ?? throw new ArgumentException("PartitionKey must be a string.", nameof(value));
                    break;
                case "RowKey":
                    RowKey = value as string ?? throw new ArgumentException("RowKey must be a string.", nameof(value));
                    break;
                case "Timestamp":
                    Timestamp = value is null ? null : (DateTimeOffset)Normalize(property, value)!;
                    break;
                default:
                    if (value is null)
                    {
                        _properties.Remove(property);
                    }
                    else
                    {
                        _properties[property] = Normalize(property, value);
                    }

                    break;
            }
        }
    }

    /// <summary>Adds or replaces a property (enables collection initializers).</summary>
    public void Add(string property, object? value) => this[property] = value;

    public bool ContainsKey(string property) => _properties.ContainsKey(property);

    public bool Remove(string property) => _properties.Remove(property);

    public string? GetString(string p) => Get(p) switch
    {
        null => null,
        string s => s,
        var other => throw WrongType(p, other, "String"),
    };

    public long? GetInt64(string p) => Get(p) switch
    {
        null => null,
        long l => l,
        int i => i,
        var other => throw WrongType(p, other, "Int64"),
    };

    public int? GetInt32(string p) => Get(p) switch
    {
        null => null,
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        var other => throw WrongType(p, other, "Int32"),
    };

    public bool? GetBoolean(string p) => Get(p) switch
    {
        null => null,
        bool b => b,
        var other => throw WrongType(p, other, "Boolean"),
    };

    public double? GetDouble(string p) => Get(p) switch
    {
        null => null,
        double d => d,
        int i => i,
        long l => l,
        var other => throw WrongType(p, other, "Double"),
    };

    public DateTimeOffset? GetDateTimeOffset(string p) => Get(p) switch
    {
        null => null,
        DateTimeOffset d => d,
        var other => throw WrongType(p, other, "DateTime"),
    };

    public Guid? GetGuid(string p) => Get(p) switch
    {
        null => null,
        Guid g => g,
        var other => throw WrongType(p, other, "Guid"),
    };

    public byte[]? GetBinary(string p) => Get(p) switch
    {
        null => null,
        byte[] b => b,
        var other => throw WrongType(p, other, "Binary"),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _properties.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Raw add used by the deserializer (values already typed).</summary>
    internal void SetRaw(string property, object value) => _properties[property] = value;

    private object? Get(string property) => this[property];

    private static object Normalize(string property, object value) => value switch
    {
        string or int or long or double or bool or DateTimeOffset or Guid or byte[] => value,
        DateTime dt => dt.Kind == DateTimeKind.Unspecified
            ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc))
            : new DateTimeOffset(dt.ToUniversalTime()),
        _ => throw new ArgumentException(
            $"Property '{property}' has unsupported type {value.GetType().Name}; use string, int, long, double, bool, DateTimeOffset, Guid or byte[].",
            nameof(value)),
    };

    private static InvalidCastException WrongType(string property, object value, string wanted) =>
        new($"Table property '{property}' is {value.GetType().Name}, not {wanted}.");
}
