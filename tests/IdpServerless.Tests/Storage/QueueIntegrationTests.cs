using System.Diagnostics;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public class QueueIntegrationTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly StorageClient _client = azurite.CreateClient();

    private async Task<QueueClient> NewQueueAsync()
    {
        var queue = _client.GetQueue(AzuriteFixture.UniqueName("q"));
        await queue.CreateIfNotExistsAsync();
        return queue;
    }

    /// <summary>Receives until a message arrives or the deadline passes (messages become visible on the server's clock).</summary>
    private static async Task<QueueMessage> ReceiveOneAsync(QueueClient queue, TimeSpan visibility)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var got = await queue.ReceiveAsync(1, visibility);
            if (got.Count == 1)
            {
                return got[0];
            }

            Assert.True(watch.Elapsed < Deadline, "no message became visible before the deadline");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Send_receive_delete_round_trips_raw_text()
    {
        var queue = await NewQueueAsync();
        const string text = "{\"kind\":\"deploy\",\"note\":\"<b>&amp;</b> 'q' ünï ✓ 𝄞\"}\r\nsecond line";

        var sent = await queue.SendAsync(text);
        var received = Assert.Single(await queue.ReceiveAsync(32, TimeSpan.FromSeconds(30)));
        await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt);

        Assert.Equal(sent.MessageId, received.MessageId);
        Assert.Equal(text, received.Body);
        Assert.Equal(1, received.DequeueCount);
        Assert.Null(received.PayloadBlob);
        Assert.True(received.NextVisibleTime > received.InsertionTime);
        Assert.Empty(await queue.PeekAsync(32));
        Assert.Equal(0, await queue.GetApproximateCountAsync());
    }

    [Fact]
    public async Task Visibility_delay_hides_the_message_until_due()
    {
        var queue = await NewQueueAsync();

        var sent = await queue.SendAsync("later", visibilityDelay: TimeSpan.FromSeconds(2));
        var immediately = await queue.ReceiveAsync(1, TimeSpan.FromSeconds(30));
        var eventually = await ReceiveOneAsync(queue, TimeSpan.FromSeconds(30));

        Assert.Empty(immediately);
        Assert.True(sent.NextVisibleTime >= sent.InsertionTime.AddSeconds(2));
        Assert.Equal("later", eventually.Body);
        Assert.Equal(1, await queue.GetApproximateCountAsync());
    }

    [Fact]
    public async Task Update_makes_message_visible_again_with_new_text_and_dequeue_count_grows()
    {
        var queue = await NewQueueAsync();
        await queue.SendAsync("v1");
        var first = await ReceiveOneAsync(queue, TimeSpan.FromSeconds(60));
        Assert.Empty(await queue.ReceiveAsync(1, TimeSpan.FromSeconds(60)));

        var receipt = await queue.UpdateMessageAsync(first.MessageId, first.PopReceipt, TimeSpan.Zero, "v2");
        var second = await ReceiveOneAsync(queue, TimeSpan.FromSeconds(60));

        Assert.NotEqual(first.PopReceipt, receipt);
        Assert.Equal("v2", second.Body);
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal(2, second.DequeueCount);
        var staleReceipt = await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => queue.DeleteMessageAsync(first.MessageId, receipt));
        Assert.Equal("PopReceiptMismatch", staleReceipt.ErrorCode);
        await queue.DeleteMessageAsync(second.MessageId, second.PopReceipt);
        await Assert.ThrowsAsync<StorageNotFoundException>(() => queue.DeleteMessageAsync(second.MessageId, second.PopReceipt));
    }

    [Fact]
    public async Task Expired_visibility_timeout_redelivers_with_higher_dequeue_count()
    {
        var queue = await NewQueueAsync();
        await queue.SendAsync("retry me");

        var first = await ReceiveOneAsync(queue, TimeSpan.FromSeconds(1));
        var second = await ReceiveOneAsync(queue, TimeSpan.FromSeconds(30));

        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal(1, first.DequeueCount);
        Assert.Equal(2, second.DequeueCount);
        Assert.NotEqual(first.PopReceipt, second.PopReceipt);
    }

    [Fact]
    public async Task Large_message_travels_through_a_blob_that_is_deleted_with_the_message()
    {
        var queue = await NewQueueAsync();
        var text = string.Concat(Enumerable.Range(0, 100 * 1024 / 16).Select(i => $"chunk-{i:D9}&<>"[..16]));
        Assert.True(text.Length >= 100 * 1024);
        var payloads = _client.GetContainer("queue-payloads");

        await queue.SendAsync(text);
        var peeked = Assert.Single(await queue.PeekAsync(1));
        var received = await ReceiveOneAsync(queue, TimeSpan.FromSeconds(30));
        var blobsBefore = await payloads.ListAsync(queue.Name + "/").ToListAsync();
        await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt);
        var blobsAfter = await payloads.ListAsync(queue.Name + "/").ToListAsync();

        Assert.Equal(text, peeked.Body);
        Assert.Equal(text, received.Body);
        Assert.NotNull(received.PayloadBlob);
        Assert.Equal(received.PayloadBlob, Assert.Single(blobsBefore).Name);
        Assert.Empty(blobsAfter);
        Assert.Equal(0, await queue.GetApproximateCountAsync());
    }

    [Fact]
    public async Task Text_xml_cannot_carry_goes_through_a_blob_and_round_trips()
    {
        var queue = await NewQueueAsync();
        const string text = "bell\u0007 and nul\u0000";

        await queue.SendAsync(text);
        var received = await ReceiveOneAsync(queue, TimeSpan.FromSeconds(30));
        await queue.DeleteMessageAsync(received);

        Assert.Equal(text, received.Body);
        Assert.NotNull(received.PayloadBlob);
        Assert.Null(await _client.GetContainer("queue-payloads").DownloadAsync(received.PayloadBlob!));
    }

    [Fact]
    public async Task Approximate_count_clear_and_peek()
    {
        var queue = await NewQueueAsync();
        for (var i = 0; i < 5; i++)
        {
            await queue.SendAsync("m" + i);
        }

        var count = await queue.GetApproximateCountAsync();
        var peeked = await queue.PeekAsync(32);
        var stillThere = await queue.GetApproximateCountAsync();
        await queue.ClearAsync();

        Assert.Equal(5, count);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], peeked.Select(m => m.Body).Order());
        Assert.All(peeked, m => Assert.Equal(string.Empty, m.PopReceipt));
        Assert.Equal(5, stillThere);
        Assert.Equal(0, await queue.GetApproximateCountAsync());
    }

    [Fact]
    public async Task Time_to_live_default_explicit_and_infinite()
    {
        var queue = await NewQueueAsync();

        var byDefault = await queue.SendAsync("a");
        var minute = await queue.SendAsync("b", timeToLive: TimeSpan.FromMinutes(1));
        var forever = await queue.SendAsync("c", timeToLive: TimeSpan.MinValue);
        var foreverToo = await queue.SendAsync("d", timeToLive: TimeSpan.FromSeconds(-1));

        Assert.Equal(TimeSpan.FromDays(7), byDefault.ExpirationTime - byDefault.InsertionTime);
        Assert.Equal(TimeSpan.FromMinutes(1), minute.ExpirationTime - minute.InsertionTime);
        Assert.Equal(9999, forever.ExpirationTime.Year);
        Assert.Equal(9999, foreverToo.ExpirationTime.Year);
    }

    [Fact]
    public async Task Missing_queue_and_bad_arguments_fail_clearly()
    {
        var queue = _client.GetQueue(AzuriteFixture.UniqueName("q"));

        var ex = await Assert.ThrowsAsync<StorageNotFoundException>(() => queue.SendAsync("x"));
        Assert.Equal("QueueNotFound", ex.ErrorCode);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ReceiveAsync(33, TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.SendAsync("x", visibilityDelay: TimeSpan.FromDays(8)));
        await queue.DeleteQueueAsync();
    }
}
