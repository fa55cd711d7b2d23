using System.Globalization;
using Azure;

namespace IdpServerless.Storage.Internal;

/// <summary>
/// Turns the SDK's failures into our typed <see cref="StorageException"/>s, named by operation and resource
/// path (never a URL query, which may carry a SAS, and never the service's text for authentication errors).
/// </summary>
internal static class StorageErrors
{
    /// <summary>Runs one SDK call and maps what it throws.</summary>
    public static async Task<T> RunAsync<T>(string operation, string resource, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e, operation, resource, ct) is { } mapped)
        {
            throw mapped;
        }
    }

    public static async Task RunAsync(string operation, string resource, Func<CancellationToken, Task> call, CancellationToken ct)
    {
        try
        {
            await call(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e, operation, resource, ct) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>The typed exception for a failure, or null to let it pass (the caller's own cancellation).</summary>
    public static StorageException? Map(Exception e, string operation, string resource, CancellationToken ct)
    {
        switch (e)
        {
            case StorageException:
                return null;
            case OperationCanceledException when ct.IsCancellationRequested:
                return null;
            case RequestFailedException { Status: 0 } r:
                return new StorageException($"{operation} {resource} failed without a response: {FirstLine(r.Message)}", 0, "NetworkError", r);
            case RequestFailedException r:
                return Create(r.Status, r.ErrorCode, r.Message, operation, resource, r);
            case AggregateException a when a.InnerExceptions.Count > 0:
                // The SDK's retry policy gives up with every attempt's failure; the last one decides.
                var last = a.InnerExceptions[^1];
                return Map(last, operation, resource, ct)
                    ?? new StorageException($"{operation} {resource} failed after {a.InnerExceptions.Count.ToString(CultureInfo.InvariantCulture)} attempts.", 0, "NetworkError", a);
            case OperationCanceledException or TimeoutException:
                return new StorageException($"{operation} {resource} timed out.", 408, "ClientTimeout", e);
            case HttpRequestException or IOException:
                return new StorageException($"{operation} {resource} failed without a response: {e.GetType().Name}.", 0, "NetworkError", e);
            default:
                return null;
        }
    }

    public static StorageException Create(int status, string? code, string? serviceMessage, string operation, string resource, Exception? inner = null)
    {
        var detail = serviceMessage is null || (code?.Contains("Authentication", StringComparison.OrdinalIgnoreCase) ?? false) || status is 401 or 403
            ? string.Empty
            : ": " + FirstLine(serviceMessage);
        var message = $"{operation} {resource} failed with {status.ToString(CultureInfo.InvariantCulture)} ({code ?? "no error code"}){detail}";
        return status switch
        {
            404 => new StorageNotFoundException(message, code, inner),
            409 => new StorageConflictException(message, code, inner),
            412 => new StoragePreconditionFailedException(message, code, inner),
            400 when code == "PopReceiptMismatch" => new StoragePreconditionFailedException(message, status, code, inner),
            429 or 503 => new StorageThrottledException(message, status, code, inner),
            _ => new StorageException(message, status, code, inner),
        };
    }

    /// <summary>The SDK's messages carry the request and response headers after the first line: keep only that.</summary>
    private static string FirstLine(string message)
    {
        var line = message.AsSpan();
        var end = line.IndexOfAny('\r', '\n');
        if (end >= 0)
        {
            line = line[..end];
        }

        return line.Length > 300 ? string.Concat(line[..300], "...") : line.ToString();
    }
}
