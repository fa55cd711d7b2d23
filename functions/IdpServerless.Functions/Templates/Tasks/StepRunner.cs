using System.Text.Json.Nodes;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.GitHub;
using IdpServerless.Functions.Templates.Actions;
using IdpServerless.Functions.Templates.Expressions;
using IdpServerless.Functions.Templates.Model;
using IdpServerless.Functions.Templates.Schema;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Templates.Tasks;

/// <summary>How a step ended.</summary>
public static class StepStatuses
{
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
    public const string Cancelled = "cancelled";
}

/// <summary>The result of one step.</summary>
public sealed record StepOutcome(string Status, JsonObject Output, string? Error);

/// <summary>Where a step runs: the task's files, template, caller, log and journal.</summary>
public sealed record StepEnvironment(string TaskId, TaskWorkspace Workspace, TemplateInfo Template, Caller Caller, bool IsDryRun, Func<string, string, Task> Log, ITaskJournal Journal);

/// <summary>
/// Runs one template step, the same way for real tasks and dry runs: evaluate <c>if</c>, render the input, check it
/// against the action's schema, run the action. Mistakes the template or its user can fix (bad input, a failed
/// deployment, a missing skeleton) end the step as failed with the reason; infrastructure faults (storage, network)
/// are thrown so the engine retries the step.
/// </summary>
public sealed partial class StepRunner(ActionRegistry actions, ILogger<StepRunner> logger)
{
    public async Task<StepOutcome> RunAsync(TemplateStep step, JsonObject scopeRoot, StepEnvironment env, CancellationToken cancellationToken)
    {
        var scope = new ExpressionScope(scopeRoot);
        try
        {
            if (step.If is not null && !TemplateText.IsTrue(step.If, scope))
            {
                await env.Log(step.Id, $"Skipping step {step.Id} ({step.Name}): its condition is false.");
                return new StepOutcome(StepStatuses.Skipped, [], null);
            }

            var action = actions.Find(step.Action) ?? throw new ActionFailedException($"Unknown action '{step.Action}' (known: {string.Join(", ", actions.All.Select(a => a.Id).Order())}).");
            var input = TemplateText.RenderNode(step.Input, scope) as JsonObject ?? [];
            var invalid = ParameterSchemas.Validate(action.InputSchema, input);
            if (invalid.Count > 0)
            {
                throw new ActionFailedException($"Invalid input for {action.Id}: " + string.Join("; ", invalid.Select(e => $"input.{(e.Key.Length == 0 ? "(root)" : e.Key)} {string.Join(", ", e.Value)}")));
            }

            await env.Log(step.Id, $"Beginning step {step.Name}");
            var context = new ActionContext(env.TaskId, step.Id, input, env.Workspace, env.Template, env.Caller, env.IsDryRun, m => env.Log(step.Id, m), env.Journal);
            await action.ExecuteAsync(context, cancellationToken);
            await env.Log(step.Id, $"Finished step {step.Name}");
            return new StepOutcome(StepStatuses.Completed, context.Outputs, null);
        }
        catch (Exception e) when (IsPermanent(e))
        {
            var reason = e is ProblemException p ? $"{p.Title} {p.Detail}".Trim() : e.Message;
            LogStepFailed(logger, env.TaskId, step.Id, e.GetType().Name);
            await env.Log(step.Id, $"Step {step.Id} failed: {reason}");
            return new StepOutcome(StepStatuses.Failed, [], reason);
        }
    }

    /// <summary>
    /// Failures a retry cannot fix. From GitHub: refused credentials (401), a missing permission (403 that is not a rate
    /// limit), something that is not there (404) or a request GitHub will never take (422); a rate limit, a timeout or
    /// a 5xx may pass, so those stay retryable.
    /// </summary>
    public static bool IsPermanent(Exception e) => e is ActionFailedException or TemplateExpressionException or ProblemException
        or GitNotFoundException or GitConflictException or FormatException or ArgumentException or UnauthorizedAccessException
        or GitHubApiException { Status: 401 or 404 or 422 } or GitHubApiException { Status: 403, RetryAfter: null };

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Scaffolder task {TaskId} step {StepId} failed ({ErrorType})")]
    private static partial void LogStepFailed(ILogger logger, string taskId, string stepId, string errorType);
}
