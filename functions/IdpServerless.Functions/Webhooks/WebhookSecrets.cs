using IdpServerless.Functions.Secrets;
using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// Finds the secret a repository's webhooks are signed with: setting <c>Webhooks__GitHub__Secrets__&lt;owner&gt;__&lt;repo&gt;</c>
/// (GitLab: <c>Webhooks__GitLab__Secrets__&lt;group&gt;__...__&lt;project&gt;</c>) holding a secret reference, else
/// <c>Webhooks__&lt;Provider&gt;__DefaultSecret</c>. Only references live in settings; values are resolved per request.
/// A provider with no secret at all, or a reference whose value is not configured, is the operator's to fix: 503
/// naming the setting (the start-up check names it too). A repository without a secret of its own or the default
/// stays a 401, like a wrong signature.
/// </summary>
public sealed class WebhookSecrets(IConfiguration configuration, ISecretReferences secrets)
{
    public static string Feature(string provider) => (provider == GitHosts.GitHub ? "GitHub" : "GitLab") + " webhooks";

    /// <summary>Refuses with 503 when <paramref name="provider"/> has no secret configured at all.</summary>
    public void EnsureConfigured(string provider)
    {
        if (NotConfigured(configuration, provider) is { } off)
        {
            throw ProblemException.NotConfigured(off.Feature, off.Reason, off.Settings);
        }
    }

    /// <summary>The secret value, or null when neither a per-repository nor a default reference is configured.</summary>
    public async Task<string?> FindAsync(string provider, string? repository, CancellationToken cancellationToken)
    {
        var section = Section(provider);
        string? reference = null;
        var setting = string.Empty;
        if (!string.IsNullOrEmpty(repository) && repository.Split('/').All(p => p.Length > 0 && !p.Contains(':', StringComparison.Ordinal)))
        {
            reference = configuration[$"{section}:Secrets:{repository.Replace('/', ':')}"];
            setting = $"{Env(section)}__Secrets__{repository.Replace("/", "__", StringComparison.Ordinal)}";
        }

        if (string.IsNullOrWhiteSpace(reference))
        {
            reference = configuration[$"{section}:DefaultSecret"];
            setting = Env(section) + "__DefaultSecret";
        }

        if (string.IsNullOrWhiteSpace(reference))
        {
            return null;
        }

        if (SecretSettings.Lacking(configuration, reference, setting) is { } gap)
        {
            throw ProblemException.NotConfigured(Feature(provider), gap.Reason, gap.Settings);
        }

        try
        {
            return await secrets.RevealAsync(reference.Trim(), cancellationToken);
        }
        catch (SecretUnavailableException)
        {
            throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "The webhook secret cannot be read right now.",
                "Its secret store did not give the value; the provider's redelivery will be accepted once it does.");
        }
    }

    /// <summary>Start-up check: providers without any secret, and references whose values are not configured.</summary>
    public static IEnumerable<FeatureOff> Check(IConfiguration configuration)
    {
        foreach (var provider in new[] { GitHosts.GitHub, GitHosts.GitLab })
        {
            if (NotConfigured(configuration, provider) is { } off)
            {
                yield return off;
                continue;
            }

            var section = Section(provider);
            var references = configuration.GetSection(section + ":Secrets").AsEnumerable(makePathsRelative: true)
                .Where(kv => kv.Value is not null)
                .Select(kv => (Setting: $"{Env(section)}__Secrets__{kv.Key.Replace(":", "__", StringComparison.Ordinal)}", Reference: kv.Value))
                .Append((Setting: Env(section) + "__DefaultSecret", Reference: configuration[section + ":DefaultSecret"]))
                .Where(r => !string.IsNullOrWhiteSpace(r.Reference));
            foreach (var (setting, reference) in references)
            {
                if (SecretSettings.Lacking(configuration, reference, setting) is { } gap)
                {
                    yield return new FeatureOff(Feature(provider) + " signed with " + setting, "those deliveries are refused: " + gap.Reason, gap.Settings);
                }
            }
        }
    }

    private static FeatureOff? NotConfigured(IConfiguration configuration, string provider)
    {
        var section = Section(provider);
        var any = !string.IsNullOrWhiteSpace(configuration[section + ":DefaultSecret"]) ||
                  configuration.GetSection(section + ":Secrets").AsEnumerable().Any(kv => !string.IsNullOrWhiteSpace(kv.Value));
        return any
            ? null
            : new FeatureOff(Feature(provider), "no webhook secret is configured, so every delivery is refused.",
                [Env(section) + "__DefaultSecret", Env(section) + (provider == GitHosts.GitHub ? "__Secrets__<owner>__<repo>" : "__Secrets__<group>__<project>")]);
    }

    private static string Section(string provider) => provider == GitHosts.GitHub ? "Webhooks:GitHub" : "Webhooks:GitLab";

    private static string Env(string section) => section.Replace(":", "__", StringComparison.Ordinal);
}
