using System.Text.Json.Nodes;
using IdpServerless.Functions.Notifications;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary><c>notify</c>: publishes a notification to everyone subscribed to its event (once per step, even when retried).</summary>
public sealed class NotifyAction(IServiceProvider services) : IScaffolderAction
{
    public string Id => "notify";

    public string Description => "Publishes a notification (Slack, e-mail, webhooks per team subscriptions).";

    public JsonObject InputSchema { get; } = Schemas.Object(
        ["title"],
        ("title", Schemas.String("One line.")),
        ("text", Schemas.String("Details (no secrets).")),
        ("component", Schemas.String("Entity ref the notification is about (routes it to the owning team's subscriptions).")),
        ("event", new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(NotificationEvents.TemplateCompleted, NotificationEvents.TemplateFailed), ["description"] = "Event type (default template.completed)." }),
        ("severity", new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("info", "warning", "critical") }),
        ("links", new JsonObject { ["type"] = "array", ["items"] = Schemas.Object(["url"], ("title", Schemas.String("Link text.")), ("url", Schemas.String("Target."))) }));

    public JsonObject OutputSchema { get; } = Schemas.Object([], ("published", Schemas.Boolean("Whether a notification was published.")));

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var title = context.RequireString("title");
        var publisher = services.GetService<INotificationPublisher>();
        if (context.IsDryRun || publisher is null)
        {
            await context.LogAsync(context.IsDryRun ? $"Dry run: would notify '{title}'." : $"Notifications are not configured; not sent: '{title}'.");
            context.Output("published", false);
            return;
        }

        if (await context.GetEffectAsync("notification", cancellationToken) is not null)
        {
            await context.LogAsync($"Notification '{title}' was already published by this step.");
            context.Output("published", true);
            return;
        }

        var links = (context.Input["links"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(l => new NotificationLink(l["title"]?.ToString() ?? l["url"]!.ToString(), l["url"]!.ToString())).ToList();
        await publisher.PublishAsync(new NotificationEvent(
            context.GetString("event") ?? NotificationEvents.TemplateCompleted,
            context.GetString("component"),
            null,
            context.TaskId,
            title,
            context.GetString("text") ?? string.Empty,
            context.GetString("severity") ?? "info",
            links,
            new Dictionary<string, string> { ["task"] = context.TaskId, ["by"] = context.Caller.UserRef }), cancellationToken);
        await context.SetEffectAsync("notification", new JsonObject { ["title"] = title }, cancellationToken);
        await context.LogAsync($"Published notification '{title}'.");
        context.Output("published", true);
    }
}

/// <summary><c>debug:log</c>: writes a message (and optionally the workspace listing) to the task log.</summary>
public sealed class DebugLogAction : IScaffolderAction
{
    public string Id => "debug:log";

    public string Description => "Writes a message to the task log; listWorkspace lists the workspace files.";

    public JsonObject InputSchema { get; } = Schemas.Object(
        [],
        ("message", Schemas.String("The message.")),
        ("listWorkspace", Schemas.Boolean("Also list the workspace files.")));

    public JsonObject OutputSchema { get; } = Schemas.Object([]);

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        if (context.GetString("message") is { } message)
        {
            await context.LogAsync(message);
        }

        if (context.GetBool("listWorkspace"))
        {
            await context.LogAsync("Workspace: " + (context.Workspace.Files.Count == 0 ? "(empty)" : string.Join(", ", context.Workspace.Files.Keys)));
        }
    }
}
