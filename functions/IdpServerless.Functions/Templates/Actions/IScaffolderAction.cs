using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>
/// A step's building block (<c>fetch:template</c>, <c>publish:git</c>, ...). Actions run <b>at least once</b>: each
/// makes its effect once per <see cref="ActionContext.IdempotencyKey"/> (a retried step finds its earlier repository,
/// commit or registration). In a dry run (<see cref="ActionContext.IsDryRun"/>) an action touches nothing outside the
/// workspace and says what it would have done.
/// </summary>
public interface IScaffolderAction
{
    string Id { get; }

    string Description { get; }

    /// <summary>JSON Schema of <c>input</c>; checked before the action runs.</summary>
    JsonObject InputSchema { get; }

    /// <summary>JSON Schema of what it writes with <see cref="ActionContext.Output"/>.</summary>
    JsonObject OutputSchema { get; }

    Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken);
}

/// <summary>An action whose effect is undone when the task fails later (e.g. a catalog registration).</summary>
public interface ICompensatingAction : IScaffolderAction
{
    /// <summary>Undoes what <paramref name="record"/> says was done (or was about to be); a no-op when nothing is there.</summary>
    Task CompensateAsync(CompensationRecord record, Action<string> log, CancellationToken cancellationToken);
}

/// <summary>
/// Written before an action's side effect, so a failure at any later point (even inside the same step) can be undone.
/// </summary>
/// <param name="ActionId">The action that knows how to undo it.</param>
/// <param name="StepId">The step that did it.</param>
/// <param name="Data">What to undo (e.g. the location target).</param>
public sealed record CompensationRecord(string ActionId, string StepId, JsonObject Data);

/// <summary>
/// A task's durable notes (the task store; in memory for dry runs): compensations to run if the task fails, and
/// effects an action made (e.g. the deployment it started) so a retried step finds them instead of repeating them.
/// </summary>
public interface ITaskJournal
{
    Task RecordCompensationAsync(CompensationRecord record, CancellationToken cancellationToken);

    Task<JsonObject?> GetEffectAsync(string stepId, string name, CancellationToken cancellationToken);

    Task SetEffectAsync(string stepId, string name, JsonObject effect, CancellationToken cancellationToken);
}
