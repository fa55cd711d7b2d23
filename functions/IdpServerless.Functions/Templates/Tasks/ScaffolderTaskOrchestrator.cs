using IdpServerless.Hosting.Functions;
using Microsoft.Azure.Functions.Worker;
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
public sealed class ScaffolderTaskOrchestrator
{
    public const string Name = "ScaffolderTask";

    /// <summary>The orchestrator function (the host's DurableTask extension, or standalone mode's Durable Task worker, runs it).</summary>
    [Function(Name)]
    [OrchestrationInput(typeof(ScaffolderTaskInput))]
    public static Task<ScaffolderTaskResult> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new ScaffolderTaskOrchestrator().RunAsync(context, context.GetInput<ScaffolderTaskInput>() ?? throw new InvalidOperationException("The orchestration has no input."));
    }

    /// <summary>Storage hiccups and lost processes are retried; a step's own failure is returned, not thrown.</summary>
    public static readonly TaskOptions StepOptions = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(30)));

    public async Task<ScaffolderTaskResult> RunAsync(TaskOrchestrationContext context, ScaffolderTaskInput input)
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

public sealed class BeginTaskActivity(TaskExecution execution)
{
    public const string Name = "ScaffolderBeginTask";

    [Function(Name)]
    public Task<int> RunAsync([ActivityTrigger] string input) => execution.BeginAsync(input, CancellationToken.None);
}

public sealed class RunStepActivity(TaskExecution execution, TaskStore store)
{
    public const string Name = "ScaffolderRunStep";

    [Function(Name)]
    public async Task<StepActivityResult> RunAsync([ActivityTrigger] StepActivityInput input)
    {
        var outputs = JsonNode.Parse(input.OutputsJson) as JsonObject ?? [];
        var outcome = await execution.RunStepAsync(input.TaskId, input.Index, outputs, CancellationToken.None);
        var steps = TaskSpecs.Template(await store.GetSpecAsync(input.TaskId, CancellationToken.None)).Steps;
        return new StepActivityResult(steps[input.Index].Id, outcome.Status, outcome.Output.ToJsonString(), outcome.Error);
    }
}

public sealed class CompensateTaskActivity(TaskExecution execution)
{
    public const string Name = "ScaffolderCompensateTask";

    [Function(Name)]
    public Task<int> RunAsync([ActivityTrigger] string input) => execution.CompensateAsync(input, CancellationToken.None);
}

public sealed class FinishTaskActivity(TaskExecution execution)
{
    public const string Name = "ScaffolderFinishTask";

    [Function(Name)]
    public async Task<bool> RunAsync([ActivityTrigger] FinishTaskInput input)
    {
        var outputs = JsonNode.Parse(input.OutputsJson) as JsonObject ?? [];
        await execution.FinishAsync(input.TaskId, input.Status, outputs, input.Error, CancellationToken.None);
        return true;
    }
}
