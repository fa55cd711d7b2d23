using System.Text.Json;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// An answer written to the response body as it is produced: a <see cref="Utf8JsonWriter"/> over the response's pipe,
/// flushed to the socket every <see cref="FlushBytes"/>. A list of 32,000 entities (~50 MB) then costs the server one
/// small buffer per request instead of the whole answer, which under 50 concurrent list requests was gigabytes of
/// large-object heap the collector never gave back (issue #18).
/// </summary>
public static class EntityStream
{
    /// <summary>Bytes gathered before they are handed to the socket.</summary>
    public const int FlushBytes = 32 * 1024;

    /// <summary>Streams what <paramref name="write"/> writes as <c>application/json</c> with <paramref name="status"/>.</summary>
    public static IResult Result(Func<Writer, ValueTask> write, int status = StatusCodes.Status200OK) => new StreamResult(write, status);

    /// <summary>The JSON writer of one streamed answer and its flush point.</summary>
    public sealed class Writer(Utf8JsonWriter json, System.IO.Pipelines.PipeWriter pipe, CancellationToken ct)
    {
        private long _flushed;

        public Utf8JsonWriter Json { get; } = json;

        /// <summary>Hands what is gathered to the socket once it passes <see cref="FlushBytes"/> (back-pressure included).</summary>
        public async ValueTask FlushIfFullAsync()
        {
            // The writer advances the pipe by itself whenever its buffer fills (BytesPending drops back to 0), but only
            // a FlushAsync sends: without one the pipe would hold the whole answer.
            if (Json.BytesCommitted + Json.BytesPending - _flushed < FlushBytes)
            {
                return;
            }

            Json.Flush();
            await pipe.FlushAsync(ct).ConfigureAwait(false);
            _flushed = Json.BytesCommitted;
        }
    }

    private sealed class StreamResult(Func<Writer, ValueTask> write, int status) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json";
            var pipe = response.BodyWriter;
            await using (var json = new Utf8JsonWriter(pipe, new JsonWriterOptions { SkipValidation = true }))
            {
                await write(new Writer(json, pipe, httpContext.RequestAborted)).ConfigureAwait(false);
                json.Flush();
            }

            await pipe.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
