using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Actions;
using IdpServerless.Functions.Templates.Tasks;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Templates.Api;

/// <summary>Backstage's scaffolder REST API (<c>/api/scaffolder/v2</c>): the shapes the browser app calls.</summary>
public static class ScaffolderApi
{
    public const string Prefix = "/api/scaffolder/v2";

    public static IEndpointRouteBuilder MapScaffolderApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).WithTags("Templates");

        group.MapGet("/actions", (ActionRegistry actions) => Results.Json(actions.Describe()))
            .WithName("ScaffolderListActions").RequirePermission(Permissions.TemplateRead);

        group.MapGet("/templates/{namespace}/{kind}/{name}/parameter-schema", async (string @namespace, string kind, string name, TemplateLookup templates, CancellationToken ct) =>
        {
            var template = await templates.GetAsync(TemplateLookup.NormalizeRef($"{kind}:{@namespace}/{name}", "kind"), ct);
            return Results.Json(new JsonObject
            {
                ["title"] = template.Title,
                ["description"] = template.Description,
                ["steps"] = new JsonArray(template.Parameters.Select(p => (JsonNode?)new JsonObject
                {
                    ["title"] = p.Title,
                    ["description"] = p.Description,
                    ["schema"] = p.Schema.DeepClone(),
                }).ToArray()),
            });
        }).WithName("ScaffolderParameterSchema").RequirePermission(Permissions.TemplateRead, resourceFromRoute: true);

        group.MapPost("/tasks", async (HttpContext http, TaskService tasks, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(http, ct);
            var id = await tasks.CreateAsync(body["templateRef"]?.ToString(), body["values"], body["secrets"], http.GetCaller(), ct);
            return Results.Json(new JsonObject { ["id"] = id }, statusCode: StatusCodes.Status201Created);
        }).WithName("ScaffolderCreateTask").RequirePermission(Permissions.TemplateExecute);

        group.MapGet("/tasks", async (string? createdBy, string? status, int? limit, int? offset, TaskStore store, CancellationToken ct) =>
        {
            if (status is not null && !TaskStatuses.All.Contains(status))
            {
                throw ProblemException.BadRequest("status", $"must be one of {string.Join(", ", TaskStatuses.All)}.");
            }

            if (limit is < 1 or > 1000 || offset is < 0)
            {
                throw ProblemException.BadRequest(limit is < 1 or > 1000 ? "limit" : "offset", "limit must be 1-1000 and offset at least 0.");
            }

            var (items, total) = await store.ListAsync(string.IsNullOrWhiteSpace(createdBy) ? null : createdBy, status, limit ?? 100, offset ?? 0, ct);
            return Results.Json(new JsonObject
            {
                ["tasks"] = new JsonArray(items.Select(t => (JsonNode?)TaskJson(t, new JsonObject { ["templateInfo"] = new JsonObject { ["entityRef"] = t.TemplateRef } }, null)).ToArray()),
                ["totalTasks"] = total,
            });
        }).WithName("ScaffolderListTasks").RequirePermission(Permissions.TemplateRead);

        group.MapGet("/tasks/{id}", async (string id, TaskStore store, CancellationToken ct) =>
        {
            var task = await store.GetAsync(id, ct) ?? throw ProblemException.NotFound($"No task {id}.");
            return Results.Json(TaskJson(task, await store.GetSpecAsync(id, ct), await store.GetStepsAsync(id, ct)));
        }).WithName("ScaffolderGetTask").RequirePermission(Permissions.TemplateRead);

        group.MapPost("/tasks/{id}/cancel", async (string id, HttpContext http, TaskService tasks, CancellationToken ct) =>
        {
            await tasks.CancelAsync(id, http.GetCaller(), ct);
            return Results.Json(new JsonObject { ["status"] = "cancelling" }, statusCode: StatusCodes.Status202Accepted);
        }).WithName("ScaffolderCancelTask").RequirePermission(Permissions.TemplateExecute);

        group.MapPost("/tasks/{id}/retry", async (string id, HttpContext http, TaskService tasks, CancellationToken ct) =>
        {
            await tasks.RetryAsync(id, http.GetCaller(), ct);
            return Results.Json(new JsonObject { ["id"] = id }, statusCode: StatusCodes.Status201Created);
        }).WithName("ScaffolderRetryTask").RequirePermission(Permissions.TemplateExecute);

        group.MapGet("/tasks/{id}/events", async (string id, string? after, TaskStore store, TaskEventLog events, CancellationToken ct) =>
        {
            _ = await store.GetAsync(id, ct) ?? throw ProblemException.NotFound($"No task {id}.");
            var list = await events.ReadAsync(id, ParseAfter(after, "after"), 1000, ct);
            return Results.Json(new JsonArray(list.Select(e => (JsonNode?)e.ToJson()).ToArray()));
        }).WithName("ScaffolderTaskEvents").RequirePermission(Permissions.TemplateRead);

        group.MapGet("/tasks/{id}/eventstream", TaskEventStream.StreamAsync)
            .WithName("ScaffolderTaskEventStream").RequirePermission(Permissions.TemplateRead);

        group.MapPost("/dry-run", async (HttpContext http, DryRunService dryRun, CancellationToken ct) =>
            Results.Json(await dryRun.RunAsync(await ReadObjectAsync(http, ct), http.GetCaller(), ct)))
            .WithName("ScaffolderDryRun").RequirePermission(Permissions.TemplateExecute);

        return app;
    }

    internal static long ParseAfter(string? after, string field) =>
        string.IsNullOrWhiteSpace(after) ? 0
        : long.TryParse(after, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n
        : throw ProblemException.BadRequest(field, "must be an event id (a non-negative integer).");

    private static JsonObject TaskJson(TaskRecord task, JsonObject spec, IReadOnlyList<StepRecord>? steps)
    {
        var json = new JsonObject
        {
            ["id"] = task.Id,
            ["spec"] = spec,
            ["status"] = task.Status,
            ["createdAt"] = task.CreatedAt.ToString("O"),
            ["lastHeartbeatAt"] = task.LastHeartbeatAt?.ToString("O"),
            ["createdBy"] = task.CreatedBy,
            ["run"] = task.Run,
        };
        if (task.Output is { Count: > 0 } output)
        {
            json["output"] = output.DeepClone();
        }

        if (!string.IsNullOrEmpty(task.Error))
        {
            json["error"] = new JsonObject { ["name"] = "TaskFailed", ["message"] = task.Error };
        }

        if (steps is not null)
        {
            json["steps"] = new JsonArray(steps.OrderBy(s => s.Index).Select(s => (JsonNode?)new JsonObject
            {
                ["id"] = s.Id,
                ["name"] = s.Name,
                ["status"] = s.Status,
                ["startedAt"] = s.StartedAt?.ToString("O"),
                ["finishedAt"] = s.FinishedAt?.ToString("O"),
                ["message"] = s.Message,
                ["output"] = s.Output?.DeepClone(),
            }).ToArray());
        }

        return json;
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext http, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: ct) as JsonObject
                ?? throw ProblemException.BadRequest("body", "must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw ProblemException.BadRequest("body", $"is not valid JSON: {e.Message}");
        }
    }
}
