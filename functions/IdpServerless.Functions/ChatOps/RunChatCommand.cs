using Microsoft.Azure.Functions.Worker;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;

namespace IdpServerless.Functions.ChatOps;

/// <summary>
/// Queue function on <c>chatops</c>: maps the Slack user to a catalog User (annotation <c>slack.com/user-id</c>), runs the
/// command and posts the answer to the request's <c>response_url</c>. The answer is stored before it is posted, so a retry
/// after a failed post re-posts it instead of running the command twice.
/// </summary>
public sealed partial class RunChatCommand(FunctionInvoker invoker, 
    ICatalogDirectory directory,
    ChatCommandRunner runner,
    SlackResponder responder,
    IAuditLog audit,
    StorageOnce storage,
    ILogger<RunChatCommand> logger) : IQueueHandler
{
    public const string FunctionName = "RunChatCommand";

    /// <summary>The queue-triggered function (the host's Storage Queues trigger, or standalone mode's dispatcher, calls it).</summary>
    [Function(FunctionName)]
    public Task RunAsync([QueueTrigger(ChatRequest.QueueName)] Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken) =>
        invoker.RunQueueAsync(FunctionName, message, this, cancellationToken);
    public const string RepliesTable = "chatopsreplies";

    public async Task HandleAsync(QueueMessageContext message, CancellationToken ct)
    {
        var request = message.Read(ChatRequest.Parse, "The chat request");

        var replies = await storage.TableAsync(RepliesTable, ct);
        var key = TableKeys.Escape(message.MessageId);
        ChatReply reply;
        if (await replies.GetEntityAsync(key, "reply", ct: ct) is { } stored)
        {
            reply = new ChatReply(stored.GetString("Text") ?? string.Empty, stored.GetBoolean("InChannel") ?? false, stored.GetBoolean("ReplaceOriginal") ?? false);
        }
        else
        {
            reply = await AnswerAsync(request, message.MessageId, ct);
            await replies.UpsertEntityAsync(new TableEntity(key, "reply")
            {
                ["Text"] = reply.Text.Length > 30_000 ? reply.Text[..30_000] : reply.Text,
                ["InChannel"] = reply.InChannel,
                ["ReplaceOriginal"] = reply.ReplaceOriginal,
            }, ct: ct);
        }

        await responder.PostAsync(request.ResponseUrl, reply, ct);
        LogAnswered(logger, request.SlackUserId, request.Text.Split(' ', 2)[0]);
    }

    private async Task<ChatReply> AnswerAsync(ChatRequest request, string correlationId, CancellationToken ct)
    {
        ChatCommand command;
        try
        {
            command = ChatCommandParser.Parse(request.Text);
        }
        catch (ChatUsageException e)
        {
            return new ChatReply(e.Message);
        }

        if (command.Verb == "help")
        {
            return new ChatReply(ChatCommandParser.Usage);
        }

        var user = await directory.FindUserAsync(EventAnnotations.SlackUserId, request.SlackUserId, ct);
        if (user is null)
        {
            var stranger = new Caller($"slack:{request.SlackUserId}", request.SlackUserName, null, [], Channels.Chat, false);
            await audit.RecordAsync(new AuditEvent("chat." + command.Verb, command.Component ?? command.DeploymentId, AuditOutcomes.Denied, stranger, correlationId,
                Detail: new Dictionary<string, string> { ["reason"] = "Slack user is not linked to a catalog User" }), ct);
            return new ChatReply($":question: Your Slack account (`{request.SlackUserId}`) is not linked to a catalog User. " +
                                 $"Add the annotation `{EventAnnotations.SlackUserId}: {request.SlackUserId}` to your User entity.");
        }

        var caller = new Caller(user.Ref, user.DisplayName, user.Email, user.Groups, Channels.Chat, true);
        return await runner.RunAsync(command, caller, correlationId, ct);
    }

    [LoggerMessage(EventId = 8201, Level = LogLevel.Information, Message = "Answered chat command '{Verb}' from Slack user {SlackUserId}")]
    private static partial void LogAnswered(ILogger logger, string slackUserId, string verb);
}
