using System.Net;

namespace IdpServerless.Tests.Storage;

/// <summary>Scripted HTTP handler: answers from a queue of responders and records every request it saw.</summary>
internal sealed class FakeStorageHandler : HttpMessageHandler
{
    private readonly Func<HttpRequestMessage, int, HttpResponseMessage> _respond;

    public FakeStorageHandler(Func<HttpRequestMessage, int, HttpResponseMessage> respond) => _respond = respond;

    public List<(HttpMethod Method, Uri Uri, Dictionary<string, string> Headers)> Requests { get; } = [];

    public static HttpResponseMessage Status(HttpStatusCode status, string? errorCode = null)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent([]) };
        if (errorCode is not null)
        {
            response.Headers.TryAddWithoutValidation("x-ms-error-code", errorCode);
        }

        return response;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        int index;
        lock (Requests)
        {
            Requests.Add((request.Method, request.RequestUri!, request.Headers.NonValidated.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            index = Requests.Count - 1;
        }

        return Task.FromResult(_respond(request, index));
    }
}
