namespace IdpServerless.Storage.Internal;

/// <summary>Which service a request goes to; decides the signature scheme.</summary>
internal enum StorageService
{
    Blob,
    Queue,
    Table,
}

/// <summary>
/// A storage request description that can be turned into a fresh <see cref="HttpRequestMessage"/> for each
/// retry attempt (a message cannot be sent twice, and each attempt gets a new date and signature).
/// </summary>
internal sealed class StorageRequest(StorageService service, HttpMethod method, string uri, string operation)
{
    public StorageService Service { get; } = service;

    public HttpMethod Method { get; } = method;

    /// <summary>Absolute URL without the SAS (added by the transport).</summary>
    public string Uri { get; } = uri;

    /// <summary>Human-readable operation name for error messages, e.g. "Insert entity".</summary>
    public string Operation { get; } = operation;

    public List<KeyValuePair<string, string>> Headers { get; } = new(4);

    public ReadOnlyMemory<byte> Content { get; private set; }

    public string? ContentType { get; private set; }

    public bool HasContent { get; private set; }

    public StorageRequest Header(string name, string? value)
    {
        if (value is not null)
        {
            Headers.Add(new(name, value));
        }

        return this;
    }

    public StorageRequest Body(ReadOnlyMemory<byte> content, string contentType)
    {
        Content = content;
        ContentType = contentType;
        HasContent = true;
        return this;
    }
}
