namespace IdpServerless.Functions.Deployments;

/// <summary>
/// DORA's five metrics (dora.dev, 2026) over one window of production deployments. Definitions, precisely, in
/// docs/deployments.md ("DORA metrics"): a deployment is a finished Succeeded, Failed or RolledBack release to a
/// production environment (aborted and rejected ones changed nothing and are not counted).
/// </summary>
/// <param name="Deployments">Production deployments in the window.</param>
/// <param name="Succeeded">Of those, the ones that succeeded.</param>
/// <param name="DeploymentsPerDay">Deployment frequency: successful production deployments per day of the window.</param>
/// <param name="ChangeLeadTimeMinutes">Median time from commit (the version's commit time, else its first deployment request) to running in production; rollbacks excluded.</param>
/// <param name="LeadTimeSamples">Deployments the lead time is the median of.</param>
/// <param name="FailedDeployments">Deployments that failed: Failed, RolledBack, or succeeded and were rolled back within the rework window.</param>
/// <param name="ChangeFailRate">FailedDeployments over Deployments.</param>
/// <param name="FailedDeploymentRecoveryTimeMinutes">Median time from a failure being known to the next successful deployment in that environment.</param>
/// <param name="ReworkDeployments">Unplanned deployments made to fix a failure: rollbacks, hotfixes, and deployments within the rework window after a failed one.</param>
/// <param name="DeploymentReworkRate">ReworkDeployments over Deployments.</param>
public sealed record DoraFigures(
    int Deployments,
    int Succeeded,
    double DeploymentsPerDay,
    double? ChangeLeadTimeMinutes,
    int LeadTimeSamples,
    int FailedDeployments,
    double? ChangeFailRate,
    double? FailedDeploymentRecoveryTimeMinutes,
    int ReworkDeployments,
    double? DeploymentReworkRate);

/// <summary>The figures of one sub-window of the trend.</summary>
public sealed record DoraBucket(DateTimeOffset From, DateTimeOffset To, DoraFigures Figures);

/// <summary>How each production deployment was classified (for tests and for explaining a figure).</summary>
public sealed record DoraClassification(DeploymentRecord Deployment, bool Failed, bool Rework, DateTimeOffset? FailureKnownAt, double? LeadTimeMinutes, double? RecoveryMinutes);

/// <summary>Pure DORA arithmetic over deployment records; <see cref="DoraMetrics"/> feeds it from storage.</summary>
public static class DoraCalculator
{
    /// <summary>How soon after a deployment a rollback marks it failed, and a deployment after a failure counts as rework.</summary>
    public static readonly TimeSpan ReworkWindow = TimeSpan.FromHours(24);

    /// <summary>True for <c>prod</c>, <c>production</c> and names starting with <c>prod-</c> (e.g. <c>prod-eu</c>).</summary>
    public static bool IsProduction(string environment)
    {
        var e = environment.Trim();
        return e.Equals("prod", StringComparison.OrdinalIgnoreCase) || e.Equals("production", StringComparison.OrdinalIgnoreCase) ||
               e.StartsWith("prod-", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Classifies every finished deployment to a matching environment (<paramref name="environment"/>, or production
    /// when null) in <paramref name="history"/>, which may reach before the window (a failure just before it still
    /// makes the first deployment inside it rework, and versions' first appearance comes from all environments).
    /// </summary>
    public static List<DoraClassification> Classify(IEnumerable<DeploymentRecord> history, string? environment)
    {
        var all = history.ToList();
        var commitTimes = new Dictionary<(string, string), DateTimeOffset>();
        foreach (var d in all)
        {
            var start = d.CommittedAt ?? d.CreatedAt;
            var key = (d.Component, d.Version);
            if (!commitTimes.TryGetValue(key, out var known) || start < known)
            {
                commitTimes[key] = start;
            }
        }

        var result = new List<DoraClassification>();
        var streams = all
            .Where(d => (environment is null ? IsProduction(d.Environment) : string.Equals(d.Environment, environment, StringComparison.OrdinalIgnoreCase))
                        && d.Status is DeploymentStatuses.Succeeded or DeploymentStatuses.Failed or DeploymentStatuses.RolledBack)
            .GroupBy(d => (d.Component, d.Environment));
        foreach (var stream in streams)
        {
            var list = stream.OrderBy(d => d.CreatedAt).ThenBy(d => d.Id, StringComparer.Ordinal).ToList();
            var failedAt = new DateTimeOffset?[list.Count];
            for (var i = 0; i < list.Count; i++)
            {
                var d = list[i];
                if (d.Status != DeploymentStatuses.Succeeded)
                {
                    failedAt[i] = End(d);
                }
                else if (i + 1 < list.Count && list[i + 1] is { Kind: DeploymentKinds.Rollback } next && next.CreatedAt - End(d) <= ReworkWindow)
                {
                    failedAt[i] = next.CreatedAt;
                }
            }

            for (var i = 0; i < list.Count; i++)
            {
                var d = list[i];
                var rework = d.Kind == DeploymentKinds.Rollback || IsHotfix(d)
                             || (i > 0 && failedAt[i - 1] is { } previousFailure && d.CreatedAt - previousFailure <= ReworkWindow);
                double? lead = d.Status == DeploymentStatuses.Succeeded && d.Kind != DeploymentKinds.Rollback
                    ? Math.Max(0, (End(d) - commitTimes[(d.Component, d.Version)]).TotalMinutes)
                    : null;
                double? recovery = null;
                if (failedAt[i] is { } known)
                {
                    for (var j = i + 1; j < list.Count; j++)
                    {
                        if (list[j].Status == DeploymentStatuses.Succeeded && failedAt[j] is null && End(list[j]) >= known)
                        {
                            recovery = (End(list[j]) - known).TotalMinutes;
                            break;
                        }
                    }
                }

                result.Add(new DoraClassification(d, failedAt[i] is not null, rework, failedAt[i], lead, recovery));
            }
        }

        return result;
    }

    /// <summary>The five figures of the classified deployments created in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static DoraFigures Figures(IReadOnlyList<DoraClassification> classified, DateTimeOffset from, DateTimeOffset to)
    {
        var inWindow = classified.Where(c => c.Deployment.CreatedAt >= from && c.Deployment.CreatedAt < to).ToList();
        var count = inWindow.Count;
        var succeeded = inWindow.Count(c => c.Deployment.Status == DeploymentStatuses.Succeeded);
        var failed = inWindow.Count(c => c.Failed);
        var rework = inWindow.Count(c => c.Rework);
        var lead = inWindow.Where(c => c.LeadTimeMinutes is not null).Select(c => c.LeadTimeMinutes!.Value).ToList();
        var recovery = inWindow.Where(c => c.RecoveryMinutes is not null).Select(c => c.RecoveryMinutes!.Value).ToList();
        var days = Math.Max((to - from).TotalDays, 1.0 / 24);
        return new DoraFigures(
            count,
            succeeded,
            Math.Round(succeeded / days, 3),
            Median(lead),
            lead.Count,
            failed,
            count == 0 ? null : Math.Round(failed / (double)count, 3),
            Median(recovery),
            rework,
            count == 0 ? null : Math.Round(rework / (double)count, 3));
    }

    /// <summary>The same figures for consecutive sub-windows of <paramref name="bucket"/> (the last one may be shorter), oldest first.</summary>
    public static List<DoraBucket> Trend(IReadOnlyList<DoraClassification> classified, DateTimeOffset from, DateTimeOffset to, TimeSpan bucket)
    {
        var buckets = new List<DoraBucket>();
        for (var start = from; start < to; start += bucket)
        {
            var end = start + bucket < to ? start + bucket : to;
            buckets.Add(new DoraBucket(start, end, Figures(classified, start, end)));
        }

        return buckets;
    }

    /// <summary>The sub-window a trend over <paramref name="days"/> uses: a day up to two weeks, a week up to six months, else 30 days.</summary>
    public static TimeSpan BucketFor(int days) => TimeSpan.FromDays(days <= 14 ? 1 : days <= 180 ? 7 : 30);

    private static bool IsHotfix(DeploymentRecord d) =>
        (d.Reason?.Contains("hotfix", StringComparison.OrdinalIgnoreCase) ?? false) || d.Version.Contains("hotfix", StringComparison.OrdinalIgnoreCase);

    private static DateTimeOffset End(DeploymentRecord d) => d.FinishedAt ?? d.UpdatedAt;

    internal static double? Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        var mid = values.Count / 2;
        return Math.Round(values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2, 2);
    }
}
