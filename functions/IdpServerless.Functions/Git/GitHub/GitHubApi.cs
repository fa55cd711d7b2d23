using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Polly;
using Polly.Retry;

namespace IdpServerless.Functions.Git.GitHub;

/// <summary>One GitHub answer: status, body text and the headers the provider needs.</summary>
internal sealed record GitHubResponse(HttpStatusCode Status, string Body, Uri? Next)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    public T Read<T>() => JsonSerializer.Deserialize<T>(Body, GitHubJson.Options) ?? throw new GitHubApiException((int)Status, "GitHub answered with an empty body.");

    public string Message
    {
        get
        {
            try
            {
                return JsonSerializer.Deserialize<GhError>(Body, GitHubJson.Options)?.Message ?? string.Empty;
            }
            catch (JsonException)
            {
                return string.Empty;
            }
        }
    }

    public GitHubApiException Error(string what) => new((int)Status, $"GitHub {what} failed with {(int)Status}: {Message}");
}

/// <summary>
/// The typed GitHub REST client over <see cref="IHttpClientFactory"/>: base URL (api.github.com or a GitHub
/// Enterprise <c>/api/v3</c>), the documented headers, bearer token, and retries (in <see cref="GitHubRetryHandler"/>).
/// </summary>
public sealed class GitHubApiClient(IHttpClientFactory factory)
{
    public const string ClientName = "github";

    internal async Task<GitHubResponse> SendAsync(HttpMethod method, string relativeOrAbsolute, object? body, CancellationToken cancellationToken)
    {
        var http = factory.CreateClient(ClientName);
        var uri = new Uri(relativeOrAbsolute, UriKind.RelativeOrAbsolute);
        if (uri.IsAbsoluteUri && http.BaseAddress is { } b && !string.Equals(uri.Authority, b.Authority, StringComparison.OrdinalIgnoreCase))
        {
            // Pagination links are followed only on the API host: the token is never sent anywhere else.
            throw new GitHubApiException(0, $"GitHub returned a link to another host ({uri.Host}); not following it.");
        }

        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, body.GetType(), GitHubJson.Options), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return new GitHubResponse(response.StatusCode, text, NextLink(response.Headers));
    }

    internal Task<GitHubResponse> GetAsync(string url, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, url, null, cancellationToken);

    /// <summary>Follows <c>Link: rel="next"</c> pages until <paramref name="max"/> items.</summary>
    internal async Task<List<T>> GetPagesAsync<T>(string firstUrl, int max, Func<GitHubResponse, bool> onError, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? url = firstUrl;
        while (url is not null && items.Count < max)
        {
            var page = await GetAsync(url, cancellationToken).ConfigureAwait(false);
            if (!page.IsSuccess)
            {
                if (onError(page))
                {
                    return items;
                }

                throw page.Error("GET " + url);
            }

            items.AddRange(page.Read<List<T>>());
            url = page.Next?.ToString();
        }

        return items.Count > max ? items[..max] : items;
    }

    private static Uri? NextLink(HttpResponseHeaders headers)
    {
        if (!headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var part in values.SelectMany(v => v.Split(',')))
        {
            var pieces = part.Split(';');
            if (pieces.Length >= 2 && pieces.Skip(1).Any(p => p.Trim() == "rel=\"next\""))
            {
                var target = pieces[0].Trim().TrimStart('<').TrimEnd('>');
                return Uri.TryCreate(target, UriKind.Absolute, out var next) ? next : null;
            }
        }

        return null;
    }
}

/// <summary>
/// Retries GitHub calls on transport errors, 5xx, 429 and secondary rate limits (403 with <c>Retry-After</c>, an
/// exhausted <c>x-ratelimit-remaining</c>, or a "rate limit" message), waiting what GitHub asks (Retry-After, then
/// <c>x-ratelimit-reset</c>), exponential back-off otherwise; never longer than the configured ceiling.
/// </summary>
internal sealed class GitHubRetryHandler : DelegatingHandler
{
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxDelay;

    public GitHubRetryHandler(GitOptions options, TimeProvider time)
    {
        _time = time;
        _maxDelay = options.GitHubMaxRetryDelay;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(1, options.GitHubMaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = _maxDelay,
                ShouldHandle = args => args.Outcome switch
                {
                    { Exception: HttpRequestException or Polly.Timeout.TimeoutRejectedException } => ValueTask.FromResult(true),
                    { Result: { } r } => ShouldRetryAsync(r),
                    _ => ValueTask.FromResult(false),
                },
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? ServerDelay(r) : null),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .AddTimeout(TimeSpan.FromSeconds(100))
            .Build();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(async token => await base.SendAsync(request, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    private async ValueTask<bool> ShouldRetryAsync(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status >= 500 || status == 429)
        {
            return ServerDelay(response) is not { } wait || wait <= _maxDelay;
        }

        if (status != 403)
        {
            return false;
        }

        if (ServerDelay(response) is { } delay)
        {
            return delay <= _maxDelay;
        }

        // A 403 without rate-limit headers is a permission problem unless the body says it is a (secondary) rate limit.
        await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return body.Contains("rate limit", StringComparison.OrdinalIgnoreCase) && TimeSpan.FromMinutes(1) <= _maxDelay;
    }

    private TimeSpan? ServerDelay(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta)
            {
                return delta;
            }

            if (retryAfter.Date is { } date)
            {
                return Max(date - _time.GetUtcNow());
            }
        }

        if (Header(response, "x-ratelimit-remaining") == "0" && long.TryParse(Header(response, "x-ratelimit-reset"), out var reset))
        {
            return Max(DateTimeOffset.FromUnixTimeSeconds(reset) - _time.GetUtcNow() + TimeSpan.FromSeconds(1));
        }

        return (int)response.StatusCode == 403 ? TimeSpan.FromMinutes(1) : null;
    }

    private static TimeSpan Max(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;
}

/// <summary>
/// Where the GitHub token comes from when a request is sent (so a rotated secret is picked up without a restart).
/// Today: the <c>IDP_GITHUB_TOKEN</c> setting's value. A secret-reference source can replace this registration.
/// </summary>
public interface IGitHubTokenSource
{
    ValueTask<string> GetTokenAsync(CancellationToken cancellationToken);
}

internal sealed class SettingTokenSource(string token) : IGitHubTokenSource
{
    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(token);
}

/// <summary>Sets the bearer token on every attempt (inside the retry handler), never logging it.</summary>
internal sealed class GitHubAuthHandler(IGitHubTokenSource tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false));
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}

internal static class GitHubApiRegistration
{
    public const string UserAgent = "IdpServerless-GitProvider/1.0";
    public const string ApiVersion = "2022-11-28";

    public static IServiceCollection AddGitHubApi(this IServiceCollection services, GitOptions options)
    {
        services.AddSingleton<GitHubApiClient>();
        services.AddTransient<GitHubRetryHandler>();
        services.AddTransient<GitHubAuthHandler>();
        services.TryAddSingleton<IGitHubTokenSource>(new SettingTokenSource(options.GitHubToken ?? string.Empty));
        services.AddHttpClient(GitHubApiClient.ClientName, http =>
            {
                http.BaseAddress = new Uri(options.GitHubApi.TrimEnd('/') + "/");
                http.Timeout = Timeout.InfiniteTimeSpan; // per attempt in GitHubRetryHandler, overall by the caller's token
                http.DefaultRequestHeaders.Accept.ParseAdd("application/vnd.github+json");
                http.DefaultRequestHeaders.Add("X-GitHub-Api-Version", ApiVersion);
                http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
            })
            .AddHttpMessageHandler<GitHubRetryHandler>()
            .AddHttpMessageHandler<GitHubAuthHandler>()
            .RedactLoggedHeaders(_ => true);
        return services;
    }
}
