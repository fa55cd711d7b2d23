using IdpServerless.Durable;
using IdpServerless.Durable.Storage;

namespace IdpServerless.Tests.Durable;

/// <summary>The engine's queue messages survive a JSON round trip (a message that cannot be read strands its instance).</summary>
public class MessageFormatTests
{
    [Fact]
    public void A_control_message_with_several_events_reads_back_as_written()
    {
        var now = DateTimeOffset.UtcNow;
        var message = new ControlMessage("i-1", "x1", [
            new StoredEvent { Type = HistoryEventType.TaskCompleted, Timestamp = now, TaskId = 3, Name = "Echo", Data = "9", MessageId = "x1:3:result" },
            new StoredEvent { Type = HistoryEventType.TaskFailed, Timestamp = now, TaskId = 4, Name = "Echo", Failure = new TaskFailureDetails("E", "m", null, null) },
        ], "x1:3:results") with { NotBefore = now };

        var read = ControlMessage.Parse(message.ToJson());

        Assert.Equal("i-1", read.InstanceId);
        Assert.Equal(2, read.Events.Count);
        Assert.Equal(HistoryEventType.TaskFailed, read.Events[1].Type);
        Assert.Equal("m", read.Events[1].Failure!.Message);
        Assert.Equal("9", read.Event.Data);
        Assert.Equal(now, read.NotBefore);
    }

    [Fact]
    public void A_work_item_with_several_calls_reads_back_as_written_and_garbage_is_rejected()
    {
        var item = new WorkItemMessage("i-1", "x1", [new WorkItemTask(1, "A", "1", null, 1, "k1"), new WorkItemTask(2, "B", null, "blob", 2, "k2")], new() { ["component"] = "c" }, null);

        var read = WorkItemMessage.Parse(item.ToJson());

        Assert.Equal(["A", "B"], read.Tasks.Select(t => t.Name));
        Assert.Equal("blob", read.Tasks[1].InputRef);
        Assert.Equal("c", read.Labels!["component"]);
        Assert.Throws<System.Text.Json.JsonException>(() => ControlMessage.Parse("{\"i\":\"x\"}"));
    }
}
