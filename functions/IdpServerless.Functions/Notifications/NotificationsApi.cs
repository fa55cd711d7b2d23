using IdpServerless.Functions.Notifications.Senders;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Notifications;

/// <summary>Subscriptions, the local outbox, and the publisher/fan-out/delivery functions.</summary>
public static class NotificationsApi
{
    public static IEndpointRouteBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/notifications").WithTags("Notifications");
        group.MapGet("/subscriptions", async (string? team, string? component, SubscriptionStore store, CancellationToken ct) =>
        {
            var items = await store.ListAsync(Parse("team", team, EntityRefs.Group), Parse("component", component, EntityRefs.Component), ct);
            return Results.Ok(new { items });
        }).WithName("ListNotificationSubscriptions").RequirePermission(Permissions.NotificationRead);

        group.MapPost("/subscriptions", async (SubscriptionRequest request, HttpContext http, ManageSubscriptions manage, CancellationToken ct) =>
        {
            var s = await manage.CreateAsync(request, http.GetCaller(), ct);
            return Results.Created($"/api/notifications/subscriptions/{s.Id}", s);
        }).WithName("CreateNotificationSubscription").RequirePermission(Permissions.NotificationRead);

        group.MapDelete("/subscriptions/{id}", async (string id, HttpContext http, ManageSubscriptions manage, CancellationToken ct) =>
        {
            await manage.DeleteAsync(id, http.GetCaller(), ct);
            return Results.NoContent();
        }).WithName("DeleteNotificationSubscription").RequirePermission(Permissions.NotificationRead);

        group.MapGet("/outbox", async (int? limit, LocalOutbox outbox, CancellationToken ct) =>
        {
            if (limit is < 1 or > 500)
            {
                throw ProblemException.BadRequest("limit", "must be between 1 and 500.");
            }

            return Results.Ok(new { items = await outbox.ListAsync(limit ?? 50, ct) });
        }).WithName("ListNotificationOutbox").RequirePermission(Permissions.NotificationRead);
        return app;
    }

    private static string? Parse(string field, string? value, Func<string, string> parse)
    {
        try
        {
            return value is null ? null : parse(value);
        }
        catch (FormatException e)
        {
            throw ProblemException.BadRequest(field, e.Message);
        }
    }

    public static IServiceCollection AddNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section);
        services.AddHttpClient(NotificationHttp.ClientName, (sp, c) => c.Timeout = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<NotificationOptions>>().Value.HttpTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.AddSingleton<INotificationPublisher, NotificationPublisher>();
        services.AddSingleton<NotificationMode>();
        services.AddSingleton<SubscriptionStore>();
        services.AddSingleton<LocalOutbox>();
        services.AddScoped<ManageSubscriptions>();
        services.AddSingleton<INotificationSender, SlackWebhookSender>();
        services.AddSingleton<INotificationSender, SlackBotSender>();
        services.AddSingleton<INotificationSender, EmailSender>();
        services.AddSingleton<INotificationSender, PagerDutySender>();
        services.AddSingleton<INotificationSender, WebhookSender>();
        services.AddFeatureCheck(sp => FeaturesOff(sp.GetRequiredService<NotificationMode>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<NotificationOptions>>().Value));
        return services;
    }

    /// <summary>Start-up check: the local provider sends nothing out; live e-mail needs an SMTP relay.</summary>
    public static IEnumerable<FeatureOff> FeaturesOff(NotificationMode mode, NotificationOptions options)
    {
        if (mode.IsLocal)
        {
            yield return new FeatureOff("Outgoing notifications (Slack, e-mail, PagerDuty, webhooks)",
                "the notification provider is local (the default in local mode): deliveries go to the outbox table only; Notifications__Provider=live sends them.",
                ["Notifications__Provider"]);
        }
        else if (string.IsNullOrWhiteSpace(options.Smtp.Host))
        {
            yield return new FeatureOff("E-mail notifications", "no SMTP relay is configured: e-mail deliveries go to the poison queue saying so.", ["Notifications__Smtp__Host"]);
        }
    }
}
