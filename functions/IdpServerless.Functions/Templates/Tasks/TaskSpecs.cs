using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Model;

namespace IdpServerless.Functions.Templates.Tasks;

/// <summary>Backstage's TaskSpec: what a task runs, frozen when it is created.</summary>
public static class TaskSpecs
{
    public static JsonObject Create(TemplateDefinition template, JsonObject values, JsonObject user) => new()
    {
        ["apiVersion"] = TemplateDefinition.ApiVersion,
        ["templateInfo"] = new JsonObject
        {
            ["entityRef"] = template.Ref,
            ["baseUrl"] = template.Location,
            ["entity"] = template.Entity.DeepClone(),
        },
        ["parameters"] = values.DeepClone(),
        ["user"] = user.DeepClone(),
        ["steps"] = (template.Entity["spec"]?["steps"] ?? new JsonArray()).DeepClone(),
        ["output"] = template.Output?.DeepClone(),
    };

    /// <summary>The template as frozen in the spec.</summary>
    public static TemplateDefinition Template(JsonObject spec)
    {
        var entity = spec["templateInfo"]?["entity"] as JsonObject ?? throw new InvalidOperationException("The task spec has no template.");
        var errors = new Dictionary<string, string[]>();
        return TemplateParser.Parse((JsonObject)entity.DeepClone(), errors);
    }

    /// <summary>The names expressions see: <c>parameters</c>, <c>steps</c>, <c>user</c>, <c>context</c>.</summary>
    public static JsonObject Scope(JsonObject spec, string taskId, JsonObject stepOutputs) => new()
    {
        ["parameters"] = spec["parameters"]?.DeepClone() ?? new JsonObject(),
        ["steps"] = new JsonObject(stepOutputs.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)new JsonObject { ["output"] = s.Value?.DeepClone() }))),
        ["user"] = spec["user"]?.DeepClone() ?? new JsonObject(),
        ["secrets"] = new JsonObject(),
        ["context"] = new JsonObject { ["task"] = new JsonObject { ["id"] = taskId }, ["templateInfo"] = new JsonObject { ["entityRef"] = spec["templateInfo"]?["entityRef"]?.DeepClone() } },
    };

    /// <summary>Renders the template's <c>output</c> (links, text) once the steps ran.</summary>
    public static JsonObject RenderOutput(JsonObject spec, string taskId, JsonObject stepOutputs)
    {
        if (spec["output"] is not JsonObject output)
        {
            return [];
        }

        var scope = new Expressions.ExpressionScope(Scope(spec, taskId, stepOutputs));
        var rendered = new JsonObject();
        foreach (var (key, value) in output)
        {
            try
            {
                rendered[key] = Expressions.TemplateText.RenderNode(value, scope);
            }
            catch (Expressions.TemplateExpressionException e)
            {
                rendered[key] = $"(could not render: {e.Message})";
            }
        }

        // Links whose url and entityRef both rendered empty (a skipped step) are dropped, as the UI cannot show them.
        if (rendered["links"] is JsonArray links)
        {
            rendered["links"] = new JsonArray(links.Where(l => l is JsonObject o && (!string.IsNullOrEmpty(o["url"]?.ToString()) || !string.IsNullOrEmpty(o["entityRef"]?.ToString())))
                .Select(l => l!.DeepClone()).ToArray());
        }

        return rendered;
    }
}
