using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Notifications;

/// <summary>Body of <c>POST /api/notifications/subscriptions</c>.</summary>
public sealed record SubscriptionRequest(string? Team, string? Component, IReadOnlyList<string>? Events, ChannelSpec? Channel);

/// <summary>
/// Creating and deleting subscriptions. A team's members manage their own team's subscriptions; anyone else needs
/// <see cref="Permissions.NotificationAdmin"/>. Decided by the one <see cref="IAccessPolicy"/> and audited.
/// </summary>
public sealed class ManageSubscriptions(SubscriptionStore store, IAccessPolicy policy, IAuditLog audit, TimeProvider time)
{
    private static readonly HashSet<string> KnownEvents = new(StringComparer.Ordinal)
    {
        NotificationEvents.DeploymentStarted, NotificationEvents.DeploymentSucceeded, NotificationEvents.DeploymentFailed,
        NotificationEvents.DeploymentRolledBack, NotificationEvents.ApprovalNeeded, NotificationEvents.CanaryPaused,
        NotificationEvents.TemplateCompleted, NotificationEvents.TemplateFailed,
    };

    public async Task<Subscription> CreateAsync(SubscriptionRequest request, Caller caller, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        string? team = null, component = null;
        try
        {
            team = string.IsNullOrWhiteSpace(request.Team) ? null : EntityRefs.Group(request.Team);
        }
        catch (FormatException e)
        {
            errors["team"] = [e.Message];
        }

        if (team is null && !errors.ContainsKey("team"))
        {
            errors["team"] = ["is required (a group ref such as group:default/payments)."];
        }

        try
        {
            component = string.IsNullOrWhiteSpace(request.Component) ? null : EntityRefs.Component(request.Component);
        }
        catch (FormatException e)
        {
            errors["component"] = [e.Message];
        }

        var events = (request.Events ?? []).Select(e => e.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (events.FirstOrDefault(e => !KnownEvents.Contains(e)) is { } unknown)
        {
            errors["events"] = [$"'{unknown}' is not an event type; use {string.Join(", ", KnownEvents.Order(StringComparer.Ordinal))} (or none for all)."];
        }

        ValidateChannel(request.Channel, errors);
        if (errors.Count > 0)
        {
            throw ProblemException.Validation(errors);
        }

        await AuthorizeAsync(caller, team!, "notification.subscription.create", ct);
        var subscription = new Subscription(Guid.NewGuid().ToString("N"), team!, component, events, request.Channel!, caller.UserRef, time.GetUtcNow());
        await store.AddAsync(subscription, ct);
        await audit.RecordAsync(new AuditEvent("notification.subscription.create", component ?? team, AuditOutcomes.Success, caller,
            Detail: new Dictionary<string, string> { ["id"] = subscription.Id, ["channel"] = subscription.Channel.Describe() }), ct);
        return subscription;
    }

    public async Task DeleteAsync(string id, Caller caller, CancellationToken ct)
    {
        var s = await store.FindAsync(id, ct) ?? throw ProblemException.NotFound($"Subscription {id} does not exist.");
        await AuthorizeAsync(caller, s.Team, "notification.subscription.delete", ct);
        await store.DeleteAsync(s, ct);
        await audit.RecordAsync(new AuditEvent("notification.subscription.delete", s.Component ?? s.Team, AuditOutcomes.Success, caller,
            Detail: new Dictionary<string, string> { ["id"] = id }), ct);
    }

    private async Task AuthorizeAsync(Caller caller, string team, string action, CancellationToken ct)
    {
        if (caller.Groups.Contains(team, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        var decision = await policy.DecideAsync(caller, Permissions.NotificationAdmin, new AccessResource(team), ct);
        if (!decision.Allowed)
        {
            await audit.RecordAsync(new AuditEvent(action, team, AuditOutcomes.Denied, caller,
                Detail: new Dictionary<string, string> { ["permission"] = Permissions.NotificationAdmin }), ct);
            throw ProblemException.Forbidden(Permissions.NotificationAdmin,
                $"Only members of {team} or holders of {Permissions.NotificationAdmin} manage its subscriptions." + (decision.Reason is { } r ? " " + r : string.Empty));
        }
    }

    private static void ValidateChannel(ChannelSpec? c, Dictionary<string, string[]> errors)
    {
        if (c is null || string.IsNullOrWhiteSpace(c.Type) || !ChannelTypes.All.Contains(c.Type))
        {
            errors["channel.type"] = [$"is required: one of {string.Join(", ", ChannelTypes.All.Order(StringComparer.Ordinal))}."];
            return;
        }

        void Ref(string field, string? value)
        {
            if (!SecretReferenceSyntax.IsReference(value))
            {
                errors["channel." + field] = ["must be a secret reference (local:<name>, vault:<path>#<key> or keyvault:<name>), never the secret itself."];
            }
        }

        switch (c.Type)
        {
            case ChannelTypes.Slack:
                Ref("webhookUrlRef", c.WebhookUrlRef);
                break;
            case ChannelTypes.SlackBot:
                Ref("tokenRef", c.TokenRef);
                if (string.IsNullOrWhiteSpace(c.Channel) || c.Channel.Length > 80)
                {
                    errors["channel.channel"] = ["is required: the Slack channel id or name."];
                }

                break;
            case ChannelTypes.Email:
                if (c.To is not { Count: > 0 and <= 50 } || c.To.Any(a => !LooksLikeAddress(a)))
                {
                    errors["channel.to"] = ["needs 1-50 e-mail addresses."];
                }

                break;
            case ChannelTypes.PagerDuty:
                Ref("routingKeyRef", c.RoutingKeyRef);
                break;
            case ChannelTypes.Webhook:
                Ref("secretRef", c.SecretRef);
                if (!Uri.TryCreate(c.Url, UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(u.UserInfo))
                {
                    errors["channel.url"] = ["must be an absolute http(s) URL without credentials."];
                }

                break;
        }
    }

    private static bool LooksLikeAddress(string a)
    {
        try
        {
            _ = Senders.MailAddresses.Check(a);
            return true;
        }
        catch (Senders.DeliveryFailedException)
        {
            return false;
        }
    }
}
