using System.Text;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Git;
using IdpServerless.Functions.Git.Local;
using IdpServerless.Functions.Templates.Actions;
using IdpServerless.Hosting.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace IdpServerless.Tests.Templates;

/// <summary>Activities run at least once: the git actions delivered twice for one step make their effect once.</summary>
public sealed class PublishGitIdempotencyTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "idp-publish-" + Guid.NewGuid().ToString("N"));
    private readonly ServiceProvider _services;
    private readonly IGitProvider _git;

    public PublishGitIdempotencyTests()
    {
        _git = new LocalGitProvider(new GitOptions { DataDir = _dataDir }, TimeProvider.System, NullLogger<LocalGitProvider>.Instance);
        _services = new ServiceCollection().AddSingleton(_git).BuildServiceProvider();
    }

    public void Dispose()
    {
        _services.Dispose();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_redelivered_publish_step_creates_one_repository_and_one_commit()
    {
        var workspace = new TaskWorkspace();
        workspace.Write("README.md", Encoding.UTF8.GetBytes("# shop"));
        workspace.Write("src/app.cs", Encoding.UTF8.GetBytes("// app"));
        var action = new PublishGitAction(_services);
        var outputs = new List<JsonObject>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var context = Context("publish", new JsonObject { ["repoUrl"] = "local?owner=apps&repo=shop" }, workspace);
            await action.ExecuteAsync(context, default);
            outputs.Add(context.Outputs);
        }

        var repos = await _git.ListRepositoriesAsync("apps", 10, default);
        Assert.Equal(["shop"], repos.Select(r => r.Ref.Name));
        var log = await _git.LogAsync(new RepoRef("apps", "shop"), "main", null, 10, default);
        Assert.Equal(["Initial commit from template", "Initial commit"], log.Select(c => c.Message.Split('\n')[0]));
        Assert.Equal(outputs[0]["commitHash"]!.ToString(), outputs[1]["commitHash"]!.ToString());
        Assert.Contains("Scaffolder-Step: task-1/publish", log[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redelivered_deployment_repository_step_commits_the_environment_layout_once()
    {
        var action = new DeployCreateRepositoryAction(_services);
        var input = new JsonObject { ["repoUrl"] = "deployments/shop-deploy", ["component"] = "component:default/shop", ["environments"] = new JsonArray("dev", new JsonObject { ["name"] = "prod", ["strategy"] = new JsonObject { ["type"] = "canary" } }) };
        await action.ExecuteAsync(Context("deploy-repo", input, new TaskWorkspace()), default);
        await action.ExecuteAsync(Context("deploy-repo", (JsonObject)input.DeepClone(), new TaskWorkspace()), default);

        var repo = new RepoRef("deployments", "shop-deploy");
        Assert.Equal(2, (await _git.LogAsync(repo, "main", null, 10, default)).Count);
        Assert.Equal(["README.md", "dev/values.yaml", "prod/values.yaml"], (await _git.ListFilesAsync(repo, null, null, default)).Order(StringComparer.Ordinal));
        var prod = Encoding.UTF8.GetString((await _git.ReadFileAsync(repo, "prod/values.yaml", null, default))!);
        Assert.Contains("strategy: \"canary\"", prod, StringComparison.Ordinal);
    }

    private static ActionContext Context(string stepId, JsonObject input, TaskWorkspace workspace) => new(
        "task-1", stepId, input, workspace, new TemplateInfo("template:default/t", null),
        new Caller("user:default/jane", "Jane", "jane@example.com", [], Channels.Api, true), false, _ => Task.CompletedTask, new NoJournal());

    private sealed class NoJournal : ITaskJournal
    {
        public Task RecordCompensationAsync(CompensationRecord record, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<JsonObject?> GetEffectAsync(string stepId, string name, CancellationToken cancellationToken) => Task.FromResult<JsonObject?>(null);

        public Task SetEffectAsync(string stepId, string name, JsonObject effect, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
