using System.Text;
using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Notifications;

/// <summary>A message ready for any channel: plain title and text, and Slack blocks (with approval buttons when asked).</summary>
public sealed record RenderedNotification(string Title, string Text, JsonArray SlackBlocks)
{
    /// <summary>Slack message body: fallback text plus blocks (a fresh copy per use, nodes have one parent).</summary>
    public JsonObject SlackMessage() => new() { ["text"] = Title, ["blocks"] = SlackBlocks.DeepClone() };
}

/// <summary>
/// One template per event type. Approval-needed messages carry Approve/Reject buttons whose values
/// (<c>approve:&lt;deployment-id&gt;</c>, <c>reject:&lt;deployment-id&gt;</c>) come back to <c>POST /api/chatops/slack/actions</c>.
/// </summary>
public static class NotificationTemplates
{
    public const string ApproveActionId = "idp-approve";
    public const string RejectActionId = "idp-reject";

    public static RenderedNotification Render(NotificationEvent e)
    {
        var component = e.Component is null ? null : ShortRef(e.Component);
        var where = e.Environment is null ? string.Empty : $" to {e.Environment}";
        var version = e.Facts.TryGetValue("version", out var v) ? $" {v}" : string.Empty;
        var headline = e.Type switch
        {
            NotificationEvents.DeploymentStarted => $":rocket: Deploying {component}{version}{where}",
            NotificationEvents.DeploymentSucceeded => $":white_check_mark: Deployed {component}{version}{where}",
            NotificationEvents.DeploymentFailed => $":x: Deployment of {component}{version}{where} failed",
            NotificationEvents.DeploymentRolledBack => $":rewind: Rolled back {component}{where}{version}",
            NotificationEvents.ApprovalNeeded => $":raised_hand: Approval needed: {component}{version}{where}",
            NotificationEvents.CanaryPaused => $":pause_button: Canary of {component}{version} paused in {e.Environment}",
            NotificationEvents.TemplateCompleted => ":sparkles: Template run completed",
            NotificationEvents.TemplateFailed => ":warning: Template run failed",
            _ => e.Type,
        };
        var title = string.IsNullOrWhiteSpace(e.Title) ? headline : $"{headline}: {e.Title}";

        var text = new StringBuilder(e.Text);
        foreach (var (k, value) in e.Facts)
        {
            text.Append('\n').Append(k).Append(": ").Append(value);
        }

        foreach (var link in e.Links)
        {
            text.Append('\n').Append(link.Title).Append(": ").Append(link.Url);
        }

        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "section", ["text"] = Markdown($"*{Escape(title)}*\n{Escape(e.Text)}") },
        };
        if (e.Facts.Count > 0)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "section",
                ["fields"] = new JsonArray([.. e.Facts.Take(10).Select(f => (JsonNode)Markdown($"*{Escape(f.Key)}*\n{Escape(f.Value)}"))]),
            });
        }

        if (e.Links.Count > 0)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "context",
                ["elements"] = new JsonArray([.. e.Links.Take(10).Select(l => (JsonNode)Markdown($"<{l.Url}|{Escape(l.Title)}>"))]),
            });
        }

        if (e.Type == NotificationEvents.ApprovalNeeded)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "actions",
                ["block_id"] = "idp-approval",
                ["elements"] = new JsonArray(
                    Button(ApproveActionId, "Approve", "approve:" + e.Subject, "primary"),
                    Button(RejectActionId, "Reject", "reject:" + e.Subject, "danger")),
            });
        }

        return new RenderedNotification(title, text.ToString(), blocks);
    }

    private static string ShortRef(string entityRef) =>
        entityRef.StartsWith("component:default/", StringComparison.Ordinal) ? entityRef["component:default/".Length..] : entityRef;

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static JsonObject Button(string actionId, string label, string value, string style) => new()
    {
        ["type"] = "button",
        ["action_id"] = actionId,
        ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = label },
        ["value"] = value,
        ["style"] = style,
    };

    // Slack mrkdwn control characters.
    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
