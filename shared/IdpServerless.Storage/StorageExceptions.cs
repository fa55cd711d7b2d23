namespace IdpServerless.Storage;

/// <summary>
/// A request to Azure Storage failed. The message names the operation, the resource path (never the query
/// string, so SAS signatures cannot leak), the HTTP status and the service error code; it never contains keys.
/// <see cref="Status"/> is 0 when no HTTP response was received (network failure or per-request timeout
/// after all retries).
/// </summary>
public class StorageException : Exception
{
    public StorageException(string message, int status, string? errorCode, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>HTTP status code, or 0 when the service never answered.</summary>
    public int Status { get; }

    /// <summary>Service error code such as <c>EntityAlreadyExists</c>, when the service sent one.</summary>
    public string? ErrorCode { get; }
}

/// <summary>The resource (table, entity, queue, message, container or blob) does not exist (HTTP 404).</summary>
public sealed class StorageNotFoundException : StorageException
{
    public StorageNotFoundException(string message, string? errorCode, Exception? innerException = null)
        : base(message, 404, errorCode, innerException)
    {
    }
}

/// <summary>
/// The resource already exists or is in a conflicting state (HTTP 409), e.g. an entity insert whose key is
/// taken, or a blob lease held by someone else.
/// </summary>
public sealed class StorageConflictException : StorageException
{
    public StorageConflictException(string message, string? errorCode, Exception? innerException = null)
        : base(message, 409, errorCode, innerException)
    {
    }
}

/// <summary>
/// A condition did not hold: an If-Match / If-None-Match (HTTP 412, somebody else changed the resource), or a
/// stale queue pop receipt (HTTP 400 <c>PopReceiptMismatch</c>: the message was received again by someone else).
/// </summary>
public sealed class StoragePreconditionFailedException : StorageException
{
    public StoragePreconditionFailedException(string message, string? errorCode, Exception? innerException = null)
        : base(message, 412, errorCode, innerException)
    {
    }

    public StoragePreconditionFailedException(string message, int status, string? errorCode, Exception? innerException = null)
        : base(message, status, errorCode, innerException)
    {
    }
}

/// <summary>The service kept answering 429 or 503 (server busy) until the retries were used up.</summary>
public sealed class StorageThrottledException : StorageException
{
    public StorageThrottledException(string message, int status, string? errorCode, Exception? innerException = null)
        : base(message, status, errorCode, innerException)
    {
    }
}

/// <summary>
/// An entity group transaction failed; nothing in it was applied. <see cref="FailedOperationIndex"/> is the
/// zero-based position of the failing operation in the submitted list, or -1 when the service did not say.
/// <see cref="StorageException.Status"/> and <see cref="StorageException.ErrorCode"/> are those of the failing
/// operation (e.g. 409 <c>EntityAlreadyExists</c>).
/// </summary>
public sealed class StorageBatchException : StorageException
{
    public StorageBatchException(string message, int status, string? errorCode, int failedOperationIndex, Exception? innerException = null)
        : base(message, status, errorCode, innerException)
    {
        FailedOperationIndex = failedOperationIndex;
    }

    /// <summary>Zero-based index of the failed operation, or -1 when unknown.</summary>
    public int FailedOperationIndex { get; }
}
