namespace IdpServerless.Functions.Git;

/// <summary>
/// Which git host the portal talks to, from flat settings: <c>IDP_GIT_PROVIDER</c> (<c>local</c> or <c>github</c>),
/// <c>IDP_DATA_DIR</c> (local repositories live in <c>{IDP_DATA_DIR}/git</c>), <c>IDP_GITHUB_API</c>, <c>IDP_GITHUB_TOKEN</c>.
/// </summary>
public sealed class GitOptions
{
    public const string Local = "local";
    public const string GitHub = "github";

    public string Provider { get; set; } = Local;

    /// <summary>The data folder; relative paths are taken from the process's working directory.</summary>
    public string DataDir { get; set; } = ".data";

    public string GitHubApi { get; set; } = "https://api.github.com";

    /// <summary>The token (never logged). Until secret references land this is the setting's value itself.</summary>
    public string? GitHubToken { get; set; }

    /// <summary>How long a retry may wait for GitHub's Retry-After or rate-limit reset before giving up.</summary>
    public TimeSpan GitHubMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt on 5xx, 429 and secondary rate limits.</summary>
    public int GitHubMaxRetries { get; set; } = 4;

    /// <summary>Where bare repositories live: <c>{DataDir}/git</c>.</summary>
    public string RepositoriesRoot => System.IO.Path.GetFullPath(System.IO.Path.Combine(DataDir, "git"));

    public static GitOptions From(IConfiguration configuration)
    {
        var options = new GitOptions
        {
            Provider = (configuration["IDP_GIT_PROVIDER"] ?? Local).Trim().ToLowerInvariant(),
            DataDir = string.IsNullOrWhiteSpace(configuration["IDP_DATA_DIR"]) ? ".data" : configuration["IDP_DATA_DIR"]!,
            GitHubApi = string.IsNullOrWhiteSpace(configuration["IDP_GITHUB_API"]) ? "https://api.github.com" : configuration["IDP_GITHUB_API"]!.TrimEnd('/'),
            GitHubToken = configuration["IDP_GITHUB_TOKEN"],
        };
        if (TimeSpan.TryParse(configuration["IDP_GITHUB_MAX_RETRY_DELAY"], System.Globalization.CultureInfo.InvariantCulture, out var delay) && delay >= TimeSpan.Zero)
        {
            options.GitHubMaxRetryDelay = delay;
        }

        return options;
    }

    /// <summary>What is wrong with the settings, or empty.</summary>
    public IEnumerable<string> Validate()
    {
        if (Provider is not (Local or GitHub))
        {
            yield return $"IDP_GIT_PROVIDER='{Provider}' is not one of '{Local}', '{GitHub}'.";
        }

        if (Provider == GitHub)
        {
            if (!Uri.TryCreate(GitHubApi, UriKind.Absolute, out var api) || api.Scheme is not ("https" or "http"))
            {
                yield return $"IDP_GITHUB_API='{GitHubApi}' is not an absolute http(s) URL.";
            }

            if (string.IsNullOrWhiteSpace(GitHubToken))
            {
                yield return "IDP_GITHUB_TOKEN is required when IDP_GIT_PROVIDER=github.";
            }
        }
    }
}
