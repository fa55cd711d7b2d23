using System.Text;
using System.Text.Json;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.ChatOps;

/// <summary>
/// Slack slash commands and interactive buttons. Both only verify, queue and acknowledge (Slack wants an answer within
/// 3 s); <see cref="RunChatCommand"/> does the work and answers through <c>response_url</c>.
/// </summary>
public static class ChatOpsApi
{
    public static IEndpointRouteBuilder MapChatOpsApi(this IEndpointRouteBuilder app)
    {
        var slack = app.MapGroup("/api/chatops/slack").WithTags("ChatOps");
        slack.MapPost("/commands", CommandAsync).WithName("SlackSlashCommand").AllowAnonymousFunction("Slack-signed request (v0 signature, 5-minute window)");
        slack.MapPost("/actions", ActionAsync).WithName("SlackInteractiveAction").AllowAnonymousFunction("Slack-signed request (v0 signature, 5-minute window)");
        return app;
    }

    public static IServiceCollection AddChatOps(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChatOpsOptions>().BindConfiguration(ChatOpsOptions.Section);
        services.AddSingleton<SlackRequestVerifier>();
        services.AddFeatureCheck(sp => SlackRequestVerifier.CheckSettings(configuration, sp.GetRequiredService<IOptions<ChatOpsOptions>>().Value) is { } off ? [off] : []);
        services.AddSingleton<SlackResponder>();
        services.AddScoped<ChatCommandRunner>();
        return services;
    }

    private static async Task<IResult> CommandAsync(HttpContext http, SlackRequestVerifier verifier, StorageOnce storage, QueueWakeup wakeup,
        IOptions<ChatOpsOptions> options, TimeProvider time, CancellationToken ct)
    {
        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(await verifier.ReadVerifiedBodyAsync(http.Request, ct)));
        var text = form.TryGetValue("text", out var t) ? t.ToString().Trim() : string.Empty;
        var request = new ChatRequest(ChatRequest.Command, text, Field(form, "user_id"), form.TryGetValue("user_name", out var n) ? n.ToString() : null,
            ResponseUrl(form.TryGetValue("response_url", out var r) ? r.ToString() : null, options.Value),
            form.TryGetValue("team_id", out var team) ? team.ToString() : null, form.TryGetValue("channel_id", out var ch) ? ch.ToString() : null, time.GetUtcNow());
        if (text.Length == 0 || text.Equals("help", StringComparison.OrdinalIgnoreCase))
        {
            return Results.Ok(new { response_type = "ephemeral", text = ChatCommandParser.Usage });
        }

        await EnqueueAsync(request, storage, wakeup, ct);
        return Results.Ok(new { response_type = "ephemeral", text = $":hourglass_flowing_sand: Working on it: `{text}`" });
    }

    private static async Task<IResult> ActionAsync(HttpContext http, SlackRequestVerifier verifier, StorageOnce storage, QueueWakeup wakeup,
        IOptions<ChatOpsOptions> options, TimeProvider time, CancellationToken ct)
    {
        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(await verifier.ReadVerifiedBodyAsync(http.Request, ct)));
        JsonElement payload;
        try
        {
            payload = JsonDocument.Parse(Field(form, "payload")).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw ProblemException.BadRequest("payload", "is not JSON.");
        }

        var value = payload.TryGetProperty("actions", out var actions) && actions.ValueKind == JsonValueKind.Array && actions.GetArrayLength() > 0 &&
                    actions[0].TryGetProperty("value", out var v) ? v.GetString() : null;
        var parts = value?.Split(':', 2);
        if (parts is not [("approve" or "reject") and var verb, { Length: > 0 } id])
        {
            throw ProblemException.BadRequest("payload.actions[0].value", "must be approve:<deployment-id> or reject:<deployment-id>.");
        }

        var user = payload.TryGetProperty("user", out var u) && u.TryGetProperty("id", out var uid) ? uid.GetString() : null;
        var request = new ChatRequest(ChatRequest.Action, $"{verb} {id}",
            string.IsNullOrEmpty(user) ? throw ProblemException.BadRequest("payload.user.id", "is required.") : user,
            u.TryGetProperty("username", out var un) ? un.GetString() : null,
            ResponseUrl(payload.TryGetProperty("response_url", out var ru) ? ru.GetString() : null, options.Value),
            null, null, time.GetUtcNow());
        await EnqueueAsync(request, storage, wakeup, ct);
        return Results.Ok();
    }

    private static async Task EnqueueAsync(ChatRequest request, StorageOnce storage, QueueWakeup wakeup, CancellationToken ct)
    {
        var queue = await storage.QueueAsync(ChatRequest.QueueName, ct);
        // Slack accepts answers on a response_url for 30 minutes: an older request is not worth answering.
        await queue.SendAsync(request.ToJson(), timeToLive: TimeSpan.FromMinutes(30), ct: ct);
        wakeup.Notify(ChatRequest.QueueName);
    }

    private static string Field(Dictionary<string, Microsoft.Extensions.Primitives.StringValues> form, string name) =>
        form.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.ToString() : throw ProblemException.BadRequest(name, "is required.");

    private static string ResponseUrl(string? url, ChatOpsOptions options) =>
        options.ResponseUrlAllowed(url) ? url! : throw ProblemException.BadRequest("response_url", "is missing or not a Slack response URL.");
}
