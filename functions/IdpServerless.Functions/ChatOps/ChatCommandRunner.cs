using System.Text;
using IdpServerless.Functions.Deployments;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.ChatOps;

/// <summary>What goes back to Slack.</summary>
public sealed record ChatReply(string Text, bool InChannel = false, bool ReplaceOriginal = false);

/// <summary>
/// Runs a parsed command for a mapped catalog User through the same <see cref="IAccessPolicy"/> and
/// <see cref="IDeploymentService"/> as HTTP, on channel <c>chat</c>. The permission is checked here first so a refusal
/// names it in chat; every command that acts is audited (denied, failed or success) as <c>chat.&lt;verb&gt;</c>.
/// </summary>
public sealed class ChatCommandRunner(IDeploymentService deployments, IAccessPolicy policy, IAuditLog audit)
{
    public async Task<ChatReply> RunAsync(ChatCommand command, Caller caller, string correlationId, CancellationToken ct)
    {
        switch (command.Verb)
        {
            case "help":
                return new ChatReply(ChatCommandParser.Usage);
            case "whoami":
                var groups = caller.Groups.Count == 0 ? "no groups" : "member of " + string.Join(", ", caller.Groups);
                return new ChatReply($":bust_in_silhouette: You are `{caller.UserRef}`{(caller.DisplayName is { } n ? $" ({n})" : string.Empty)}, {groups}.");
        }

        var (permission, resource) = await RequirementAsync(command, ct);
        if (resource is null)
        {
            return new ChatReply($":grey_question: Deployment `{command.DeploymentId}` does not exist.");
        }

        var action = "chat." + command.Verb;
        var target = resource.EntityRef ?? command.DeploymentId;
        var decision = await policy.DecideAsync(caller, permission, resource, ct);
        if (!decision.Allowed)
        {
            await AuditAsync(action, target, AuditOutcomes.Denied, caller, correlationId, command, ct, ("permission", permission), ("reason", decision.Reason ?? string.Empty));
            var scope = resource.Environment is { } env ? $" in `{env}`" : string.Empty;
            return new ChatReply($":no_entry: You (`{caller.UserRef}`) are not allowed to `{command.Verb}` {Short(resource.EntityRef)}{scope}: " +
                                 $"missing permission `{permission}`." + (decision.Reason is { Length: > 0 } r ? $" {r}" : string.Empty));
        }

        try
        {
            var reply = await ExecuteAsync(command, caller, ct);
            await AuditAsync(action, target, AuditOutcomes.Success, caller, correlationId, command, ct);
            return reply;
        }
        catch (ProblemException p) when (p.Status is >= 400 and < 500)
        {
            var outcome = p.Status == StatusCodes.Status403Forbidden ? AuditOutcomes.Denied : AuditOutcomes.Failed;
            await AuditAsync(action, target, outcome, caller, correlationId, command, ct, ("reason", p.Detail ?? p.Title));
            var missing = p.Extensions.TryGetValue("permission", out var perm) ? $" (missing permission `{perm}`)" : string.Empty;
            return new ChatReply($":warning: `{command.Verb}` did not go through{missing}: {p.Detail ?? p.Title}");
        }
    }

    private async Task<(string Permission, AccessResource? Resource)> RequirementAsync(ChatCommand c, CancellationToken ct)
    {
        switch (c.Verb)
        {
            case "status":
                return (Permissions.DeploymentRead, new AccessResource(c.Component));
            case "deploy":
                return (Permissions.DeploymentCreate, new AccessResource(c.Component, c.Environment));
            case "rollback":
                return (Permissions.DeploymentRollback, new AccessResource(c.Component, c.Environment));
            case "promote":
                return (Permissions.DeploymentCreate, new AccessResource(c.Component, c.ToEnvironment));
            case "canary":
                return (Permissions.ReleaseControl, new AccessResource(c.Component, c.Environment));
            default:
                var summary = await deployments.GetSummaryAsync(c.DeploymentId!, ct);
                return (Permissions.DeploymentApprove, summary is null ? null : new AccessResource(summary.Component, summary.Environment));
        }
    }

    private async Task<ChatReply> ExecuteAsync(ChatCommand c, Caller caller, CancellationToken ct)
    {
        switch (c.Verb)
        {
            case "status":
                return new ChatReply(Status(c.Component!, await deployments.GetEnvironmentsAsync(c.Component!, ct)));
            case "deploy":
                var version = c.Version ?? await PreviousVersionAsync(c.Component!, c.Environment!, ct);
                if (version is null)
                {
                    return new ChatReply($":grey_question: Which version? Nothing runs in the environment before `{c.Environment}`: `deploy {Short(c.Component)} {c.Environment} <version>`.");
                }

                var started = await deployments.StartAsync(new DeploymentRequest(c.Component!, c.Environment, version, "chat", "requested in Slack"), caller, ct);
                return Accepted(":rocket: Deploying", started);
            case "rollback":
                return Accepted(":rewind: Rolling back", await deployments.RollbackAsync(c.Component!, c.Environment!, c.Version, caller, ct));
            case "promote":
                return Accepted(":arrow_double_up: Promoting", await deployments.PromoteAsync(c.Component!, c.Environment!, c.ToEnvironment!, null, caller, ct));
            case "canary":
                var env = (await deployments.GetEnvironmentsAsync(c.Component!, ct)).FirstOrDefault(e => e.Environment == c.Environment);
                if (env?.DeploymentId is not { } running)
                {
                    return new ChatReply($":grey_question: No release of {Short(c.Component)} is running in `{c.Environment}`.");
                }

                await deployments.SendControlAsync(running, c.Control!, "from Slack", caller, ct);
                return new ChatReply($":control_knobs: Sent `{c.Control}` to {Short(c.Component)} in `{c.Environment}` (deployment `{running}`).", InChannel: true);
            default:
                var control = c.Verb == "approve" ? DeploymentControls.Approve : DeploymentControls.Reject;
                await deployments.SendControlAsync(c.DeploymentId!, control, $"{c.Verb}d in Slack by {caller.UserRef}", caller, ct);
                return new ChatReply($"{(control == DeploymentControls.Approve ? ":white_check_mark: Approved" : ":no_entry_sign: Rejected")} deployment `{c.DeploymentId}` ({caller.UserRef}).", InChannel: true, ReplaceOriginal: true);
        }
    }

    private async Task<string?> PreviousVersionAsync(string component, string environment, CancellationToken ct)
    {
        var envs = (await deployments.GetEnvironmentsAsync(component, ct)).OrderBy(e => e.Order).ToList();
        var index = envs.FindIndex(e => e.Environment == environment);
        return index > 0 ? envs[index - 1].CurrentVersion : null;
    }

    private static ChatReply Accepted(string verb, DeploymentAccepted a) =>
        new($"{verb} {Short(a.Component)} `{a.Version}` to `{a.Environment}`: deployment `{a.DeploymentId}` (<{a.StatusUri}|status>).", InChannel: true);

    private static string Status(string component, IReadOnlyList<EnvironmentSummary> envs)
    {
        if (envs.Count == 0)
        {
            return $"{Short(component)} has no environments.";
        }

        var sb = new StringBuilder($"*{Short(component)}*");
        foreach (var e in envs.OrderBy(e => e.Order))
        {
            sb.Append($"\n• `{e.Environment}`{(e.Protected ? " :lock:" : string.Empty)}: {e.CurrentVersion ?? "nothing deployed"}");
            if (e.Status is { } s)
            {
                sb.Append($" ({s}{(e.DeploymentId is { } id ? $", `{id}`" : string.Empty)})");
            }
        }

        return sb.ToString();
    }

    private static string Short(string? componentRef) =>
        componentRef is null ? "?" : componentRef.StartsWith("component:default/", StringComparison.Ordinal) ? $"`{componentRef[18..]}`" : $"`{componentRef}`";

    private Task AuditAsync(string action, string? target, string outcome, Caller caller, string correlationId, ChatCommand c, CancellationToken ct, params (string Key, string Value)[] extra)
    {
        var detail = new Dictionary<string, string> { ["command"] = c.Verb };
        if (c.Environment is { } env)
        {
            detail["environment"] = env;
        }

        foreach (var (k, v) in extra)
        {
            detail[k] = v;
        }

        return audit.RecordAsync(new AuditEvent(action, target, outcome, caller, correlationId, null, detail), ct);
    }
}
