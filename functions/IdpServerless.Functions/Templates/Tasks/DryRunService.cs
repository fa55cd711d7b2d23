using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Actions;
using IdpServerless.Functions.Templates.Model;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Templates.Tasks;

/// <summary>
/// <c>POST /v2/dry-run</c>: validates the values and runs every step in memory with side-effecting actions in dry-run
/// mode (no repository, registration, deployment or notification is made), answering the files it would write, the
/// log, the rendered output and each step's status. Nothing is stored.
/// </summary>
public sealed class DryRunService(TemplateLookup templates, StepRunner runner)
{
    public const int MaxDirectoryFiles = 500;

    public async Task<JsonObject> RunAsync(JsonObject request, Caller caller, CancellationToken ct)
    {
        TemplateDefinition template;
        if (request["template"] is JsonObject inline)
        {
            template = TemplateLookup.Parse((JsonObject)inline.DeepClone(), "template");
        }
        else if (request["template"] is not null)
        {
            throw ProblemException.BadRequest("template", "must be a Template entity object.");
        }
        else
        {
            template = await templates.GetAsync(TemplateLookup.NormalizeRef(request["templateRef"]?.ToString(), "templateRef"), ct);
        }

        var values = request["values"] switch
        {
            null => new JsonObject(),
            JsonObject o => (JsonObject)o.DeepClone(),
            _ => throw ProblemException.BadRequest("values", "must be an object of parameter values."),
        };
        template.ApplyDefaults(values);
        var errors = template.ValidateValues(values);
        if (errors.Count > 0)
        {
            throw ProblemException.Validation(errors);
        }

        var contents = ReadDirectoryContents(request["directoryContents"]);
        var taskId = $"dry-run-{Guid.NewGuid():N}";
        var spec = TaskSpecs.Create(template, values, await templates.DescribeUserAsync(caller, ct));
        var workspace = new TaskWorkspace();
        var log = new JsonArray();
        var steps = new JsonArray();
        var outputs = new JsonObject();
        var env = new StepEnvironment(taskId, workspace, new TemplateInfo(template.Ref, template.Location, contents), caller, true, (stepId, message) =>
        {
            log.Add(new JsonObject { ["body"] = new JsonObject { ["message"] = message, ["stepId"] = stepId } });
            return Task.CompletedTask;
        }, new MemoryJournal());
        var failed = false;
        foreach (var step in template.Steps)
        {
            var outcome = failed
                ? new StepOutcome(StepStatuses.Skipped, [], null)
                : await runner.RunAsync(step, TaskSpecs.Scope(spec, taskId, outputs), env, ct);
            outputs[step.Id] = outcome.Output.DeepClone();
            failed |= outcome.Status == StepStatuses.Failed;
            log.Add(new JsonObject { ["body"] = new JsonObject { ["message"] = $"Step {step.Id} {outcome.Status}", ["stepId"] = step.Id, ["status"] = outcome.Status } });
            steps.Add(new JsonObject { ["id"] = step.Id, ["name"] = step.Name, ["action"] = step.Action, ["status"] = outcome.Status, ["error"] = outcome.Error });
        }

        return new JsonObject
        {
            ["log"] = log,
            ["directoryContents"] = new JsonArray(workspace.ToDirectoryContents().Select(f => (JsonNode?)new JsonObject { ["path"] = f.Path, ["base64Content"] = f.Base64Content, ["executable"] = f.Executable }).ToArray()),
            ["output"] = failed ? new JsonObject() : TaskSpecs.RenderOutput(spec, taskId, outputs),
            ["steps"] = steps,
            ["status"] = failed ? TaskStatuses.Failed : TaskStatuses.Completed,
        };
    }

    private static Dictionary<string, WorkspaceFile>? ReadDirectoryContents(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonArray list || list.Count > MaxDirectoryFiles)
        {
            throw ProblemException.BadRequest("directoryContents", $"must be a list of at most {MaxDirectoryFiles} {{path, base64Content}} files.");
        }

        var files = new Dictionary<string, WorkspaceFile>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            try
            {
                var path = TaskWorkspace.NormalizePath(list[i]?["path"]?.ToString() ?? string.Empty);
                files[path] = new WorkspaceFile(Convert.FromBase64String(list[i]?["base64Content"]?.ToString() ?? string.Empty), list[i]?["executable"] is JsonValue e && e.TryGetValue<bool>(out var x) && x);
            }
            catch (Exception e) when (e is ActionFailedException or FormatException)
            {
                throw ProblemException.BadRequest($"directoryContents[{i}]", e.Message);
            }
        }

        return files;
    }

    private sealed class MemoryJournal : ITaskJournal
    {
        private readonly Dictionary<string, JsonObject> _effects = new(StringComparer.Ordinal);

        public Task RecordCompensationAsync(CompensationRecord record, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<JsonObject?> GetEffectAsync(string stepId, string name, CancellationToken cancellationToken) =>
            Task.FromResult(_effects.GetValueOrDefault($"{stepId}/{name}"));

        public Task SetEffectAsync(string stepId, string name, JsonObject effect, CancellationToken cancellationToken)
        {
            _effects[$"{stepId}/{name}"] = effect;
            return Task.CompletedTask;
        }
    }
}
