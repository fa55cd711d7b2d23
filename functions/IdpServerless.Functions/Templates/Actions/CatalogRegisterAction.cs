using System.Text.Json.Nodes;
using IdpServerless.Functions.Templates.Catalog;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>
/// <c>catalog:register</c>: registers the new component's <c>catalog-info.yaml</c> as a catalog location. The
/// registration is journalled before it is made, so when a later step fails the task unregisters it again (no
/// half-registered entity stays behind). Registering an existing location finds it, so retries are safe.
/// </summary>
public sealed class CatalogRegisterAction(IServiceProvider services) : ICompensatingAction
{
    public string Id => "catalog:register";

    public string Description => "Registers a catalog-info.yaml location in the software catalog (undone if the task fails later).";

    public JsonObject InputSchema { get; } = new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["catalogInfoUrl"] = Schemas.String("The descriptor: git:owner/repo/path, a GitHub blob URL or an http(s) URL."),
            ["repoContentsUrl"] = Schemas.String("Repository contents URL (publish:git's repoContentsUrl), with catalogInfoPath."),
            ["catalogInfoPath"] = Schemas.String("Descriptor path in the repository (default /catalog-info.yaml)."),
            ["optional"] = Schemas.Boolean("Do not fail the step when registration fails."),
        },
        ["anyOf"] = new JsonArray(new JsonObject { ["required"] = new JsonArray("catalogInfoUrl") }, new JsonObject { ["required"] = new JsonArray("repoContentsUrl") }),
    };

    public JsonObject OutputSchema { get; } = Schemas.Object(
        [],
        ("entityRef", Schemas.String("Ref of the registered (main) entity.")),
        ("catalogInfoUrl", Schemas.String("The registered location.")));

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var (type, target) = context.GetString("catalogInfoUrl") is { } url
            ? RepoUrls.CatalogLocation(url, null)
            : RepoUrls.CatalogLocation(context.RequireString("repoContentsUrl"), context.GetString("catalogInfoPath") ?? "catalog-info.yaml");
        var location = $"{type}:{target}";
        if (context.IsDryRun)
        {
            await context.LogAsync($"Dry run: would register {location} in the catalog.");
            context.Output("catalogInfoUrl", location);
            context.Output("entityRef", DryRunEntityRef(context));
            return;
        }

        var catalog = services.GetService<IScaffolderCatalog>() ?? throw new ActionFailedException("The software catalog is not available in this app.");
        await context.RecordCompensationAsync(Id, new JsonObject { ["type"] = type, ["target"] = target }, cancellationToken);
        try
        {
            var registration = await catalog.RegisterLocationAsync(type, target, cancellationToken);
            var main = registration.EntityRefs.FirstOrDefault(r => r.StartsWith("component:", StringComparison.OrdinalIgnoreCase)) ?? registration.EntityRefs.FirstOrDefault();
            await context.LogAsync($"Registered {location}: {(registration.EntityRefs.Count == 0 ? "no entities" : string.Join(", ", registration.EntityRefs))}.");
            context.Output("catalogInfoUrl", location);
            if (main is not null)
            {
                context.Output("entityRef", main);
            }
        }
        catch (Exception e) when (context.GetBool("optional") && e is not OperationCanceledException)
        {
            await context.LogAsync($"Registering {location} failed and is optional: {e.Message}");
        }
    }

    public async Task CompensateAsync(CompensationRecord record, Action<string> log, CancellationToken cancellationToken)
    {
        var catalog = services.GetService<IScaffolderCatalog>();
        var type = record.Data["type"]?.ToString();
        var target = record.Data["target"]?.ToString();
        if (catalog is null || type is null || target is null)
        {
            return;
        }

        var removed = await catalog.UnregisterLocationAsync(type, target, cancellationToken);
        log(removed ? $"Unregistered {type}:{target} from the catalog." : $"{type}:{target} was not registered; nothing to undo.");
    }

    private static string DryRunEntityRef(ActionContext context) =>
        context.Workspace.Files.TryGetValue("catalog-info.yaml", out var f) && System.Text.Encoding.UTF8.GetString(f.Content) is var text
        && text.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("name:", StringComparison.Ordinal)) is { } line
            ? $"component:default/{line.Split(':', 2)[1].Trim().Trim('"', '\'')}"
            : "component:default/unknown";
}
