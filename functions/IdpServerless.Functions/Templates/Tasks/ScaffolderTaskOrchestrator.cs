using System.Text.Json.Nodes;
using Microsoft.DurableTask;

namespace IdpServerless.Functions.Templates.Tasks;

/// <summary>Input of the task orchestration.</summary>
public sealed record ScaffolderTaskInput(string TaskId);

/// <summary>Output of the task orchestration.</summary>
public sealed record ScaffolderTaskResult(string Status, string? Error);

/// <summary>
/// A scaffolder task as a durable orchestration: one activity per template step, each retried on infrastructure faults;
/// a step that fails (or a cancellation) stops the task, undoes its catalog registrations and records why.
/// </summary>
public sealed class ScaffolderTaskOrchestrator : TaskOrchestrator<ScaffolderTaskInput, ScaffolderTaskResult>
{
    public const string Name = "ScaffolderTask";

    /// <summary>Storage hiccups and lost processes are retried; a step's own failure is returned, not thrown.</summary>
    public static readonly TaskOptions StepOptions = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(30)));

    public override async Task<ScaffolderTaskResult> RunAsync(TaskOrchestrationContext context, ScaffolderTaskInput input)
    {
        var outputs = new JsonObject();
        string status = TaskStatuses.Completed;
        string? error = null;
        try
        {
            var count = await context.CallActivityAsync<int>(BeginTaskActivity.Name, input.TaskId, StepOptions);
            for (var i = 0; i < count; i++)
            {
                var result = await context.CallActivityAsync<StepActivityResult>(RunStepActivity.Name, new StepActivityInput(input.TaskId, i, outputs.ToJsonString()), StepOptions);
                outputs[result.StepId] = JsonNode.Parse(result.OutputJson ?? "{}");
                if (result.Status == StepStatuses.Failed)
                {
                    (status, error) = (TaskStatuses.Failed, $"Step {result.StepId} failed: {result.Error}");
                    break;
                }

                if (result.Status == StepStatuses.Cancelled)
                {
                    status = TaskStatuses.Cancelled;
                    break;
                }
            }
        }
        catch (TaskFailedException e)
        {
            (status, error) = (TaskStatuses.Failed, e.FailureDetails.ErrorMessage);
        }

        if (status != TaskStatuses.Completed)
        {
            await context.CallActivityAsync<int>(CompensateTaskActivity.Name, input.TaskId, StepOptions);
        }

        await context.CallActivityAsync<bool>(FinishTaskActivity.Name, new FinishTaskInput(input.TaskId, status, outputs.ToJsonString(), error), StepOptions);
        return new ScaffolderTaskResult(status, error);
    }
}

public sealed record StepActivityInput(string TaskId, int Index, string OutputsJson);

public sealed record StepActivityResult(string StepId, string Status, string? OutputJson, string? Error);

public sealed record FinishTaskInput(string TaskId, string Status, string OutputsJson, string? Error);

public sealed class BeginTaskActivity(TaskExecution execution) : TaskActivity<string, int>
{
    public const string Name = "ScaffolderBeginTask";

    public override Task<int> RunAsync(TaskActivityContext context, string input) => execution.BeginAsync(input, CancellationToken.None);
}

public sealed class RunStepActivity(TaskExecution execution, TaskStore store) : TaskActivity<StepActivityInput, StepActivityResult>
{
    public const string Name = "ScaffolderRunStep";

    public override async Task<StepActivityResult> RunAsync(TaskActivityContext context, StepActivityInput input)
    {
        var outputs = JsonNode.Parse(input.OutputsJson) as JsonObject ?? [];
        var outcome = await execution.RunStepAsync(input.TaskId, input.Index, outputs, CancellationToken.None);
        var steps = TaskSpecs.Template(await store.GetSpecAsync(input.TaskId, CancellationToken.None)).Steps;
        return new StepActivityResult(steps[input.Index].Id, outcome.Status, outcome.Output.ToJsonString(), outcome.Error);
    }
}

public sealed class CompensateTaskActivity(TaskExecution execution) : TaskActivity<string, int>
{
    public const string Name = "ScaffolderCompensateTask";

    public override Task<int> RunAsync(TaskActivityContext context, string input) => execution.CompensateAsync(input, CancellationToken.None);
}

public sealed class FinishTaskActivity(TaskExecution execution) : TaskActivity<FinishTaskInput, bool>
{
    public const string Name = "ScaffolderFinishTask";

    public override async Task<bool> RunAsync(TaskActivityContext context, FinishTaskInput input)
    {
        var outputs = JsonNode.Parse(input.OutputsJson) as JsonObject ?? [];
        await execution.FinishAsync(input.TaskId, input.Status, outputs, input.Error, CancellationToken.None);
        return true;
    }
}
