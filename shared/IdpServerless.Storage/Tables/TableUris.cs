using System.Globalization;
using System.Text;

namespace IdpServerless.Storage.Internal;

/// <summary>URL building for the Table service: quoted, percent-encoded keys and OData query options.</summary>
internal static class TableUris
{
    /// <summary>Key literal content: <c>'</c> doubled, then percent-encoded.</summary>
    public static string EscapeKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));
    }

    public static string Entity(string tableUri, string partitionKey, string rowKey) =>
        $"{tableUri}(PartitionKey='{EscapeKey(partitionKey)}',RowKey='{EscapeKey(rowKey)}')";

    /// <summary>Comma-joined, escaped $select value that always includes the keys; null for "all".</summary>
    public static string? Select(IEnumerable<string>? select)
    {
        if (select is null)
        {
            return null;
        }

        var names = new List<string> { "PartitionKey", "RowKey" };
        foreach (var name in select)
        {
            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        return string.Join(',', names.Select(Uri.EscapeDataString));
    }

    public static string Query(string tableUri, string? filter, int? top, string? select, TableContinuation? continuation)
    {
        var sb = new StringBuilder(tableUri.Length + 64).Append(tableUri).Append("()");
        var separator = '?';
        void Add(string name, string escapedValue)
        {
            sb.Append(separator).Append(name).Append('=').Append(escapedValue);
            separator = '&';
        }

        if (!string.IsNullOrEmpty(filter))
        {
            Add("$filter", Uri.EscapeDataString(filter));
        }

        if (top is { } t)
        {
            Add("$top", t.ToString(CultureInfo.InvariantCulture));
        }

        if (select is not null)
        {
            Add("$select", select);
        }

        if (continuation?.NextPartitionKey is { } npk)
        {
            Add("NextPartitionKey", Uri.EscapeDataString(npk));
        }

        if (continuation?.NextRowKey is { } nrk)
        {
            Add("NextRowKey", Uri.EscapeDataString(nrk));
        }

        return sb.ToString();
    }
}
