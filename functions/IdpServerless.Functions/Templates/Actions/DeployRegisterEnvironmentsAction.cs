using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>
/// <c>deploy:register-environments</c>: declares the component's environments where deployments read them: the
/// <c>idp.dev/environments</c> and <c>idp.dev/deployment-repo</c> annotations of its <c>catalog-info.yaml</c>
/// (docs/deployments.md). With <c>repoUrl</c> it commits the change to the published app repository (once, by trailer);
/// without, it edits the workspace copy before <c>publish:git</c>. <c>catalog:register</c> then brings them into the catalog.
/// </summary>
public sealed class DeployRegisterEnvironmentsAction(IServiceProvider services) : IScaffolderAction
{
    public const string EnvironmentsAnnotation = "idp.dev/environments";
    public const string RepositoryAnnotation = "idp.dev/deployment-repo";
    public const string ImageAnnotation = "idp.dev/image";

    public string Id => "deploy:register-environments";

    public string Description => "Declares the component's environments (idp.dev/environments, idp.dev/deployment-repo annotations) in its catalog-info.yaml.";

    public JsonObject InputSchema { get; } = Schemas.Object(
        ["environments"],
        ("environments", EnvironmentList.Schema),
        ("repoUrl", Schemas.String("App repository holding catalog-info.yaml (host?owner=o&repo=r or owner/name); omit to edit the workspace before publishing.")),
        ("catalogInfoPath", Schemas.String("Path of the descriptor (default catalog-info.yaml).")),
        ("deploymentRepoUrl", Schemas.String("The deployment repository (host?owner=o&repo=r or owner/name).")),
        ("image", Schemas.String("Container image without tag (idp.dev/image).")));

    public JsonObject OutputSchema { get; } = Schemas.Object(
        [],
        ("environments", Schemas.StringList("The environment names, in promotion order.")),
        ("annotations", new JsonObject { ["type"] = "object", ["description"] = "The annotations written." }));

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var environments = EnvironmentList.Read(context.Input["environments"]);
        var path = TaskWorkspace.NormalizePath(context.GetString("catalogInfoPath") ?? "catalog-info.yaml");
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // Plain names use the annotation's short form; declarations are written as JSON, which is YAML too.
            [EnvironmentsAnnotation] = environments.All(e => e.Declaration is JsonValue)
                ? string.Join(',', environments.Select(e => e.Name))
                : new JsonArray(environments.Select(e => (JsonNode?)e.Declaration.DeepClone()).ToArray()).ToJsonString(JsonSerializerOptions.Default),
        };
        if (context.GetString("deploymentRepoUrl") is { } deployRepo)
        {
            annotations[RepositoryAnnotation] = RepoUrls.Parse(deployRepo, "deploymentRepoUrl").ToString();
        }

        if (context.GetString("image") is { } image)
        {
            annotations[ImageAnnotation] = image;
        }

        context.Output("environments", new JsonArray(environments.Select(e => (JsonNode?)JsonValue.Create(e.Name)).ToArray()));
        context.Output("annotations", new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value)))));

        if (context.GetString("repoUrl") is not { } repoUrl)
        {
            var file = context.Workspace.Files.TryGetValue(path, out var f) ? f : throw new ActionFailedException($"The workspace has no {path} to declare environments in.");
            context.Workspace.Write(path, CatalogInfoEditor.SetAnnotations(file.Content, annotations, path), file.Executable);
            await context.LogAsync($"Declared environments {string.Join(", ", environments.Select(e => e.Name))} in {path}.");
            return;
        }

        var repo = RepoUrls.Parse(repoUrl);
        if (context.IsDryRun)
        {
            await context.LogAsync($"Dry run: would declare environments {string.Join(", ", environments.Select(e => e.Name))} in {repo}/{path}.");
            return;
        }

        var git = services.GetService<IGitProvider>() ?? throw new ActionFailedException("No git provider is configured.");
        var described = await git.GetRepositoryAsync(repo, cancellationToken) ?? throw new ActionFailedException($"Repository {repo} does not exist; publish it first.");
        var existing = await git.FindCommitByTrailerAsync(repo, described.DefaultBranch, PublishGitAction.Trailer, context.IdempotencyKey, 200, cancellationToken);
        if (existing is not null)
        {
            await context.LogAsync($"Environments were already declared in {repo}/{path} by this step.");
            return;
        }

        var content = await git.ReadFileAsync(repo, path, described.DefaultBranch, cancellationToken)
            ?? throw new ActionFailedException($"{repo} has no {path} to declare environments in.");
        var updated = CatalogInfoEditor.SetAnnotations(content, annotations, path);
        await PublishGitAction.CommitOnceAsync(git, described, [new GitChange(path, updated)], $"Declare environments {string.Join(", ", environments.Select(e => e.Name))}", context, cancellationToken);
    }
}
