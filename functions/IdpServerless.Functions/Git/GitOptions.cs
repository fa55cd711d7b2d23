using System.Globalization;
using IdpServerless.Functions.Secrets;

namespace IdpServerless.Functions.Git;

/// <summary>
/// Which git host the portal talks to, from flat settings: <c>IDP_GIT_PROVIDER</c> (<c>local</c> or <c>github</c>),
/// <c>IDP_DATA_DIR</c> (local repositories live in <c>{IDP_DATA_DIR}/git</c>), <c>IDP_GITHUB_API</c>, and GitHub's
/// credentials: a token (<c>IDP_GITHUB_TOKEN</c>) or a GitHub App (<c>IDP_GITHUB_APP_ID</c>,
/// <c>IDP_GITHUB_APP_PRIVATE_KEY</c>, optionally <c>IDP_GITHUB_APP_INSTALLATION_ID</c>).
/// </summary>
public sealed class GitOptions
{
    public const string Local = "local";
    public const string GitHub = "github";
    public const string TokenSetting = "IDP_GITHUB_TOKEN";
    public const string AppIdSetting = "IDP_GITHUB_APP_ID";
    public const string AppKeySetting = "IDP_GITHUB_APP_PRIVATE_KEY";
    public const string AppInstallationSetting = "IDP_GITHUB_APP_INSTALLATION_ID";

    public string Provider { get; set; } = Local;

    /// <summary>The data folder; relative paths are taken from the process's working directory.</summary>
    public string DataDir { get; set; } = ".data";

    /// <summary>api.github.com, or a GitHub Enterprise Server's <c>https://host/api/v3</c>.</summary>
    public string GitHubApi { get; set; } = "https://api.github.com";

    /// <summary>A personal access token, or a secret reference to one (<c>keyvault:github-token</c>); never logged.</summary>
    public string? GitHubToken { get; set; }

    /// <summary>The GitHub App's id (the JWT's <c>iss</c>), when the portal signs in as an App instead of with a token.</summary>
    public long? GitHubAppId { get; set; }

    /// <summary>A secret reference to the App's private key (PEM); the key itself never sits in a setting.</summary>
    public string? GitHubAppPrivateKey { get; set; }

    /// <summary>The App's installation to act as; when unset it is looked up per owner (organization, then user).</summary>
    public long? GitHubAppInstallationId { get; set; }

    /// <summary>How long a retry may wait for GitHub's Retry-After or rate-limit reset before giving up.</summary>
    public TimeSpan GitHubMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt on transport errors, timeouts, 5xx and rate limits.</summary>
    public int GitHubMaxRetries { get; set; } = 4;

    /// <summary>How long one GitHub request may take.</summary>
    public TimeSpan GitHubTimeout { get; set; } = TimeSpan.FromSeconds(100);

    public bool UsesGitHubApp => GitHubAppId is not null || !string.IsNullOrWhiteSpace(GitHubAppPrivateKey);

    /// <summary>Where bare repositories live: <c>{DataDir}/git</c>.</summary>
    public string RepositoriesRoot => System.IO.Path.GetFullPath(System.IO.Path.Combine(DataDir, "git"));

    private List<string> ParseProblems { get; } = [];

    public static GitOptions From(IConfiguration configuration)
    {
        var options = new GitOptions
        {
            Provider = (configuration["IDP_GIT_PROVIDER"] ?? Local).Trim().ToLowerInvariant(),
            DataDir = string.IsNullOrWhiteSpace(configuration["IDP_DATA_DIR"]) ? ".data" : configuration["IDP_DATA_DIR"]!,
            GitHubApi = string.IsNullOrWhiteSpace(configuration["IDP_GITHUB_API"]) ? "https://api.github.com" : configuration["IDP_GITHUB_API"]!.TrimEnd('/'),
            GitHubToken = Blank(configuration[TokenSetting]),
            GitHubAppPrivateKey = Blank(configuration[AppKeySetting])?.Trim(),
        };
        options.GitHubAppId = options.Id(configuration, AppIdSetting);
        options.GitHubAppInstallationId = options.Id(configuration, AppInstallationSetting);
        options.GitHubMaxRetryDelay = options.Duration(configuration, "IDP_GITHUB_MAX_RETRY_DELAY", options.GitHubMaxRetryDelay, TimeSpan.Zero);
        options.GitHubTimeout = options.Duration(configuration, "IDP_GITHUB_TIMEOUT", options.GitHubTimeout, TimeSpan.FromMilliseconds(1));
        if (configuration["IDP_GITHUB_MAX_RETRIES"] is { Length: > 0 } retries)
        {
            if (int.TryParse(retries, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 10)
            {
                options.GitHubMaxRetries = n;
            }
            else
            {
                options.ParseProblems.Add($"IDP_GITHUB_MAX_RETRIES='{retries}' is not a whole number from 0 to 10.");
            }
        }

        return options;
    }

    /// <summary>What is wrong with the settings, or empty. Names settings, never a credential.</summary>
    public IEnumerable<string> Validate(IConfiguration? configuration = null)
    {
        if (Provider is not (Local or GitHub))
        {
            yield return $"IDP_GIT_PROVIDER='{Provider}' is not one of '{Local}', '{GitHub}'.";
        }

        if (Provider != GitHub)
        {
            yield break;
        }

        foreach (var problem in ParseProblems)
        {
            yield return problem;
        }

        if (!Uri.TryCreate(GitHubApi, UriKind.Absolute, out var api) || api.Scheme is not ("https" or "http"))
        {
            yield return $"IDP_GITHUB_API='{GitHubApi}' is not an absolute http(s) URL (api.github.com, or https://<host>/api/v3 for GitHub Enterprise).";
        }

        if (!UsesGitHubApp)
        {
            if (GitHubToken is null)
            {
                yield return $"{TokenSetting}, or {AppIdSetting} with {AppKeySetting}, is required when IDP_GIT_PROVIDER=github.";
            }
            else if (SecretReference.LooksLikeReference(GitHubToken) && configuration is not null && SecretSettings.Lacking(configuration, GitHubToken, TokenSetting) is { } gap)
            {
                yield return gap.Reason;
            }

            yield break;
        }

        if (GitHubToken is not null)
        {
            yield return $"Set either {TokenSetting} or the GitHub App ({AppIdSetting}, {AppKeySetting}), not both.";
        }

        if (GitHubAppId is null)
        {
            yield return $"{AppIdSetting} is required with {AppKeySetting}.";
        }

        if (GitHubAppPrivateKey is null)
        {
            yield return $"{AppKeySetting} is required with {AppIdSetting}: a secret reference to the App's private key (e.g. keyvault:github-app-key).";
        }
        else if (!SecretReference.LooksLikeReference(GitHubAppPrivateKey))
        {
            yield return $"{AppKeySetting} must be a secret reference (vault:, keyvault: or local:), not the key itself.";
        }
        else if (configuration is not null && SecretSettings.Lacking(configuration, GitHubAppPrivateKey, AppKeySetting) is { } gap)
        {
            yield return gap.Reason;
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private long? Id(IConfiguration configuration, string setting)
    {
        if (configuration[setting] is not { Length: > 0 } text)
        {
            return null;
        }

        if (long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
        {
            return id;
        }

        ParseProblems.Add($"{setting}='{text}' is not a positive whole number.");
        return null;
    }

    private TimeSpan Duration(IConfiguration configuration, string setting, TimeSpan fallback, TimeSpan min)
    {
        if (configuration[setting] is not { Length: > 0 } text)
        {
            return fallback;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= min)
        {
            return value;
        }

        ParseProblems.Add($"{setting}='{text}' is not a duration such as 00:01:00.");
        return fallback;
    }
}
