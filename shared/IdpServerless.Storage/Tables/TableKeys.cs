using System.Text;

namespace IdpServerless.Storage;

/// <summary>
/// Makes arbitrary strings legal PartitionKey/RowKey values and back. The characters the Table service
/// forbids in keys (<c>/ \ # ?</c>), control characters (U+0000-U+001F, U+007F-U+009F) and the escape
/// character <c>%</c> itself become <c>%XX</c> (two uppercase hex digits). Other characters, including
/// non-ASCII text, pass through unchanged, so ordinary keys stay readable and keep their ordering
/// relative to each other.
/// </summary>
public static class TableKeys
{
    private const string Hex = "0123456789ABCDEF";

    public static string Escape(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var first = IndexOfEscapable(key);
        if (first < 0)
        {
            return key;
        }

        var sb = new StringBuilder(key.Length + 8).Append(key, 0, first);
        for (var i = first; i < key.Length; i++)
        {
            var c = key[i];
            if (NeedsEscape(c))
            {
                sb.Append('%').Append(Hex[c >> 4]).Append(Hex[c & 0xF]);
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>Reverses <see cref="Escape"/>; <see cref="FormatException"/> on a malformed escape.</summary>
    public static string Unescape(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var first = key.IndexOf('%', StringComparison.Ordinal);
        if (first < 0)
        {
            return key;
        }

        var sb = new StringBuilder(key.Length).Append(key, 0, first);
        for (var i = first; i < key.Length; i++)
        {
            var c = key[i];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }

            if (i + 2 >= key.Length)
            {
                throw new FormatException("Escaped table key ends inside a %XX escape.");
            }

            var value = (HexValue(key[i + 1]) << 4) | HexValue(key[i + 2]);
            sb.Append((char)value);
            i += 2;
        }

        return sb.ToString();
    }

    private static int IndexOfEscapable(string key)
    {
        for (var i = 0; i < key.Length; i++)
        {
            if (NeedsEscape(key[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool NeedsEscape(char c) =>
        c is '/' or '\\' or '#' or '?' or '%' || c < 0x20 || c is >= (char)0x7F and <= (char)0x9F;

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => throw new FormatException("Escaped table key has a malformed %XX escape."),
    };
}
