namespace IdpServerless.Functions.Deployments;

/// <summary>DORA's four keys over a period, from our own deployment history.</summary>
/// <param name="DeploymentFrequencyPerDay">Successful deployments per day (all environments).</param>
/// <param name="LeadTimeMinutes">Median time from a version's first deployment request (its first appearance) to it succeeding in an environment; null without data.</param>
/// <param name="ChangeFailureRate">Failed or rolled-back deployments over finished ones (aborted and rejected ones excluded).</param>
/// <param name="TimeToRestoreMinutes">Median time from a failed deployment to the next success in the same environment.</param>
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
    IReadOnlyDictionary<string, int> SucceededByEnvironment);

/// <summary>Computes DORA metrics from the deployments table.</summary>
public sealed class DoraMetrics(DeploymentStore store, TimeProvider time)
{
    public async Task<DoraReport> ComputeAsync(string component, int days, CancellationToken ct)
    {
        if (days is < 1 or > 365)
        {
            throw Hosting.Problems.ProblemException.Validation("days", "must be from 1 to 365");
        }

        var since = time.GetUtcNow().AddDays(-days);
        var all = new List<DeploymentRecord>();
        string? cursor = null;
        do
        {
            var (items, next) = await store.ListAsync(component, null, null, 500, cursor, ct).ConfigureAwait(false);
            all.AddRange(items);
            cursor = items.Count > 0 && items[^1].CreatedAt < since ? null : next;
        }
        while (cursor is not null && all.Count < 5000);

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
        return new DoraReport(
            component,
            days,
            window.Count,
            succeeded.Count,
            failed.Count,
            Math.Round(succeeded.Count / (double)days, 3),
            Median(lead),
            finished == 0 ? null : Math.Round(failed.Count / (double)finished, 3),
            Median(restore),
            succeeded.GroupBy(d => d.Environment, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));
    }

    private static double? Median(List<double> values)
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
