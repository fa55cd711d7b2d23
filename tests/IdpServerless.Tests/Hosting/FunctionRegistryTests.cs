using IdpServerless.Hosting.CustomHandler;
using IdpServerless.Hosting.Functions;
using System.Text.Json;

namespace IdpServerless.Tests.Hosting;

public class FunctionRegistryTests
{
    private sealed class NoopQueue : IQueueHandler
    {
        public Task HandleAsync(QueueMessageContext message, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class NoopTimer : ITimerHandler
    {
        public Task HandleAsync(TimerContext timer, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public void Functions_are_found_by_name_regardless_of_case()
    {
        var r = new FunctionRegistry([new QueueFunction("CatalogRefresh", "catalog-refresh", typeof(NoopQueue))], [new TimerFunction("Nightly", "0 0 2 * * *", typeof(NoopTimer))]);
        Assert.True(r.TryGetQueue("catalogrefresh", out var q));
        Assert.Equal("catalog-refresh-poison", q.PoisonQueueName);
        Assert.True(r.TryGetTimer("NIGHTLY", out _));
        Assert.False(r.TryGetQueue("Nightly", out _));
    }

    [Theory]
    [InlineData("Bad Name", "ok-queue")]
    [InlineData("1starts-with-digit", "ok-queue")]
    [InlineData("HttpFrontDoor", "ok-queue")]
    [InlineData("Fine", "Upper-Case")]
    [InlineData("Fine", "a")]
    [InlineData("Fine", "double--dash")]
    public void Invalid_names_are_refused_at_start(string name, string queue)
    {
        Assert.Throws<InvalidOperationException>(() => new FunctionRegistry([new QueueFunction(name, queue, typeof(NoopQueue))], []));
    }

    [Fact]
    public void A_name_or_queue_declared_twice_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => new FunctionRegistry(
            [new QueueFunction("A", "q-one", typeof(NoopQueue)), new QueueFunction("a", "q-two", typeof(NoopQueue))], []));
        Assert.Throws<InvalidOperationException>(() => new FunctionRegistry(
            [new QueueFunction("A", "q-one", typeof(NoopQueue)), new QueueFunction("B", "q-one", typeof(NoopQueue))], []));
        Assert.Throws<InvalidOperationException>(() => new FunctionRegistry(
            [new QueueFunction("A", "q-one", typeof(NoopQueue))], [new TimerFunction("A", "0 * * * * *", typeof(NoopTimer))]));
    }

    [Fact]
    public void A_bad_schedule_is_refused_at_start()
    {
        Assert.Throws<FormatException>(() => new FunctionRegistry([], [new TimerFunction("T", "every minute", typeof(NoopTimer))]));
    }

    [Fact]
    public void Function_json_has_the_host_bindings_for_each_trigger()
    {
        var r = new FunctionRegistry(
            [
                new QueueFunction("Storage", "work-items", typeof(NoopQueue)),
                new QueueFunction("Bus", "bus-items", typeof(NoopQueue)) { ServiceBusQueue = "bus-items" },
                new QueueFunction("Topic", "topic-items", typeof(NoopQueue)) { ServiceBusTopic = "events", ServiceBusSubscription = "portal" },
            ],
            [new TimerFunction("Tick", "0 */5 * * * *", typeof(NoopTimer)) { RunOnStartup = true }]);
        var files = FunctionMetadataWriter.Render(r);
        Assert.Equal(["Bus", "HttpFrontDoor", "Storage", "Tick", "Topic"], files.Keys.ToArray());

        var http = JsonDocument.Parse(files["HttpFrontDoor"]).RootElement.GetProperty("bindings");
        Assert.Equal("httpTrigger", http[0].GetProperty("type").GetString());
        Assert.Equal("{*path}", http[0].GetProperty("route").GetString());
        Assert.Equal("http", http[1].GetProperty("type").GetString());

        var q = JsonDocument.Parse(files["Storage"]).RootElement.GetProperty("bindings")[0];
        Assert.Equal("queueTrigger", q.GetProperty("type").GetString());
        Assert.Equal("work-items", q.GetProperty("queueName").GetString());
        Assert.Equal("message", q.GetProperty("name").GetString());
        Assert.Equal("AzureWebJobsStorage", q.GetProperty("connection").GetString());

        var bus = JsonDocument.Parse(files["Bus"]).RootElement.GetProperty("bindings")[0];
        Assert.Equal("serviceBusTrigger", bus.GetProperty("type").GetString());
        Assert.Equal("bus-items", bus.GetProperty("queueName").GetString());

        var topic = JsonDocument.Parse(files["Topic"]).RootElement.GetProperty("bindings")[0];
        Assert.Equal("events", topic.GetProperty("topicName").GetString());
        Assert.Equal("portal", topic.GetProperty("subscriptionName").GetString());

        var t = JsonDocument.Parse(files["Tick"]).RootElement.GetProperty("bindings")[0];
        Assert.Equal("timerTrigger", t.GetProperty("type").GetString());
        Assert.Equal("0 */5 * * * *", t.GetProperty("schedule").GetString());
        Assert.True(t.GetProperty("runOnStartup").GetBoolean());
    }
}
