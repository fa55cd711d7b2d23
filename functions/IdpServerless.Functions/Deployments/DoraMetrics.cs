using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Deployments;

/// <summary>A component's delivery figures: the four keys of every environment (as before) and DORA's five for production with their trend.</summary>
/// <param name="DeploymentFrequencyPerDay">Successful deployments per day (all environments).</param>
/// <param name="LeadTimeMinutes">Median time from a version's first deployment request (its first appearance) to it succeeding in an environment; null without data.</param>
/// <param name="ChangeFailureRate">Failed or rolled-back deployments over finished ones (aborted and rejected ones excluded).</param>
/// <param name="TimeToRestoreMinutes">Median time from a failed deployment to the next success in the same environment.</param>
/// <param name="Environment">The environment the five are computed for; null means every production environment (<see cref="DoraCalculator.IsProduction"/>).</param>
public sealed record DoraReport(
    string Component,
    int Days,
    int Deployments,
    int Succeeded,
    int Failed,
    double DeploymentFrequencyPerDay,
    double? LeadTimeMinutes,
    double? ChangeFailureRate,
    double? TimeToRestoreMinutes,
    IReadOnlyDictionary<string, int> SucceededByEnvironment,
    string? Environment,
    DateTimeOffset From,
    DateTimeOffset To,
    DoraFigures Figures,
    IReadOnlyList<DoraBucket> Trend);

/// <summary>DORA's five for a team (its components and those of its child groups) or the whole organisation.</summary>
public sealed record DoraScopeReport(
    string Scope,
    int Days,
    string? Environment,
    DateTimeOffset From,
    DateTimeOffset To,
    int Components,
    DoraFigures Figures,
    IReadOnlyList<DoraBucket> Trend,
    IReadOnlyList<ComponentDora> ByComponent);

/// <summary>One component's five within a team report.</summary>
public sealed record ComponentDora(string Component, DoraFigures Figures);

/// <summary>Computes DORA metrics from the deployments table.</summary>
public sealed class DoraMetrics(DeploymentStore store, CatalogIndex index, TimeProvider time)
{
    /// <summary>How far before the window history is read: failures just before it and versions' first appearance.</summary>
    private static readonly TimeSpan Lookback = TimeSpan.FromDays(30);

    public async Task<DoraReport> ComputeAsync(string component, int days, CancellationToken ct, string? environment = null)
    {
        CheckDays(days);
        var to = time.GetUtcNow();
        var since = to.AddDays(-days);
        var all = await store.ListSinceAsync([component], since - Lookback, ct).ConfigureAwait(false);

        var firstSeen = all.GroupBy(d => d.Version, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Min(d => d.CreatedAt), StringComparer.Ordinal);
        var window = all.Where(d => d.CreatedAt >= since).OrderBy(d => d.CreatedAt).ToList();
        var succeeded = window.Where(d => d.Status == DeploymentStatuses.Succeeded).ToList();
        var failed = window.Where(d => d.Status is DeploymentStatuses.Failed or DeploymentStatuses.RolledBack).ToList();
        var finished = succeeded.Count + failed.Count;
        var lead = succeeded.Where(d => d.FinishedAt is not null).Select(d => (d.FinishedAt!.Value - firstSeen[d.Version]).TotalMinutes).ToList();
        var restore = failed.Select(f => window.FirstOrDefault(s => s.Environment == f.Environment && s.Status == DeploymentStatuses.Succeeded && s.CreatedAt > f.CreatedAt && s.FinishedAt is not null) is { } next
                ? (double?)(next.FinishedAt!.Value - (f.FinishedAt ?? f.UpdatedAt)).TotalMinutes
                : null)
            .OfType<double>().ToList();
        var classified = DoraCalculator.Classify(all, environment);
        return new DoraReport(
            component,
            days,
            window.Count,
            succeeded.Count,
            failed.Count,
            Math.Round(succeeded.Count / (double)days, 3),
            DoraCalculator.Median(lead),
            finished == 0 ? null : Math.Round(failed.Count / (double)finished, 3),
            DoraCalculator.Median(restore),
            succeeded.GroupBy(d => d.Environment, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            environment,
            since,
            to,
            DoraCalculator.Figures(classified, since, to),
            DoraCalculator.Trend(classified, since, to, DoraCalculator.BucketFor(days)));
    }

    /// <summary>The five for the components a group and its child groups own; 404 when the group is not in the catalog.</summary>
    public async Task<DoraScopeReport> ComputeTeamAsync(string groupRef, int days, string? environment, CancellationToken ct)
    {
        CheckDays(days);
        if (index.Get(groupRef) is not { Kind: "Group" })
        {
            throw ProblemException.NotFound($"No group named {groupRef} exists in the catalog.");
        }

        var components = Teams.Owned(index, groupRef, "component");
        var (from, to) = Window(days);
        var history = await store.ListSinceAsync(components, from - Lookback, ct).ConfigureAwait(false);
        var classified = DoraCalculator.Classify(history, environment);
        var byComponent = classified.GroupBy(c => c.Deployment.Component, StringComparer.Ordinal)
            .Select(g => new ComponentDora(g.Key, DoraCalculator.Figures([.. g], from, to)))
            .OrderBy(c => c.Component, StringComparer.Ordinal).ToList();
        return new DoraScopeReport(groupRef, days, environment, from, to, components.Count, DoraCalculator.Figures(classified, from, to),
            DoraCalculator.Trend(classified, from, to, DoraCalculator.BucketFor(days)), byComponent);
    }

    /// <summary>The five over every component's deployments (one filtered scan of the table).</summary>
    public async Task<DoraScopeReport> ComputeOrganisationAsync(int days, string? environment, CancellationToken ct)
    {
        CheckDays(days);
        var (from, to) = Window(days);
        var history = await store.ListSinceAsync(null, from - Lookback, ct).ConfigureAwait(false);
        var classified = DoraCalculator.Classify(history, environment);
        var components = classified.Select(c => c.Deployment.Component).Distinct(StringComparer.Ordinal).Count();
        return new DoraScopeReport("organisation", days, environment, from, to, components, DoraCalculator.Figures(classified, from, to),
            DoraCalculator.Trend(classified, from, to, DoraCalculator.BucketFor(days)), []);
    }

    private (DateTimeOffset From, DateTimeOffset To) Window(int days)
    {
        var to = time.GetUtcNow();
        return (to.AddDays(-days), to);
    }

    private static void CheckDays(int days)
    {
        if (days is < 1 or > 365)
        {
            throw ProblemException.Validation("days", "must be from 1 to 365");
        }
    }
}
