using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Catalog;
using IdpServerless.Functions.Templates.Model;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Templates;

/// <summary>Finds Template entities in the catalog and describes the caller as <c>${{ user }}</c> sees them.</summary>
public sealed class TemplateLookup(IServiceProvider services)
{
    /// <summary>
    /// <c>template:ns/name</c>, <c>ns/name</c> or <c>name</c> (kind defaults to template, namespace to default), lowercased;
    /// 400 naming <paramref name="field"/> when it is not a Template ref.
    /// </summary>
    public static string NormalizeRef(string? text, string field = "templateRef")
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 300)
        {
            throw ProblemException.BadRequest(field, "is required: a Template entity ref such as template:default/dotnet-service.");
        }

        JsonObject parsed;
        try
        {
            parsed = Expressions.TemplateFilters.ParseEntityRef(text, new JsonObject { ["defaultKind"] = "template" });
        }
        catch (Expressions.TemplateExpressionException)
        {
            throw ProblemException.BadRequest(field, $"'{text}' is not an entity ref (kind:namespace/name).");
        }

        if (!string.Equals(parsed["kind"]!.ToString(), "template", StringComparison.OrdinalIgnoreCase))
        {
            throw ProblemException.BadRequest(field, $"'{text}' is not a Template ref (kind must be template).");
        }

        return $"template:{parsed["namespace"]}/{parsed["name"]}".ToLowerInvariant();
    }

    /// <summary>The template, 404 when the catalog has no such Template, 422 when it is not a valid v1beta3 template.</summary>
    public async Task<TemplateDefinition> GetAsync(string templateRef, CancellationToken ct)
    {
        var catalog = services.GetService<IScaffolderCatalog>()
            ?? throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "The software catalog is not available.", "Templates are read from the catalog, which this app does not run.");
        var entity = await catalog.GetEntityAsync(templateRef, ct) ?? throw ProblemException.NotFound($"No template {templateRef} in the catalog.");
        return Parse(entity, "template");
    }

    /// <summary>Parses a Template entity; 422 with every problem keyed <c>{prefix}.{path}</c>.</summary>
    public static TemplateDefinition Parse(JsonObject entity, string prefix)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var template = TemplateParser.Parse(entity, errors);
        if (errors.Count > 0)
        {
            throw ProblemException.Validation(errors.ToDictionary(e => $"{prefix}.{e.Key}", e => e.Value), $"The template is not a valid {TemplateDefinition.ApiVersion} Template.");
        }

        return template;
    }

    /// <summary><c>{ref, entity}</c> for the caller: the catalog User when the directory knows them, else a minimal User.</summary>
    public async Task<JsonObject> DescribeUserAsync(Caller caller, CancellationToken ct)
    {
        var parsed = Expressions.TemplateFilters.ParseEntityRef(caller.UserRef, new JsonObject { ["defaultKind"] = "user" });
        var directory = services.GetService<ICatalogDirectory>();
        var user = directory is null || !caller.IsAuthenticated ? null : await directory.GetUserAsync(caller.UserRef, ct);
        var annotations = new JsonObject();
        foreach (var (k, v) in user?.Annotations ?? new Dictionary<string, string>())
        {
            annotations[k] = v;
        }

        var entity = new JsonObject
        {
            ["apiVersion"] = "backstage.io/v1alpha1",
            ["kind"] = "User",
            ["metadata"] = new JsonObject { ["name"] = parsed["name"]!.ToString(), ["namespace"] = parsed["namespace"]!.ToString(), ["annotations"] = annotations },
            ["spec"] = new JsonObject
            {
                ["profile"] = new JsonObject { ["displayName"] = user?.DisplayName ?? caller.DisplayName, ["email"] = user?.Email ?? caller.Email },
                ["memberOf"] = new JsonArray((user?.Groups ?? caller.Groups).Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
            },
        };
        return new JsonObject { ["ref"] = user?.Ref ?? caller.UserRef, ["entity"] = entity };
    }
}
