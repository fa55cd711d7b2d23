using System.Text.Json;
using IdpServerless.Hosting.Functions;

namespace IdpServerless.Tests.Hosting;

/// <summary>How queue handlers read their message: what they cannot read is poisoned at once, with a reason.</summary>
public class QueueMessageReadTests
{
    private sealed record Payload(string Name, int Count);

    private static QueueMessageContext Message(string body) =>
        new("F", "q", "m1", body, 1, DateTimeOffset.UnixEpoch);

    private static Payload? Parse(string body) => JsonSerializer.Deserialize<Payload>(body, JsonSerializerOptions.Web);

    [Fact]
    public void A_readable_body_comes_back_parsed()
    {
        Assert.Equal(new Payload("a", 2), Message("""{"name":"a","count":2}""").Read(Parse, "The payload"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"name":"a","count":"two"}""")]
    public void A_body_that_is_not_the_expected_json_is_poisoned_naming_what_it_is(string body)
    {
        var e = Assert.Throws<PoisonMessageException>(() => Message(body).Read(Parse, "The payload"));
        Assert.StartsWith("The payload cannot be read, it is not JSON of the expected shape: ", e.Message, StringComparison.Ordinal);
        Assert.IsType<JsonException>(e.InnerException);
    }

    [Fact]
    public void Json_null_is_poisoned_as_empty()
    {
        var e = Assert.Throws<PoisonMessageException>(() => Message("null").Read(Parse, "The payload"));
        Assert.Equal("The payload is empty (JSON null).", e.Message);
    }

    [Fact]
    public void Other_failures_of_the_parser_are_not_turned_into_poison()
    {
        // Only "this message can never be read" is final; anything else fails the attempt and is retried as usual.
        Assert.Throws<InvalidOperationException>(() => Message("{}").Read<Payload>(_ => throw new InvalidOperationException("transient"), "The payload"));
    }
}
