using System.Text.Json.Nodes;
using IdpServerless.Functions.Notifications;
using IdpServerless.Functions.Templates.Actions;

namespace IdpServerless.Functions.Templates.Tasks;

/// <summary>
/// What the task orchestration's activities do: begin, run one step, undo registrations, finish. Each is safe to run
/// again (activities run at least once): steps are idempotent by <c>{taskId}/{stepId}</c>, status changes are merges,
/// and the completion event and notification are written once per run.
/// </summary>
public sealed partial class TaskExecution(
    TaskStore store,
    TaskEventLog events,
    StepRunner runner,
    ActionRegistry actions,
    IServiceProvider services,
    TimeProvider time,
    ILogger<TaskExecution> logger)
{
    public async Task<int> BeginAsync(string taskId, CancellationToken ct)
    {
        var task = await store.GetAsync(taskId, ct) ?? throw new InvalidOperationException($"Task {taskId} does not exist.");
        var spec = await store.GetSpecAsync(taskId, ct);
        var steps = TaskSpecs.Template(spec).Steps.Count;
        if (task.Status == TaskStatuses.Open)
        {
            await store.UpdateAsync(taskId, status: TaskStatuses.Processing, ct: ct);
            await events.AppendAsync(taskId, "log", new JsonObject { ["message"] = $"Starting up task with {steps} steps" }, ct);
        }

        return steps;
    }

    public async Task<StepOutcome> RunStepAsync(string taskId, int index, JsonObject stepOutputs, CancellationToken ct)
    {
        var task = await store.GetAsync(taskId, ct) ?? throw new InvalidOperationException($"Task {taskId} does not exist.");
        var spec = await store.GetSpecAsync(taskId, ct);
        var template = TaskSpecs.Template(spec);
        var step = template.Steps[index];
        if (task.CancelRequested)
        {
            await Log(taskId, step.Id, $"Task was cancelled before step {step.Id}.", StepStatuses.Cancelled, ct);
            await store.SetStepAsync(taskId, new StepRecord(index, step.Id, step.Name, StepStatuses.Cancelled, null, null, null, "cancelled"), ct);
            return new StepOutcome(StepStatuses.Cancelled, [], "The task was cancelled.");
        }

        var started = time.GetUtcNow();
        await store.SetStepAsync(taskId, new StepRecord(index, step.Id, step.Name, StepStatuses.Processing, started, null, null, null), ct);
        await Log(taskId, step.Id, $"Step {index + 1}/{template.Steps.Count}: {step.Name}", StepStatuses.Processing, ct);
        var workspace = await store.LoadWorkspaceAsync(taskId, ct);
        var info = new TemplateInfo(template.Ref, spec["templateInfo"]?["baseUrl"]?.ToString() ?? template.Location);
        var env = new StepEnvironment(taskId, workspace, info, task.Caller.ToCaller(), false, (stepId, message) => Log(taskId, stepId, message, null, ct), store.Journal(taskId));
        var outcome = await runner.RunAsync(step, TaskSpecs.Scope(spec, taskId, stepOutputs), env, ct);
        if (workspace.Changed)
        {
            await store.SaveWorkspaceAsync(taskId, workspace, ct);
        }

        await store.SetStepAsync(taskId, new StepRecord(index, step.Id, step.Name, outcome.Status, started, time.GetUtcNow(), outcome.Output, outcome.Error), ct);
        await store.UpdateAsync(taskId, ct: ct);
        await Log(taskId, step.Id, $"Step {step.Id} {outcome.Status}", outcome.Status, ct);
        return outcome;
    }

    /// <summary>Undoes what the task registered, newest first. Failures to undo are logged and reported, never hidden.</summary>
    public async Task<int> CompensateAsync(string taskId, CancellationToken ct)
    {
        var records = await store.GetCompensationsAsync(taskId, ct);
        var undone = 0;
        foreach (var record in records.Reverse())
        {
            if (actions.Find(record.ActionId) is not ICompensatingAction action)
            {
                continue;
            }

            var lines = new List<string>();
            try
            {
                await action.CompensateAsync(record, lines.Add, ct);
                undone++;
            }
            catch (Exception e) when (StepRunner.IsPermanent(e))
            {
                lines.Add($"Could not undo {record.ActionId} of step {record.StepId}: {e.Message}");
            }

            foreach (var line in lines)
            {
                await Log(taskId, record.StepId, line, null, ct);
            }
        }

        return undone;
    }

    public async Task<JsonObject> FinishAsync(string taskId, string status, JsonObject stepOutputs, string? error, CancellationToken ct)
    {
        var task = await store.GetAsync(taskId, ct) ?? throw new InvalidOperationException($"Task {taskId} does not exist.");
        var spec = await store.GetSpecAsync(taskId, ct);
        var output = status == TaskStatuses.Completed ? TaskSpecs.RenderOutput(spec, taskId, stepOutputs) : [];
        if (task.Status == status && TaskStatuses.IsFinished(status))
        {
            return output;
        }

        await store.UpdateAsync(taskId, status: status, output: output, error: error ?? string.Empty, ct: ct);
        var message = status switch
        {
            TaskStatuses.Completed => "Run completed with status: completed",
            TaskStatuses.Cancelled => "Run cancelled",
            _ => $"Run failed with status: failed{(error is null ? string.Empty : $" ({error})")}",
        };
        await events.AppendAsync(taskId, "completion", new JsonObject { ["message"] = message, ["status"] = status, ["output"] = output.DeepClone() }, ct);
        LogFinished(logger, taskId, status);
        await NotifyAsync(task, spec, status, output, error, ct);
        return output;
    }

    private async Task NotifyAsync(TaskRecord task, JsonObject spec, string status, JsonObject output, string? error, CancellationToken ct)
    {
        if (status == TaskStatuses.Cancelled || services.GetService<INotificationPublisher>() is not { } publisher)
        {
            return;
        }

        var links = (output["links"] as JsonArray ?? []).OfType<JsonObject>().Where(l => l["url"] is not null)
            .Select(l => new NotificationLink(l["title"]?.ToString() ?? "Link", l["url"]!.ToString())).ToList();
        var component = (output["links"] as JsonArray ?? []).OfType<JsonObject>().Select(l => l["entityRef"]?.ToString()).FirstOrDefault(r => r is not null);
        var title = spec["templateInfo"]?["entity"]?["metadata"]?["title"]?.ToString() ?? task.TemplateRef;
        await publisher.PublishAsync(new NotificationEvent(
            status == TaskStatuses.Completed ? NotificationEvents.TemplateCompleted : NotificationEvents.TemplateFailed,
            component,
            null,
            task.Id,
            status == TaskStatuses.Completed ? $"{title}: created" : $"{title}: failed",
            status == TaskStatuses.Completed ? $"Task {task.Id} completed." : $"Task {task.Id} failed: {error}",
            status == TaskStatuses.Completed ? "info" : "warning",
            links,
            new Dictionary<string, string> { ["template"] = task.TemplateRef, ["by"] = task.CreatedBy, ["task"] = task.Id }), ct);
    }

    private Task Log(string taskId, string stepId, string message, string? status, CancellationToken ct)
    {
        var body = new JsonObject { ["message"] = message, ["stepId"] = stepId };
        if (status is not null)
        {
            body["status"] = status;
        }

        return events.AppendAsync(taskId, "log", body, ct);
    }

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "Scaffolder task {TaskId} finished: {Status}")]
    private static partial void LogFinished(ILogger logger, string taskId, string status);
}
