namespace IdpServerless.Functions.Webhooks;

/// <summary>
/// Finds the secret a repository's webhooks are signed with: setting <c>Webhooks__GitHub__Secrets__&lt;owner&gt;__&lt;repo&gt;</c>
/// (GitLab: <c>Webhooks__GitLab__Secrets__&lt;group&gt;__...__&lt;project&gt;</c>) holding a secret reference, else
/// <c>Webhooks__&lt;Provider&gt;__DefaultSecret</c>. Only references live in settings; values are resolved per request.
/// </summary>
public sealed class WebhookSecrets(IConfiguration configuration, ISecretReferences secrets)
{
    /// <summary>The secret value, or null when neither a per-repository nor a default reference is configured.</summary>
    public async Task<string?> FindAsync(string provider, string? repository, CancellationToken cancellationToken)
    {
        var section = provider == GitHosts.GitHub ? "Webhooks:GitHub" : "Webhooks:GitLab";
        string? reference = null;
        if (!string.IsNullOrEmpty(repository) && repository.Split('/').All(p => p.Length > 0 && !p.Contains(':', StringComparison.Ordinal)))
        {
            reference = configuration[$"{section}:Secrets:{repository.Replace('/', ':')}"];
        }

        reference ??= configuration[$"{section}:DefaultSecret"];
        return string.IsNullOrWhiteSpace(reference) ? null : await secrets.RevealAsync(reference.Trim(), cancellationToken);
    }
}
