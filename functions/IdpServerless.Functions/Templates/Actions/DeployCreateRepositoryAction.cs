using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Git;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>
/// <c>deploy:create-repository</c>: creates the component's deployment (GitOps) repository with the layout the
/// deployment feature reads: one folder per environment holding <c>values.yaml</c> (component, app, environment,
/// strategy, image, no tracks until the first deployment commits one). Idempotent like <c>publish:git</c>.
/// </summary>
public sealed class DeployCreateRepositoryAction(IServiceProvider services) : IScaffolderAction
{
    public string Id => "deploy:create-repository";

    public string Description => "Creates the deployment (GitOps) repository with a folder per environment in the layout deployments read.";

    public JsonObject InputSchema { get; } = Schemas.Object(
        ["repoUrl", "component", "environments"],
        ("repoUrl", Schemas.String("Deployment repository: host?owner=o&repo=r or owner/name (deployments default to deployments/<name>-deploy).")),
        ("component", Schemas.String("Entity ref of the component, e.g. component:default/orders.")),
        ("environments", EnvironmentList.Schema),
        ("image", Schemas.String("Container image without tag (default registry.local/<name>).")),
        ("description", Schemas.String("Repository description.")));

    public JsonObject OutputSchema { get; } = Schemas.Object(
        [],
        ("remoteUrl", Schemas.String("Clone URL.")),
        ("repoContentsUrl", Schemas.String("Browsable URL.")),
        ("repository", Schemas.String("owner/name.")),
        ("commitHash", Schemas.String("The commit made.")));

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var repo = RepoUrls.Parse(context.RequireString("repoUrl"));
        var component = Expressions.TemplateFilters.ParseEntityRef(context.RequireString("component"), new JsonObject { ["defaultKind"] = "component" });
        var name = component["name"]!.ToString();
        var componentRef = $"{component["kind"]!.ToString().ToLowerInvariant()}:{component["namespace"]}/{name}";
        var environments = EnvironmentList.Read(context.Input["environments"]);
        var image = context.GetString("image") ?? $"registry.local/{name}";
        var changes = new List<GitChange> { new("README.md", Encoding.UTF8.GetBytes(Readme(componentRef, environments))) };
        foreach (var env in environments)
        {
            changes.Add(new GitChange($"{env.Path}/values.yaml", Encoding.UTF8.GetBytes(Values(componentRef, name, env, image))));
        }

        if (context.IsDryRun)
        {
            await context.LogAsync($"Dry run: would create deployment repository {repo} with environments {string.Join(", ", environments.Select(e => e.Name))}.");
            context.Output("remoteUrl", $"dry-run://{repo}");
            context.Output("repoContentsUrl", $"git:{repo}");
            context.Output("repository", repo.ToString());
            context.Output("commitHash", "0000000000000000000000000000000000000000");
            return;
        }

        var git = services.GetService<IGitProvider>() ?? throw new ActionFailedException("No git provider is configured.");
        var created = await git.CreateRepositoryAsync(repo, context.GetString("description") ?? $"Desired state of {componentRef}", cancellationToken);
        await context.LogAsync(created.Created ? $"Created deployment repository {repo}." : $"Deployment repository {repo} already exists; reusing it.");
        var commit = await PublishGitAction.CommitOnceAsync(git, created, changes, $"Environments {string.Join(", ", environments.Select(e => e.Name))} for {componentRef}", context, cancellationToken);
        context.Output("remoteUrl", created.CloneUrl);
        context.Output("repoContentsUrl", created.WebUrl);
        context.Output("repository", repo.ToString());
        context.Output("commitHash", commit.Sha);
    }

    private static string Readme(string componentRef, IReadOnlyList<EnvironmentList.Item> environments) =>
        $"# Desired state of {componentRef}\n\nOne folder per environment; IdpServerless deployments commit `values.yaml`, `workloads.yaml` and `httproute.yaml` there.\n\n"
        + string.Concat(environments.Select(e => $"- `{e.Path}/`: {e.Name}\n"));

    private static string Values(string componentRef, string app, EnvironmentList.Item env, string image) =>
        string.Create(CultureInfo.InvariantCulture, $"""
            # Desired state written by IdpServerless; every commit names its deployment in a Deployment-Id trailer.
            # No version is deployed yet: the first deployment adds a track.
            component: "{componentRef}"
            app: "{app}"
            environment: "{env.Name}"
            strategy: "{env.Strategy}"
            image: "{image}"
            tracks: []

            """);
}
