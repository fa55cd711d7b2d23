using IdpServerless.Functions.Git.GitHub;
using IdpServerless.Functions.Git.Local;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IdpServerless.Functions.Git;

public static class GitRegistration
{
    /// <summary>
    /// The configured <see cref="IGitProvider"/>: <c>IDP_GIT_PROVIDER=local</c> (default; bare repositories under
    /// <c>IDP_DATA_DIR</c>) or <c>github</c> (Octokit against <c>IDP_GITHUB_API</c>, with <c>IDP_GITHUB_TOKEN</c> or a GitHub App).
    /// Invalid settings stop the app at start with a message naming the setting.
    /// </summary>
    public static IServiceCollection AddGitProvider(this IServiceCollection services, IConfiguration configuration)
    {
        var options = GitOptions.From(configuration);
        var problems = options.Validate(configuration).ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Git provider settings are invalid: " + string.Join(" ", problems));
        }

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        if (options.Provider == GitOptions.GitHub)
        {
            services.AddSingleton<GitHubCalls>();
            services.AddSingleton<GitHubClients>();
            services.AddTransient<GitHubRequestHandler>();
            services.AddHttpClient(GitHubClients.HttpClientName)
                .AddHttpMessageHandler<GitHubRequestHandler>()
                .RedactLoggedHeaders(_ => true); // tokens and the App's JWT travel in headers
            services.AddSingleton<IGitProvider, GitHubGitProvider>();
        }
        else
        {
            services.AddSingleton<IGitProvider, LocalGitProvider>();
        }

        return services;
    }
}
