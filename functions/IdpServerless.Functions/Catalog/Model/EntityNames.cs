namespace IdpServerless.Functions.Catalog.Model;

/// <summary>
/// Backstage's default field-format rules (its Kubernetes-style validators): entity names, namespaces, kinds,
/// apiVersions, label and annotation keys, label values and tags. The messages state what was expected, as Backstage's do.
/// </summary>
public static class EntityNames
{
    public const string NameExpectation = "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total";
    public const string NamespaceExpectation = "a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total";
    public const string KindExpectation = "a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total";
    public const string PrefixSuffixExpectation = "a valid prefix and/or suffix (an optional DNS subdomain and '/', then a name)";

    /// <summary><c>^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$</c>, 1..63 characters.</summary>
    public static bool IsValidObjectName(string? value)
    {
        if (value is null || value.Length is < 1 or > 63 || !char.IsAsciiLetterOrDigit(value[0]) || !char.IsAsciiLetterOrDigit(value[^1]))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A DNS label: <c>^[a-z0-9]+(-[a-z0-9]+)*$</c>, 1..63 characters. Namespaces and tags follow it.</summary>
    public static bool IsValidDnsLabel(string? value)
    {
        if (value is null || value.Length is < 1 or > 63 || value[0] == '-' || value[^1] == '-')
        {
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '-')
            {
                if (value[i - 1] == '-')
                {
                    return false;
                }
            }
            else if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidNamespace(string? value) => IsValidDnsLabel(value);

    public static bool IsValidTag(string? value) => IsValidDnsLabel(value);

    /// <summary>1..253 characters of dot-separated DNS labels.</summary>
    public static bool IsValidDnsSubdomain(string? value) =>
        value is { Length: >= 1 and <= 253 } && value.Split('.').All(IsValidDnsLabel);

    /// <summary><c>^[a-zA-Z][a-z0-9A-Z]*$</c>, 1..63 characters.</summary>
    public static bool IsValidKind(string? value) =>
        value is { Length: >= 1 and <= 63 } && char.IsAsciiLetter(value[0]) && value.All(char.IsAsciiLetterOrDigit);

    /// <summary><c>group/version</c> or <c>version</c>: the group a DNS subdomain, the version 1..63 letters and digits.</summary>
    public static bool IsValidApiVersion(string? value) =>
        IsValidPrefixAndOrSuffix(value, IsValidDnsSubdomain, v => v.Length is >= 1 and <= 63 && v.All(char.IsAsciiLetterOrDigit));

    public static bool IsValidLabelKey(string? value) => IsValidPrefixAndOrSuffix(value, IsValidDnsSubdomain, IsValidObjectName);

    public static bool IsValidLabelValue(string? value) => value == string.Empty || IsValidObjectName(value);

    public static bool IsValidAnnotationKey(string? value) => IsValidPrefixAndOrSuffix(value, IsValidDnsSubdomain, IsValidObjectName);

    private static bool IsValidPrefixAndOrSuffix(string? value, Func<string, bool> prefix, Func<string, bool> suffix)
    {
        if (value is null)
        {
            return false;
        }

        var parts = value.Split('/');
        return parts.Length switch
        {
            1 => suffix(parts[0]),
            2 => prefix(parts[0]) && suffix(parts[1]),
            _ => false,
        };
    }
}
