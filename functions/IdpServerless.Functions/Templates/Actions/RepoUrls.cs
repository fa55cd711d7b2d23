using IdpServerless.Functions.Git;
using IdpServerless.Functions.Templates.Expressions;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>Repository references in the forms templates use.</summary>
public static class RepoUrls
{
    /// <summary>
    /// The repository named by Backstage's RepoUrlPicker value <c>host?owner=o&amp;repo=r</c> (the host selects nothing
    /// here: the configured git provider serves every repository), or by plain <c>owner/name</c>.
    /// </summary>
    public static RepoRef Parse(string repoUrl, string field = "repoUrl")
    {
        try
        {
            if (repoUrl.Contains('?', StringComparison.Ordinal))
            {
                var parsed = TemplateFilters.ParseRepoUrl(repoUrl);
                var owner = (parsed["owner"] ?? parsed["organization"] ?? parsed["workspace"] ?? parsed["project"])?.ToString();
                return RepoRef.Parse($"{owner}/{parsed["repo"]}");
            }

            return RepoRef.Parse(repoUrl);
        }
        catch (Exception e) when (e is FormatException or TemplateExpressionException)
        {
            throw new ActionFailedException($"input.{field} '{repoUrl}' is not a repository (host?owner=o&repo=r or owner/name): {e.Message}");
        }
    }

    /// <summary>
    /// A catalog location for a file in a repository given by a contents URL: <c>git:owner/repo[/folder]</c>, the local
    /// provider's <c>/api/git/repos/owner/repo</c>, or <c>https://github.com/owner/repo[/tree/branch/folder]</c>; other
    /// URLs become <c>url</c> locations.
    /// </summary>
    public static (string Type, string Target) CatalogLocation(string contentsUrl, string? filePath)
    {
        var file = (filePath ?? string.Empty).Trim('/');
        string Join(string folder) => string.Join('/', new[] { folder.Trim('/'), file }.Where(p => p.Length > 0));

        if (contentsUrl.StartsWith("git:", StringComparison.Ordinal))
        {
            return ("git", Join(contentsUrl[4..]));
        }

        var local = contentsUrl.IndexOf(GitApiPrefix, StringComparison.Ordinal);
        if (local >= 0)
        {
            var rest = contentsUrl[(local + GitApiPrefix.Length)..].Split('?')[0].Trim('/').Split('/');
            if (rest.Length >= 2)
            {
                return ("git", Join($"{rest[0]}/{rest[1]}"));
            }
        }

        if (Uri.TryCreate(contentsUrl, UriKind.Absolute, out var uri) && uri.Host == "github.com")
        {
            var s = uri.AbsolutePath.Trim('/').Split('/');
            if (s.Length >= 2)
            {
                var folder = s.Length > 4 && s[2] is "tree" or "blob" ? string.Join('/', s[4..]) : string.Empty;
                var branch = s.Length >= 4 && s[2] is "tree" or "blob" ? s[3] : null;
                var target = Join(string.Join('/', new[] { s[0], s[1], folder }.Where(x => x.Length > 0)));
                return ("git", branch is null ? target : $"{target}?ref={branch}");
            }
        }

        return ("url", file.Length == 0 ? contentsUrl : $"{contentsUrl.TrimEnd('/')}/{file}");
    }

    private const string GitApiPrefix = "/api/git/repos/";
}
