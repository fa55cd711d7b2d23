using System.Globalization;
using IdpServerless.Hosting.Problems;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Webhooks;

/// <summary>What <c>GET /api/components/{namespace}/{name}/pull-requests</c> answers.</summary>
public sealed record PullRequestCount(int Open, DateTimeOffset? UpdatedAt);

/// <summary>
/// Open pull/merge requests per repository: one row per request (partition = host + repository, row = number) holding
/// its last known state. Rows rather than a counter make the count idempotent and order-proof: a redelivered or late
/// event (older <c>updated_at</c> than the stored one) changes nothing.
/// </summary>
public sealed class PullRequestStore(StorageOnce storage, IEventCatalog catalog)
{
    public const string TableName = "pullrequests";

    /// <summary>Records the request's state; false when the stored state is newer.</summary>
    public async Task<bool> ApplyAsync(PullRequestEvent e, CancellationToken ct)
    {
        var table = await storage.TableAsync(TableName, ct);
        var pk = Partition(e.Host, e.Repository);
        var rk = e.Number.ToString("D12", CultureInfo.InvariantCulture);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var existing = await table.GetEntityAsync(pk, rk, ct: ct);
            if (existing?.GetDateTimeOffset("UpdatedAt") is { } stored && stored > e.UpdatedAt)
            {
                return false;
            }

            var row = new TableEntity(pk, rk)
            {
                ["State"] = e.Open ? "open" : "closed",
                ["Title"] = e.Title is { Length: > 500 } t ? t[..500] : e.Title,
                ["UpdatedAt"] = e.UpdatedAt,
            };
            try
            {
                if (existing is null)
                {
                    await table.AddEntityAsync(row, ct);
                }
                else
                {
                    await table.UpdateEntityAsync(row, existing.ETag!, ct: ct);
                }

                return true;
            }
            catch (Exception ex) when (ex is StorageConflictException or StoragePreconditionFailedException)
            {
                // Another instance wrote the same request meanwhile: read again and compare.
            }
        }

        throw new InvalidOperationException($"Pull request {e.Repository}#{e.Number} kept changing under us.");
    }

    /// <summary>Open requests of a component's repositories (its GitHub and GitLab project-slug annotations).</summary>
    public async Task<PullRequestCount> CountAsync(string componentRef, CancellationToken ct)
    {
        var component = await catalog.GetComponentAsync(componentRef, ct) ?? throw ProblemException.NotFound($"Component {componentRef} is not in the catalog.");
        var table = await storage.TableAsync(TableName, ct);
        var open = 0;
        DateTimeOffset? updated = null;
        foreach (var host in new[] { GitHosts.GitHub, GitHosts.GitLab })
        {
            if (!component.Annotations.TryGetValue(EventAnnotations.SlugFor(host), out var slug) || string.IsNullOrWhiteSpace(slug))
            {
                continue;
            }

            await foreach (var row in table.QueryAsync(TableFilter.Eq("PartitionKey", Partition(host, slug)), ["State", "UpdatedAt"], ct: ct))
            {
                open += row.GetString("State") == "open" ? 1 : 0;
                if (row.GetDateTimeOffset("UpdatedAt") is { } at && (updated is null || at > updated))
                {
                    updated = at;
                }
            }
        }

        return new PullRequestCount(open, updated);
    }

    private static string Partition(string host, string repository) => TableKeys.Escape($"{host}:{repository.Trim().ToLowerInvariant()}");
}
