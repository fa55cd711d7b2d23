using System.Text.Json.Nodes;
using IdpServerless.Functions.Deployments;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>
/// <c>deploy:start</c>: starts the component's first deployment (to its first environment unless one is named) through
/// <see cref="IDeploymentService"/>, authorized as the task's creator, and by default waits until it is healthy. The
/// deployment id is journalled, so a retried step follows the deployment it started instead of starting another.
/// </summary>
public sealed class DeployStartAction(IServiceProvider services, TimeProvider time) : IScaffolderAction
{
    private static readonly string[] Succeeded = ["Succeeded"];
    private static readonly string[] Failed = ["Failed", "RolledBack", "Aborted"];

    public string Id => "deploy:start";

    public string Description => "Starts a deployment of the component (first environment by default) and waits until it is healthy.";

    public JsonObject InputSchema { get; } = Schemas.Object(
        ["component", "version"],
        ("component", Schemas.String("Entity ref of the component.")),
        ("environment", Schemas.String("Environment (default: the component's first).")),
        ("version", Schemas.String("Version (image tag) to deploy.")),
        ("waitForHealthy", Schemas.Boolean("Wait until the deployment succeeds (default true).")),
        ("timeoutSeconds", new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 3600, ["description"] = "How long to wait (default 300)." }));

    public JsonObject OutputSchema { get; } = Schemas.Object(
        [],
        ("deploymentId", Schemas.String("The deployment.")),
        ("environment", Schemas.String("Its environment.")),
        ("status", Schemas.String("Its status when the step ended.")),
        ("statusUri", Schemas.String("Where to follow it.")));

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var component = context.RequireString("component");
        var version = context.RequireString("version");
        if (context.IsDryRun)
        {
            await context.LogAsync($"Dry run: would deploy {component} {version} to {context.GetString("environment") ?? "its first environment"}.");
            context.Output("deploymentId", "dry-run");
            context.Output("environment", context.GetString("environment") ?? string.Empty);
            context.Output("status", "Pending");
            return;
        }

        var deployments = services.GetService<IDeploymentService>() ?? throw new ActionFailedException("Deployments are not available in this app.");
        string deploymentId;
        string environment;
        if (await context.GetEffectAsync("deployment", cancellationToken) is { } earlier)
        {
            deploymentId = earlier["id"]!.ToString();
            environment = earlier["environment"]?.ToString() ?? string.Empty;
            context.Output("statusUri", earlier["statusUri"]?.ToString());
            await context.LogAsync($"Following deployment {deploymentId} started by an earlier attempt of this step.");
        }
        else
        {
            var accepted = await deployments.StartAsync(new DeploymentRequest(component, context.GetString("environment"), version, "template", $"Created by scaffolder task {context.TaskId}"), context.Caller, cancellationToken);
            deploymentId = accepted.DeploymentId;
            environment = accepted.Environment;
            await context.SetEffectAsync("deployment", new JsonObject { ["id"] = deploymentId, ["environment"] = environment, ["statusUri"] = accepted.StatusUri }, cancellationToken);
            context.Output("statusUri", accepted.StatusUri);
            await context.LogAsync($"Started deployment {deploymentId} of {component} {version} to {environment}.");
        }

        context.Output("deploymentId", deploymentId);
        context.Output("environment", environment);
        if (!context.GetBool("waitForHealthy", true))
        {
            context.Output("status", "Running");
            return;
        }

        var timeout = TimeSpan.FromSeconds(context.Input["timeoutSeconds"] is JsonValue t && t.TryGetValue<int>(out var s) ? s : 300);
        var deadline = time.GetUtcNow() + timeout;
        string? lastStatus = null;
        while (true)
        {
            var summary = await deployments.GetSummaryAsync(deploymentId, cancellationToken);
            if (summary is not null && summary.Status != lastStatus)
            {
                lastStatus = summary.Status;
                await context.LogAsync($"Deployment {deploymentId} is {summary.Status}{(summary.Message is { Length: > 0 } m ? $": {m}" : string.Empty)}.");
            }

            if (summary is not null && Succeeded.Contains(summary.Status))
            {
                context.Output("status", summary.Status);
                return;
            }

            if (summary is not null && Failed.Contains(summary.Status))
            {
                throw new ActionFailedException($"Deployment {deploymentId} to {environment} ended {summary.Status}{(summary.Message is { Length: > 0 } m ? $": {m}" : ".")}");
            }

            if (time.GetUtcNow() > deadline)
            {
                throw new ActionFailedException($"Deployment {deploymentId} to {environment} was not healthy within {timeout.TotalSeconds:0} s (last status {lastStatus ?? "unknown"}).");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }
    }
}
