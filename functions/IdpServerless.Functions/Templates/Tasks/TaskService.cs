using System.Text.Json.Nodes;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Templates.Tasks;

/// <summary>
/// Creating, cancelling and retrying tasks: validation happens here, on the request path (a 422 names every invalid
/// field); the work runs as the <see cref="ScaffolderTaskOrchestrator"/> orchestration.
/// </summary>
public sealed partial class TaskService(
    TemplateLookup templates,
    TaskStore store,
    TaskEventLog events,
    OrchestrationInstances orchestrations,
    TimeProvider time,
    IServiceProvider services,
    ILogger<TaskService> logger)
{
    public static readonly string[] SecretReferencePrefixes = ["vault:", "keyvault:", "secretref:"];

    public async Task<string> CreateAsync(string? templateRef, JsonNode? values, JsonNode? secrets, Caller caller, CancellationToken ct)
    {
        var reference = TemplateLookup.NormalizeRef(templateRef);
        var input = values switch
        {
            null => new JsonObject(),
            JsonObject o => (JsonObject)o.DeepClone(),
            _ => throw ProblemException.BadRequest("values", "must be an object of parameter values."),
        };
        CheckSecrets(secrets);
        var template = await templates.GetAsync(reference, ct);
        template.ApplyDefaults(input);
        var errors = template.ValidateValues(input);
        if (errors.Count > 0)
        {
            throw ProblemException.Validation(errors);
        }

        var id = Guid.NewGuid().ToString();
        var user = await templates.DescribeUserAsync(caller, ct);
        var spec = TaskSpecs.Create(template, input, user);
        if (secrets is JsonObject s && s.Count > 0)
        {
            spec["secretRefs"] = s.DeepClone();
        }

        var now = time.GetUtcNow();
        await store.CreateAsync(new TaskRecord(id, TaskStatuses.Open, template.Ref, now, caller.UserRef, now, null, null, false, 1, StoredCaller.From(caller)), spec, ct);
        await events.AppendAsync(id, "log", new JsonObject { ["message"] = $"Task created from {template.Ref} by {caller.UserRef}" }, ct);
        await StartRunAsync(id, 1, template.Name, ct);
        await AuditAsync("template.task.create", id, caller, template.Ref, ct);
        LogCreated(logger, id, template.Ref);
        return id;
    }

    public async Task CancelAsync(string id, Caller caller, CancellationToken ct)
    {
        var task = await store.GetAsync(id, ct) ?? throw ProblemException.NotFound($"No task {id}.");
        if (TaskStatuses.IsFinished(task.Status))
        {
            throw ProblemException.Conflict($"Task {id} has already finished ({task.Status}).");
        }

        await store.UpdateAsync(id, cancelRequested: true, ct: ct);
        await events.AppendAsync(id, "log", new JsonObject { ["message"] = $"Cancellation requested by {caller.UserRef}; the task stops before its next step." }, ct);
        await AuditAsync("template.task.cancel", id, caller, task.TemplateRef, ct);
    }

    /// <summary>Runs a failed or cancelled task again from its first step; every step is idempotent, so nothing is made twice.</summary>
    public async Task RetryAsync(string id, Caller caller, CancellationToken ct)
    {
        var task = await store.GetAsync(id, ct) ?? throw ProblemException.NotFound($"No task {id}.");
        if (task.Status is not (TaskStatuses.Failed or TaskStatuses.Cancelled))
        {
            throw ProblemException.Conflict($"Only failed or cancelled tasks can be retried; task {id} is {task.Status}.");
        }

        var run = task.Run + 1;
        var moved = await store.TryTransitionAsync(id, t => t.Status is TaskStatuses.Failed or TaskStatuses.Cancelled
            ? t with { Status = TaskStatuses.Open, Run = run, CancelRequested = false, Error = null, Output = null }
            : null, ct);
        if (!moved)
        {
            throw ProblemException.Conflict($"Task {id} changed while it was being retried; try again.");
        }

        await store.SaveWorkspaceAsync(id, new Actions.TaskWorkspace(), ct);
        await events.AppendAsync(id, "log", new JsonObject { ["message"] = $"Retry (run {run}) requested by {caller.UserRef}" }, ct);
        await StartRunAsync(id, run, task.TemplateRef.Split('/').Last(), ct);
        await AuditAsync("template.task.retry", id, caller, task.TemplateRef, ct);
    }

    /// <summary>The orchestration instance of one run of a task.</summary>
    public static string InstanceId(string taskId, int run) => $"scaffolder-{taskId}-r{run}";

    private Task StartRunAsync(string id, int run, string templateName, CancellationToken ct) =>
        orchestrations.StartAsync(ScaffolderTaskOrchestrator.Name, new ScaffolderTaskInput(id), InstanceId(id, run),
            new Dictionary<string, string> { ["task"] = id, ["template"] = templateName.Length > 256 ? templateName[..256] : templateName }, ct);

    private static void CheckSecrets(JsonNode? secrets)
    {
        if (secrets is null)
        {
            return;
        }

        if (secrets is not JsonObject map)
        {
            throw ProblemException.BadRequest("secrets", "must be an object of secret references.");
        }

        var errors = map.Where(s => s.Value is not JsonValue v || !v.TryGetValue<string>(out var text) || !SecretReferencePrefixes.Any(p => text.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(s => $"secrets.{s.Key}", _ => new[] { $"must be a secret reference ({string.Join(", ", SecretReferencePrefixes.Select(p => p + "..."))}); secret values are never stored." });
        if (errors.Count > 0)
        {
            throw ProblemException.Validation(errors);
        }
    }

    private async Task AuditAsync(string action, string taskId, Caller caller, string templateRef, CancellationToken ct)
    {
        if (services.GetService<IAuditLog>() is { } audit)
        {
            await audit.RecordAsync(new AuditEvent(action, $"task:{taskId}", AuditOutcomes.Success, caller, taskId, Detail: new Dictionary<string, string> { ["template"] = templateRef }), ct);
        }
    }

    [LoggerMessage(EventId = 7103, Level = LogLevel.Information, Message = "Scaffolder task {TaskId} created from {TemplateRef}")]
    private static partial void LogCreated(ILogger logger, string taskId, string templateRef);
}
