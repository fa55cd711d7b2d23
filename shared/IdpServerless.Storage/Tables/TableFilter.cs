using System.Globalization;

namespace IdpServerless.Storage;

/// <summary>
/// Builds OData <c>$filter</c> expressions with correctly quoted literals, so values never need manual escaping.
/// Example: <c>TableFilter.And(TableFilter.Eq("PartitionKey", "p"), TableFilter.Ge("RowKey", "b"))</c>.
/// </summary>
public static class TableFilter
{
    /// <summary>A string literal: <c>'...'</c> with embedded <c>'</c> doubled.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    public static string Eq(string prop, string value) => Compare(prop, "eq", Quote(value));

    public static string Ne(string prop, string value) => Compare(prop, "ne", Quote(value));

    public static string Gt(string prop, string value) => Compare(prop, "gt", Quote(value));

    public static string Ge(string prop, string value) => Compare(prop, "ge", Quote(value));

    public static string Lt(string prop, string value) => Compare(prop, "lt", Quote(value));

    public static string Le(string prop, string value) => Compare(prop, "le", Quote(value));

    public static string Eq(string prop, int value) => Compare(prop, "eq", Literal(value));

    public static string Eq(string prop, long value) => Compare(prop, "eq", Literal(value));

    public static string Eq(string prop, bool value) => Compare(prop, "eq", Literal(value));

    public static string Eq(string prop, Guid value) => Compare(prop, "eq", Literal(value));

    public static string Ge(string prop, long value) => Compare(prop, "ge", Literal(value));

    public static string Lt(string prop, long value) => Compare(prop, "lt", Literal(value));

    public static string Ge(string prop, DateTimeOffset value) => Compare(prop, "ge", Literal(value));

    public static string Lt(string prop, DateTimeOffset value) => Compare(prop, "lt", Literal(value));

    /// <summary>Any comparison; <paramref name="op"/> is eq, ne, gt, ge, lt or le; <paramref name="literal"/> from <see cref="Literal(string)"/> and friends.</summary>
    public static string Compare(string prop, string op, string literal)
    {
        ArgumentException.ThrowIfNullOrEmpty(prop);
        if (op is not ("eq" or "ne" or "gt" or "ge" or "lt" or "le"))
        {
            throw new ArgumentException($"Unknown comparison operator '{op}'.", nameof(op));
        }

        return prop + " " + op + " " + literal;
    }

    public static string Literal(string value) => Quote(value);

    public static string Literal(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Literal(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

    public static string Literal(bool value) => value ? "true" : "false";

    public static string Literal(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Literal(Guid value) => "guid'" + value.ToString("D") + "'";

    public static string Literal(DateTimeOffset value) =>
        "datetime'" + value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) + "'";

    /// <summary>All conditions (each parenthesised); empty or null parts are skipped.</summary>
    public static string And(params string?[] filters) => Join(" and ", filters);

    /// <summary>Any condition (each parenthesised); empty or null parts are skipped.</summary>
    public static string Or(params string?[] filters) => Join(" or ", filters);

    public static string Not(string filter) => "not (" + filter + ")";

    /// <summary>Keys of <paramref name="prop"/> starting with <paramref name="prefix"/>, as a half-open range.</summary>
    public static string StartsWith(string prop, string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var lower = Ge(prop, prefix);
        return UpperBound(prefix) is { } upper ? And(lower, Lt(prop, upper)) : lower;
    }

    /// <summary><c>PartitionKey ge 'x' and PartitionKey lt 'y'</c> where y is the smallest string after every x-prefixed key.</summary>
    public static string PartitionKeyPrefix(string prefix) => StartsWith("PartitionKey", prefix);

    public static string RowKeyPrefix(string prefix) => StartsWith("RowKey", prefix);

    /// <summary>The prefix with its last incrementable char bumped: "ab" -> "ac"; null when every string qualifies.</summary>
    private static string? UpperBound(string prefix)
    {
        var chars = prefix.ToCharArray();
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            if (chars[i] != char.MaxValue && !char.IsSurrogate(chars[i]))
            {
                chars[i]++;
                return new string(chars, 0, i + 1);
            }
        }

        return prefix.Length == 0 ? null : prefix + char.MaxValue;
    }

    private static string Join(string separator, string?[] filters)
    {
        var parts = filters.Where(f => !string.IsNullOrWhiteSpace(f)).ToList();
        return parts.Count switch
        {
            0 => string.Empty,
            1 => parts[0]!,
            _ => string.Join(separator, parts.Select(p => "(" + p + ")")),
        };
    }
}
