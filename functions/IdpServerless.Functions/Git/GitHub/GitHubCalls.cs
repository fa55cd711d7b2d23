using System.Globalization;
using System.Net;
using IdpServerless.Hosting.Problems;
using Octokit;
using Polly;
using Polly.Retry;

namespace IdpServerless.Functions.Git.GitHub;

/// <summary>
/// GitHub answered with an error the provider does not translate into its own contract (bad credentials, no permission,
/// a rate limit it may not wait out, 5xx after retries), or did not answer in time (<see cref="Status"/> 504). The
/// message names the call, the repository and what to do; never a credential.
/// </summary>
public sealed class GitHubApiException(int status, string message, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner), IUpstreamFailure
{
    /// <summary>GitHub's HTTP status; 502 when it could not be reached, 504 when it did not answer in time.</summary>
    public int Status { get; } = status;

    /// <summary>When a rate limit is the cause: how long until GitHub accepts calls again.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    string IUpstreamFailure.Upstream => "GitHub";

    int? IUpstreamFailure.UpstreamStatus => Status;

    bool IUpstreamFailure.TimedOut => Status == 504;
}

/// <summary>
/// Runs one provider call on Octokit: retries what may pass (transport errors, timeouts, 5xx, and rate limits whose
/// wait GitHub names and <see cref="GitOptions.GitHubMaxRetryDelay"/> allows), and turns Octokit's exceptions into
/// <see cref="GitHubApiException"/> messages. Octokit's API methods take no CancellationToken, so the caller's token
/// travels with the call (<see cref="Cancellation"/>) to the HTTP handler, which cancels the request with it.
/// </summary>
public sealed partial class GitHubCalls
{
    private static readonly AsyncLocal<CancellationToken> Ambient = new();
    private readonly GitOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GitHubCalls> _logger;
    private readonly ResiliencePipeline _pipeline;

    public GitHubCalls(GitOptions options, TimeProvider time, ILogger<GitHubCalls> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.GitHubMaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.GitHubMaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = options.GitHubMaxRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && Retryable(e, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is { } e ? ServerWait(e) : null),
                OnRetry = args =>
                {
                    LogRetry(_logger, args.Outcome.Exception?.GetType().Name ?? "error", args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            });
        }

        _pipeline = builder.Build();
    }

    /// <summary>The token of the provider call running on this flow (for the HTTP handler and the credential stores).</summary>
    public static CancellationToken Cancellation => Ambient.Value;

    /// <summary>Runs <paramref name="call"/> (retried as a whole), <paramref name="what"/> naming it for messages ("reading a.txt from org/repo").</summary>
    public async Task<T> RunAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(
                async token =>
                {
                    Ambient.Value = token;
                    return await call().ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e, what, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    public async Task RunAsync(string what, Func<Task> call, CancellationToken cancellationToken) =>
        await RunAsync<bool>(what, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>The status of an Octokit error, or null for anything else.</summary>
    public static int? StatusOf(Exception e) => e is ApiException api ? (int)api.StatusCode : null;

    /// <summary>GitHub's own message of an Octokit error ("Update is not a fast forward").</summary>
    public static string MessageOf(ApiException e) => e.ApiError?.Message ?? e.Message;

    private bool Retryable(Exception e, CancellationToken token) => e switch
    {
        HttpRequestException => true,
        OperationCanceledException => !token.IsCancellationRequested,
        RateLimitExceededException or SecondaryRateLimitExceededException or AbuseException => ServerWait(e) is { } wait && wait <= _options.GitHubMaxRetryDelay,
        ApiException { StatusCode: (HttpStatusCode)429 } or ApiException { StatusCode: >= HttpStatusCode.InternalServerError } =>
            ServerWait(e) is not { } wait || wait <= _options.GitHubMaxRetryDelay,
        _ => false,
    };

    /// <summary>How long GitHub asks to wait: <c>Retry-After</c>, else the primary limit's reset, else GitHub's documented minute for a secondary limit.</summary>
    private TimeSpan? ServerWait(Exception e)
    {
        if (e is not ApiException api)
        {
            return null;
        }

        if (Header(api, "Retry-After") is { } retryAfter)
        {
            if (int.TryParse(retryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }

            if (DateTimeOffset.TryParse(retryAfter, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return NotNegative(at - _time.GetUtcNow());
            }
        }

        // A primary limit GitHub answers with 429 (Octokit types only the 403 form) names its reset in the headers.
        if (e is not RateLimitExceededException && Header(api, "x-ratelimit-remaining") == "0" &&
            long.TryParse(Header(api, "x-ratelimit-reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var reset))
        {
            return NotNegative(DateTimeOffset.FromUnixTimeSeconds(reset) - _time.GetUtcNow() + TimeSpan.FromSeconds(1));
        }

        return e switch
        {
            RateLimitExceededException limit => NotNegative(limit.Reset - _time.GetUtcNow() + TimeSpan.FromSeconds(1)),
            SecondaryRateLimitExceededException or AbuseException or ApiException { StatusCode: (HttpStatusCode)429 } => TimeSpan.FromMinutes(1),
            _ => null,
        };
    }

    private Exception? Translate(Exception e, string what, CancellationToken cancellationToken)
    {
        var credentials = _options.UsesGitHubApp
            ? $"the GitHub App ({GitOptions.AppIdSetting} and the private key {GitOptions.AppKeySetting} refers to, and that the App is installed)"
            : $"{GitOptions.TokenSetting} (wrong, expired or revoked)";
        var waitLimit = $"IDP_GITHUB_MAX_RETRY_DELAY ({_options.GitHubMaxRetryDelay:c})";
        switch (e)
        {
            case GitHubApiException or GitNotFoundException or GitConflictException or ArgumentException:
                return null;
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return null;
            case Secrets.SecretResolutionException secret:
                // A missing secret is the operator's to fix (401: permanent); a secret store that failed may pass (502).
                return new GitHubApiException(secret.UpstreamStatus == 404 ? 401 : 502, $"The GitHub credentials for {what} could not be read ({(_options.UsesGitHubApp ? GitOptions.AppKeySetting : GitOptions.TokenSetting)}): {secret.Message}", inner: e);
            case OperationCanceledException:
                return new GitHubApiException(504, $"GitHub did not answer {what} within {_options.GitHubTimeout:c} (IDP_GITHUB_TIMEOUT), {Attempts}: check that {_options.GitHubApi} is reachable from here, or raise IDP_GITHUB_TIMEOUT.", inner: e);
            case HttpRequestException http:
                return new GitHubApiException(502, $"GitHub could not be reached for {what} ({http.HttpRequestError}: {http.Message}), {Attempts}: check IDP_GITHUB_API ({_options.GitHubApi}) and the network.", inner: e);
            case AuthorizationException auth:
                return new GitHubApiException(401, $"GitHub refused the credentials for {what} (401 {MessageOf(auth)}): check {credentials}.", inner: e);
            case RateLimitExceededException limit:
                var reset = ServerWait(limit) ?? TimeSpan.Zero;
                return new GitHubApiException((int)limit.StatusCode, $"GitHub's API rate limit for these credentials is used up ({limit.Limit.ToString(CultureInfo.InvariantCulture)} requests an hour), so {what} was refused: it resets at {limit.Reset.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, in {Seconds(reset)}, longer than {waitLimit} lets a call wait. Try again after the reset.", reset, e);
            case SecondaryRateLimitExceededException or AbuseException or ApiException { StatusCode: (HttpStatusCode)429 }:
                var limited = (ApiException)e;
                var wait = ServerWait(e) ?? TimeSpan.FromMinutes(1);
                return new GitHubApiException((int)limited.StatusCode, $"GitHub's secondary rate limit refused {what} ({(int)limited.StatusCode} {MessageOf(limited)}); GitHub asks to wait {Seconds(wait)}, longer than {waitLimit} lets a call wait, or it kept refusing after {Attempts}. Try again later; fewer concurrent writes help.", wait, e);
            case ForbiddenException forbidden:
                return new GitHubApiException(403, $"GitHub denied {what} (403 {MessageOf(forbidden)}): the credentials lack the permission ({credentials}; the portal needs contents and metadata access, and administration to create repositories).", inner: e);
            case NotFoundException notFound:
                return new GitHubApiException(404, $"GitHub answered 404 to {what} ({MessageOf(notFound)}).", inner: e);
            case ApiException { StatusCode: >= HttpStatusCode.InternalServerError } server:
                return new GitHubApiException((int)server.StatusCode, $"GitHub failed {what} with {(int)server.StatusCode}, {Attempts}: {MessageOf(server)}. GitHub may be having trouble (githubstatus.com, or your Enterprise server); try again later.", inner: e);
            case ApiException api:
                return new GitHubApiException((int)api.StatusCode, $"GitHub refused {what} with {(int)api.StatusCode}: {MessageOf(api)}.", inner: e);
            default:
                return null;
        }
    }

    private string Attempts => _options.GitHubMaxRetries == 0 ? "without retries" : $"after {_options.GitHubMaxRetries.ToString(CultureInfo.InvariantCulture)} retries";

    private static string Seconds(TimeSpan t) => $"{Math.Ceiling(t.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s";

    private static TimeSpan NotNegative(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;

    private static string? Header(ApiException e, string name) =>
        e.HttpResponse?.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "GitHub call failed ({Error}); attempt {Attempt} in {Delay}")]
    private static partial void LogRetry(ILogger logger, string error, int attempt, TimeSpan delay);
}
