using System.Text.Json;
using System.Text.Json.Serialization;

namespace IdpServerless.Hosting.Dispatch;

/// <summary>
/// What lands in <c>&lt;queue&gt;-poison</c>: the original message untouched, plus why it failed, so an operator can
/// read the reason and re-queue the body as it was.
/// </summary>
public sealed record PoisonRecord(
    [property: JsonPropertyName("function")] string Function,
    [property: JsonPropertyName("queue")] string Queue,
    [property: JsonPropertyName("messageId")] string MessageId,
    [property: JsonPropertyName("dequeueCount")] long DequeueCount,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("failedAt")] DateTimeOffset FailedAt,
    [property: JsonPropertyName("body")] string Body)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static PoisonRecord? TryParse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<PoisonRecord>(json, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A reason safe to store: the exception's type and message, trimmed (no stack, which may leak internals).</summary>
    public static string ReasonFrom(Exception e)
    {
        var inner = e is AggregateException { InnerException: { } i } ? i : e;
        var text = $"{inner.GetType().Name}: {inner.Message}";
        return text.Length > 2000 ? text[..2000] : text;
    }
}
