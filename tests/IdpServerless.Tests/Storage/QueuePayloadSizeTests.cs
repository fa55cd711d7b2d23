using IdpServerless.Storage.Internal;

namespace IdpServerless.Tests.Storage;

/// <summary>Which texts travel in the queue message itself: 64 KiB at most once written as XML, and only what XML can carry.</summary>
public class QueuePayloadSizeTests
{
    [Fact]
    public void The_limit_counts_the_text_as_xml_in_utf8()
    {
        Assert.True(QueuePayloads.FitsInline(new string('a', QueuePayloads.MaxInlineBytes)));
        Assert.False(QueuePayloads.FitsInline(new string('a', QueuePayloads.MaxInlineBytes + 1)));
        // '&' is written as "&amp;" (5 bytes), 'ü' is 2 bytes of UTF-8, a surrogate pair 4, CR a 5-byte reference.
        Assert.Equal(5 + 2 + 4 + 5 + 1, QueueXml.EscapedUtf8Length("&ü𝄞\rx"));
        Assert.False(QueuePayloads.FitsInline(new string('&', (QueuePayloads.MaxInlineBytes / 5) + 1)));
    }

    [Fact]
    public void Text_xml_cannot_carry_or_that_looks_like_a_reference_goes_through_a_blob()
    {
        Assert.Equal(-1, QueueXml.EscapedUtf8Length("a\0b"));
        Assert.False(QueuePayloads.FitsInline("a\0b"));
        Assert.False(QueuePayloads.FitsInline("{\"idp.queuePayload\":\"x\"}"));
        Assert.True(QueuePayloads.FitsInline("{\"kind\":\"deploy\"}"));
    }
}
