using System.Text.Json.Nodes;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>The template a task runs: its ref and where it was read from (relative skeleton URLs resolve against it).</summary>
/// <param name="EntityRef">e.g. <c>template:default/dotnet-service</c>.</param>
/// <param name="Location"><c>file:/abs/template.yaml</c> or <c>git:owner/repo/path/template.yaml</c>; null for inline dry-run templates.</param>
/// <param name="DirectoryContents">Dry run: the template folder's files sent by the caller, used instead of <see cref="Location"/>.</param>
public sealed record TemplateInfo(string EntityRef, string? Location, IReadOnlyDictionary<string, WorkspaceFile>? DirectoryContents = null);

/// <summary>What an action sees while it runs.</summary>
public sealed class ActionContext(
    string taskId,
    string stepId,
    JsonObject input,
    TaskWorkspace workspace,
    TemplateInfo template,
    Caller caller,
    bool isDryRun,
    Func<string, Task> log,
    ITaskJournal journal)
{
    private readonly JsonObject _output = [];

    public string TaskId { get; } = taskId;

    public string StepId { get; } = stepId;

    /// <summary>The step's input with every <c>${{ }}</c> already rendered.</summary>
    public JsonObject Input { get; } = input;

    /// <summary>The task's files, carried from step to step.</summary>
    public TaskWorkspace Workspace { get; } = workspace;

    public TemplateInfo Template { get; } = template;

    /// <summary>Who created the task (authorizations of later steps, e.g. the first deployment, are made for them).</summary>
    public Caller Caller { get; } = caller;

    public bool IsDryRun { get; } = isDryRun;

    /// <summary>
    /// Stable for this step of this task across redeliveries, engine retries and task retries: <c>{taskId}/{stepId}</c>.
    /// Actions put it in commit trailers and registrations to find their earlier effect.
    /// </summary>
    public string IdempotencyKey => $"{TaskId}/{StepId}";

    /// <summary>What the action produced (<c>steps['id'].output</c>).</summary>
    public JsonObject Outputs => _output;

    /// <summary>A line in the task log (never a secret).</summary>
    public Task LogAsync(string message) => log(message);

    public void Output(string name, JsonNode? value) => _output[name] = value?.Parent is null ? value : value.DeepClone();

    /// <summary>Records how to undo an effect, before making it.</summary>
    public Task RecordCompensationAsync(string actionId, JsonObject data, CancellationToken cancellationToken) =>
        journal.RecordCompensationAsync(new CompensationRecord(actionId, StepId, data), cancellationToken);

    /// <summary>An effect this step recorded on an earlier attempt (null on the first).</summary>
    public Task<JsonObject?> GetEffectAsync(string name, CancellationToken cancellationToken) => journal.GetEffectAsync(StepId, name, cancellationToken);

    /// <summary>Records an effect of this step so a retry finds it.</summary>
    public Task SetEffectAsync(string name, JsonObject effect, CancellationToken cancellationToken) => journal.SetEffectAsync(StepId, name, effect, cancellationToken);

    /// <summary>The author of commits made for this task.</summary>
    public Git.GitAuthor Author => new(
        Caller.DisplayName ?? Caller.UserRef,
        Caller.Email ?? "scaffolder@idpserverless.local");

    /// <summary>A string input (null when absent or empty).</summary>
    public string? GetString(string name) => Input[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : Input[name] is JsonValue n && n.GetValueKind() is System.Text.Json.JsonValueKind.Number or System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False ? n.ToJsonString() : null;

    public string RequireString(string name) => GetString(name) ?? throw new ActionFailedException($"input.{name} is required.");

    public bool GetBool(string name, bool fallback = false) => Input[name] switch
    {
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) => bool.TryParse(s, out var p) ? p : fallback,
        _ => fallback,
    };

    public IReadOnlyList<string> GetStrings(string name) => Input[name] switch
    {
        JsonArray a => a.Select(x => x?.ToString() ?? string.Empty).Where(x => x.Length > 0).ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        _ => [],
    };
}

/// <summary>A step failed for a reason the template author or user can act on; the message goes to the task log.</summary>
public sealed class ActionFailedException(string message, Exception? inner = null) : Exception(message, inner);
