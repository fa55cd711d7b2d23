using System.Text;
using IdpServerless.Hosting.CustomHandler;

namespace IdpServerless.Tests.Hosting;

public class InvocationEnvelopeTests
{
    private static InvocationEnvelope Parse(string json) => InvocationEnvelope.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void A_queue_message_and_its_metadata_are_read()
    {
        var e = Parse("""
            {"Data":{"message":"hello world"},
             "Metadata":{"DequeueCount":3,"Id":"c1","PopReceipt":"p","InsertionTime":"2026-11-21T10:00:00+00:00",
                         "ExpirationTime":"2026-11-28T10:00:00+00:00","NextVisibleTime":"2026-11-21T10:10:00+00:00",
                         "sys":{"MethodName":"Q","UtcNow":"2026-11-21T10:00:01Z","RandGuid":"x"}}}
            """);
        Assert.Equal("hello world", e.GetText("message"));
        Assert.Equal(3, e.GetMetadataInt64("DequeueCount", 0));
        Assert.Equal("c1", e.GetMetadata("Id"));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero), e.GetMetadataTime("InsertionTime"));
    }

    [Fact]
    public void Values_encoded_twice_are_unwrapped()
    {
        var e = Parse("""{"Data":{"message":"\"{\\\"a\\\":1}\""},"Metadata":{"DequeueCount":"\"2\"","Id":"\"abc\""}}""");
        Assert.Equal("{\"a\":1}", e.GetText("message"));
        Assert.Equal(2, e.GetMetadataInt64("DequeueCount", 0));
        Assert.Equal("abc", e.GetMetadata("Id"));
    }

    [Fact]
    public void A_json_object_message_is_kept_as_its_json_text()
    {
        var e = Parse("""{"Data":{"message":{"a":1,"b":[true]}},"Metadata":{}}""");
        Assert.Equal("""{"a":1,"b":[true]}""", e.GetText("message"));
    }

    [Fact]
    public void A_timer_payload_encoded_as_a_string_is_decoded()
    {
        var e = Parse("""{"Data":{"timer":"{\"Schedule\":{\"AdjustForDST\":true},\"ScheduleStatus\":null,\"IsPastDue\":true}"},"Metadata":{}}""");
        var timer = e.GetJson("timer");
        Assert.True(timer.GetProperty("IsPastDue").GetBoolean());
    }

    [Fact]
    public void Binding_and_metadata_names_match_case_insensitively()
    {
        var e = Parse("""{"data":{"Message":"x"},"metadata":{"dequeueCount":4}}""");
        Assert.Equal("x", e.GetText("message"));
        Assert.Equal(4, e.GetMetadataInt64("DequeueCount", 0));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("""{"Metadata":{}}""", "'Data'")]
    public void Malformed_bodies_are_refused_with_the_reason(string body, string mention)
    {
        var ex = Assert.Throws<FormatException>(() => Parse(body));
        Assert.Contains(mention, ex.Message, StringComparison.Ordinal);
    }
}
