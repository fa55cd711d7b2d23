using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// Who acts for a webhook: <c>system:github:owner/repo</c> on channel <c>webhook</c>, member of the group
/// <see cref="Group"/> so one role binding can authorize webhook-initiated deployments. The signature proves the
/// repository; the component's own <c>idp.dev/auto-deploy</c> annotation is its owners' consent.
/// </summary>
public static class WebhookCaller
{
    public const string Group = "group:default/idp-webhooks";

    public static Caller For(string host, string repository) =>
        Caller.SystemFor($"{host}:{repository}") with { Channel = Channels.Webhook, Groups = [Group] };
}
