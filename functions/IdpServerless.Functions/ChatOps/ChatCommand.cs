using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Webhooks;

namespace IdpServerless.Functions.ChatOps;

/// <summary>A parsed chat command. <see cref="Component"/> is a full ref (<c>payments-api</c> means <c>component:default/payments-api</c>).</summary>
public sealed record ChatCommand(string Verb, string? Component = null, string? Environment = null, string? Version = null, string? ToEnvironment = null, string? Control = null, string? DeploymentId = null);

/// <summary>The text could not be understood; the message says how to write it.</summary>
public sealed class ChatUsageException(string message) : Exception(message);

/// <summary>Parses <c>deploy|status|rollback|promote|canary|approve|reject|whoami|help</c>.</summary>
public static class ChatCommandParser
{
    public const string Usage =
        "*Commands*\n" +
        "• `deploy <component> <env> [version]` (no version: the one running in the environment before it)\n" +
        "• `status <component>`\n" +
        "• `rollback <component> <env> [version]`\n" +
        "• `promote <component> <from-env> <to-env>`\n" +
        "• `canary pause|resume|abort|promote <component> <env>`\n" +
        "• `approve <deployment-id>` · `reject <deployment-id>`\n" +
        "• `whoami` · `help`\n" +
        "Components: `payments-api` or `component:default/payments-api`.";

    private static readonly Dictionary<string, string> CanaryControls = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pause"] = DeploymentControls.Pause,
        ["resume"] = DeploymentControls.Resume,
        ["abort"] = DeploymentControls.Abort,
        ["promote"] = DeploymentControls.Promote,
    };

    public static ChatCommand Parse(string text)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            return new ChatCommand("help");
        }

        var verb = words[0].ToLowerInvariant();
        var args = words[1..];
        return verb switch
        {
            "help" => new ChatCommand("help"),
            "whoami" => new ChatCommand("whoami"),
            "status" when args.Length == 1 => new ChatCommand(verb, Component(args[0])),
            "deploy" when args.Length is 2 or 3 => new ChatCommand(verb, Component(args[0]), Env(args[1]), args.ElementAtOrDefault(2)),
            "rollback" when args.Length is 2 or 3 => new ChatCommand(verb, Component(args[0]), Env(args[1]), args.ElementAtOrDefault(2)),
            "promote" when args.Length == 3 => new ChatCommand(verb, Component(args[0]), Env(args[1]), ToEnvironment: Env(args[2])),
            "canary" when args.Length == 3 && CanaryControls.TryGetValue(args[0], out var control) =>
                new ChatCommand(verb, Component(args[1]), Env(args[2]), Control: control),
            "approve" or "reject" when args.Length == 1 && args[0].Length <= 200 => new ChatCommand(verb, DeploymentId: args[0]),
            "status" or "deploy" or "rollback" or "promote" or "canary" or "approve" or "reject" =>
                throw new ChatUsageException($"That is not how `{verb}` goes.\n{Usage}"),
            _ => throw new ChatUsageException($"I do not know `{verb}`.\n{Usage}"),
        };
    }

    private static string Component(string text)
    {
        try
        {
            return EntityRefs.Component(text);
        }
        catch (FormatException e)
        {
            throw new ChatUsageException(e.Message);
        }
    }

    private static string Env(string text) =>
        text.Length is > 0 and <= 63 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? text.ToLowerInvariant()
            : throw new ChatUsageException($"'{text}' is not an environment name.");
}
