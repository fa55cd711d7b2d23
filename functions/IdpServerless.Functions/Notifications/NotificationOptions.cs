namespace IdpServerless.Functions.Notifications;

/// <summary>Settings under <c>Notifications</c> (e.g. <c>Notifications__Provider</c>, <c>Notifications__Delivery__MaxAge</c>).</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary><c>local</c>: every delivery lands in the outbox table, nothing leaves the machine; <c>live</c>: real senders. Default: local in local mode.</summary>
    public string? Provider { get; set; }

    public DeliveryRetryOptions Delivery { get; set; } = new();

    /// <summary>Base of Slack's Web API (chat.postMessage).</summary>
    public Uri SlackApiBaseUrl { get; set; } = new("https://slack.com/api/");

    /// <summary>PagerDuty Events API v2 endpoint.</summary>
    public Uri PagerDutyEventsUrl { get; set; } = new("https://events.pagerduty.com/v2/enqueue");

    /// <summary>Environment names counted as production (PagerDuty pages only for these).</summary>
    public string ProductionEnvironments { get; set; } = "prod,production";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Per-request timeout of outgoing calls.</summary>
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public bool IsProduction(string? environment) =>
        environment is not null && ProductionEnvironments.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Contains(environment, StringComparer.OrdinalIgnoreCase);
}

/// <summary>How long a delivery is kept trying while its provider is down.</summary>
public sealed class DeliveryRetryOptions
{
    /// <summary>Delay after the first failed attempt; doubles per attempt.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>After this long since the first attempt, the delivery goes to the poison queue with its last error.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>The SMTP relay for e-mail notifications.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public string From { get; set; } = "idp@localhost";

    /// <summary>Upgrade with STARTTLS when the server offers it (required when true and <see cref="RequireTls"/>).</summary>
    public bool StartTls { get; set; } = true;

    public bool RequireTls { get; set; }

    public string? UserName { get; set; }

    /// <summary>Secret reference to the password (AUTH PLAIN).</summary>
    public string? PasswordRef { get; set; }
}
