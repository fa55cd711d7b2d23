using IdpServerless.Functions.Identity.Authentication;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity.Access;

/// <summary>
/// Who asked for the work a queue message carries: put it in the message when enqueuing on a user's behalf
/// (<c>MessageCaller.From(http.GetCaller())</c>), and turn it back into a <see cref="Caller"/> with
/// <see cref="CallerResolver.ResolveAsync"/> when processing, so the permission is checked against the user's groups and
/// bindings at that time. Only the app writes to its queues, so the message is trusted to name the user.
/// </summary>
public sealed record MessageCaller(string UserRef, string Channel)
{
    public static MessageCaller From(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new MessageCaller(caller.UserRef, caller.Channel);
    }
}

/// <summary>Builds callers for entries that are not HTTP requests: queue messages, chat users, the system.</summary>
public sealed class CallerResolver(UserMapper mapper, DirectoryAccessor directory)
{
    /// <summary>The caller a message names, with current groups; anonymous (so every check denies) when the user is gone.</summary>
    public async ValueTask<Caller> ResolveAsync(MessageCaller message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.UserRef.StartsWith("system:", StringComparison.Ordinal) && message.Channel == Channels.System)
        {
            return Caller.SystemFor(message.UserRef["system:".Length..]);
        }

        var mapping = await mapper.MapUserRefAsync(message.UserRef, ct).ConfigureAwait(false);
        return mapping.User is null ? Caller.Anonymous with { Channel = message.Channel } : ForUser(mapping.User, message.Channel);
    }

    /// <summary>The catalog User whose annotation (e.g. <c>slack.com/user-id</c>) has <paramref name="value"/>, as a caller on <paramref name="channel"/>; anonymous when none.</summary>
    public async ValueTask<Caller> FindByAnnotationAsync(string annotation, string value, string channel, CancellationToken ct)
    {
        var user = await directory.Directory.FindUserAsync(annotation, value, ct).ConfigureAwait(false);
        return user is null ? Caller.Anonymous with { Channel = channel } : ForUser(user, channel);
    }

    public static Caller ForUser(DirectoryUser user, string channel)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new Caller(
            EntityRefs.TryNormalize(user.Ref, "user") ?? user.Ref.ToLowerInvariant(),
            user.DisplayName,
            user.Email,
            user.Groups.Select(g => EntityRefs.TryNormalize(g, "group") ?? g.ToLowerInvariant()).ToArray(),
            channel,
            true);
    }
}

/// <summary>
/// Authorization for entries other than the HTTP middleware: queue handlers, chat commands, orchestration control.
/// Same decision point; a denial is audited here (HTTP denials are audited by the middleware).
/// </summary>
public sealed class AccessGuard(IAccessPolicy policy, IAuditLog audit)
{
    /// <summary>Decides, audits a denial (action, target, caller, reason) and returns the decision.</summary>
    public async ValueTask<AccessDecision> CheckAsync(Caller caller, string permission, AccessResource? resource, string action, string? correlationId, CancellationToken ct)
    {
        var decision = await policy.DecideAsync(caller, permission, resource, ct).ConfigureAwait(false);
        if (!decision.Allowed)
        {
            await audit.RecordAsync(new AuditEvent(action, resource?.EntityRef, AuditOutcomes.Denied, caller, correlationId, null,
                new Dictionary<string, string> { ["permission"] = permission, ["reason"] = decision.Reason ?? string.Empty }), ct).ConfigureAwait(false);
        }

        return decision;
    }
}

/// <summary>Checks inside an HTTP handler, for entities named in the body rather than the route.</summary>
public static class HttpAccessExtensions
{
    /// <summary>Throws a 403 <see cref="Hosting.Problems.ProblemException"/> naming the permission when the caller lacks it on <paramref name="resource"/>.</summary>
    public static async Task EnsureAllowedAsync(this HttpContext context, string permission, AccessResource resource)
    {
        var policy = context.RequestServices.GetRequiredService<IAccessPolicy>();
        var decision = await policy.DecideAsync(context.GetCaller(), permission, resource, context.RequestAborted).ConfigureAwait(false);
        if (!decision.Allowed)
        {
            context.Audit().Target ??= resource.EntityRef;
            throw Hosting.Problems.ProblemException.Forbidden(permission, decision.Reason ?? "Forbidden.");
        }
    }
}
