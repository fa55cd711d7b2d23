namespace IdpServerless.Functions.Git;

/// <summary>
/// Git trailers (<c>Key: value</c> lines in the last paragraph of a commit message, as <c>git interpret-trailers</c>
/// reads them). Activities stamp their commits with one so a retried step can find its earlier commit.
/// </summary>
public static class GitTrailers
{
    /// <summary>The fixed text a trailer line starts with, for a server-side pre-filter (git --grep, search APIs).</summary>
    public static string SearchText(string key, string value) => $"{key}: {value}";

    /// <summary>True when the message's trailer block has the line <c>{key}: {value}</c> (key case-insensitive, value exact).</summary>
    public static bool Has(string message, string key, string value)
    {
        var paragraphs = message.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd()
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        if (paragraphs.Length < 2)
        {
            // A subject alone is never a trailer block.
            return false;
        }

        foreach (var line in paragraphs[^1].Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            if (line[..colon].Trim().Equals(key, StringComparison.OrdinalIgnoreCase) && line[(colon + 1)..].Trim() == value)
            {
                return true;
            }
        }

        return false;
    }
}
