using System.Globalization;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace IdpServerless.Storage.Internal;

/// <summary>
/// Sends <see cref="StorageRequest"/>s: adds version, date and authorization, applies the per-attempt timeout
/// and the retry policy (exponential backoff with jitter, honouring Retry-After), and turns failed responses
/// into <see cref="StorageException"/>s. One instance per <see cref="StorageClient"/>; thread-safe.
/// </summary>
internal sealed class StorageTransport
{
    public const string ApiVersion = "2021-12-02";
    public const string TokenResource = "https://storage.azure.com/";

    private readonly HttpClient _http;
    private readonly IStorageTokenProvider? _tokens;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly int _attempts;

    public StorageTransport(StorageAccount account, HttpClient http, IStorageTokenProvider? tokens, TimeProvider time, StorageClientOptions options)
    {
        Account = account;
        _http = http;
        _tokens = tokens;
        _time = time;
        _attempts = options.MaxRetryAttempts + 1;
        if (account.CredentialKind == StorageCredentialKind.BearerToken && tokens is null)
        {
            throw new ArgumentException(
                "The storage account has no key or SAS, so bearer authorization is used: pass an IStorageTokenProvider.",
                nameof(tokens));
        }

        var maxDelay = options.MaxRetryDelay;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = maxDelay,
                ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, maxDelay)),
            });
        }

        _pipeline = builder.AddTimeout(options.RequestTimeout).Build();
    }

    public StorageAccount Account { get; }

    public TimeProvider Time => _time;

    /// <summary>
    /// Sends with retries and returns the final response whatever its status; callers inspect expected
    /// statuses (e.g. 404 meaning "absent") and then call <see cref="ThrowIfFailedAsync"/>.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(StorageRequest request, CancellationToken ct)
    {
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (state, token) =>
                {
                    using var message = await state.Self.CreateMessageAsync(state.Request, token).ConfigureAwait(false);
                    return await state.Self._http.SendAsync(message, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
                },
                (Self: this, Request: request),
                ct).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex) when (!ct.IsCancellationRequested)
        {
            throw new StorageException(
                $"{request.Operation} {ResourcePath(request)} timed out after {_attempts.ToString(CultureInfo.InvariantCulture)} attempt(s).",
                408, "ClientTimeout", ex);
        }
        catch (HttpRequestException ex) when (!ct.IsCancellationRequested)
        {
            throw new StorageException(
                $"{request.Operation} {ResourcePath(request)} failed without a response after {_attempts.ToString(CultureInfo.InvariantCulture)} attempt(s): {ex.HttpRequestError}.",
                0, "NetworkError", ex);
        }
    }

    /// <summary>Throws the <see cref="StorageException"/> matching a non-success response; returns otherwise.</summary>
    public static async Task ThrowIfFailedAsync(HttpResponseMessage response, StorageRequest request, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var (code, serviceMessage) = await StorageErrorReader.ReadAsync(response, ct).ConfigureAwait(false);
        throw CreateException((int)response.StatusCode, code, serviceMessage, request.Operation, ResourcePath(request));
    }

    /// <summary>True when the response has <paramref name="status"/> and service error <paramref name="code"/>.</summary>
    public static async Task<bool> IsErrorAsync(HttpResponseMessage response, System.Net.HttpStatusCode status, string code, CancellationToken ct) =>
        response.StatusCode == status
        && (await StorageErrorReader.ReadAsync(response, ct).ConfigureAwait(false)).Code == code;

    public static StorageException CreateException(int status, string? code, string? serviceMessage, string operation, string resource)
    {
        var detail = serviceMessage is null || (code?.Contains("Authentication", StringComparison.OrdinalIgnoreCase) ?? false)
            ? string.Empty
            : ": " + serviceMessage;
        var message = $"{operation} {resource} failed with {status.ToString(CultureInfo.InvariantCulture)} ({code ?? "no error code"}){detail}";
        return status switch
        {
            404 => new StorageNotFoundException(message, code),
            409 => new StorageConflictException(message, code),
            412 => new StoragePreconditionFailedException(message, code),
            400 when code == "PopReceiptMismatch" => new StoragePreconditionFailedException(message, status, code),
            429 or 503 => new StorageThrottledException(message, status, code),
            _ => new StorageException(message, status, code),
        };
    }

    /// <summary>The request path for messages: never the query, which may carry a SAS signature.</summary>
    public static string ResourcePath(StorageRequest request)
    {
        var uri = request.Uri;
        var query = uri.IndexOf('?', StringComparison.Ordinal);
        var withoutQuery = query < 0 ? uri : uri[..query];
        return System.Uri.TryCreate(withoutQuery, UriKind.Absolute, out var parsed) ? parsed.AbsolutePath : withoutQuery;
    }

    private async ValueTask<HttpRequestMessage> CreateMessageAsync(StorageRequest request, CancellationToken ct)
    {
        var uri = request.Uri;
        if (Account.Sas is { } sas)
        {
            uri += (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + sas;
        }

        var message = new HttpRequestMessage(request.Method, uri);
        try
        {
            var headers = message.Headers;
            headers.TryAddWithoutValidation("x-ms-version", ApiVersion);
            headers.TryAddWithoutValidation("x-ms-date", _time.GetUtcNow().ToString("R", CultureInfo.InvariantCulture));
            foreach (var (name, value) in request.Headers)
            {
                headers.TryAddWithoutValidation(name, value);
            }

            if (request.HasContent)
            {
                message.Content = new ReadOnlyMemoryContent(request.Content);
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }

            switch (Account.CredentialKind)
            {
                case StorageCredentialKind.SharedKey when request.Service == StorageService.Table:
                    headers.TryAddWithoutValidation("Authorization", "SharedKeyLite " + Account.AccountName + ":"
                        + SharedKeySigner.Sign(SharedKeySigner.BuildLiteStringToSign(message, Account.AccountName), Account.Key!));
                    break;
                case StorageCredentialKind.SharedKey:
                    headers.TryAddWithoutValidation("Authorization", "SharedKey " + Account.AccountName + ":"
                        + SharedKeySigner.Sign(SharedKeySigner.BuildStringToSign(message, Account.AccountName), Account.Key!));
                    break;
                case StorageCredentialKind.BearerToken:
                    var token = await _tokens!.GetTokenAsync(TokenResource, ct).ConfigureAwait(false);
                    headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
                    break;
            }

            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => (int)response.StatusCode is 408 or 429 or 500 or 502 or 503 or 504,
        _ => false,
    };

    private TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan maxDelay)
    {
        var retryAfter = response?.Headers.RetryAfter;
        TimeSpan? delay = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - _time.GetUtcNow() : null);
        if (delay is not { } d)
        {
            return null;
        }

        return d < TimeSpan.Zero ? TimeSpan.Zero : d > maxDelay ? maxDelay : d;
    }
}
