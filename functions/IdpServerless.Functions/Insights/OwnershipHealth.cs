using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Insights;

/// <summary>The ownership problems the health report lists.</summary>
public static class OwnershipProblems
{
    /// <summary>A kind that has an owner (component, API, resource, system, domain, template) declares none.</summary>
    public const string NoOwner = "noOwner";

    /// <summary>spec.owner names a group or user the catalog does not hold.</summary>
    public const string UnknownOwner = "unknownOwner";

    /// <summary>The entity's location no longer provides it (backstage.io/orphan).</summary>
    public const string Orphaned = "orphaned";

    /// <summary>A group with no members, in it or in any child group.</summary>
    public const string EmptyGroup = "emptyGroup";

    /// <summary>A component whose owning team has not deployed (successfully or not) any of its components in the window.</summary>
    public const string InactiveOwner = "inactiveOwner";

    public static IReadOnlyList<string> All { get; } = [NoOwner, UnknownOwner, Orphaned, EmptyGroup, InactiveOwner];
}

/// <summary>One problem of one entity.</summary>
public sealed record OwnershipIssue(string Problem, string Entity, string Kind, string? Title, string? Owner, string Detail);

/// <summary>The report: counts per problem over the whole catalog (after the kind/owner filters), and the issues asked for.</summary>
public sealed record OwnershipReport(IReadOnlyDictionary<string, int> Counts, IReadOnlyList<OwnershipIssue> Items, int Total, int InactiveDays);

/// <summary>Ownership health computed from the catalog index and the delivery history, on request.</summary>
public sealed class OwnershipHealth(CatalogIndex index, DeliveryHistoryCache deliveries, TimeProvider time)
{
    private static readonly HashSet<string> OwnedKinds = ["Component", "API", "Resource", "System", "Domain", "Template"];

    /// <summary>
    /// Every issue, optionally of one <paramref name="problem"/>, one <paramref name="kind"/> and one owner
    /// (<paramref name="owner"/>: entities owned by the group or its child groups, or the group itself for emptyGroup).
    /// </summary>
    public async Task<OwnershipReport> ReportAsync(string? problem, string? kind, string? owner, int inactiveDays, CancellationToken ct)
    {
        if (problem is not null && !OwnershipProblems.All.Contains(problem, StringComparer.Ordinal))
        {
            throw ProblemException.Validation("problem", $"must be one of {string.Join(", ", OwnershipProblems.All)}");
        }

        if (inactiveDays is < 1 or > 365)
        {
            throw ProblemException.Validation("inactiveDays", "must be from 1 to 365");
        }

        await index.EnsureReadyAsync(time, ct).ConfigureAwait(false);
        await deliveries.EnsureFreshAsync(ct).ConfigureAwait(false);
        HashSet<string>? scope = null;
        if (owner is not null)
        {
            var ownerRef = EntityRef.TryParse(owner, "Group", EntityRef.DefaultNamespace, out var parsed) ? parsed.ToString() : owner;
            if (index.Get(ownerRef) is not { Kind: "Group" })
            {
                throw ProblemException.NotFound($"No group named {ownerRef} exists in the catalog.");
            }

            scope = [.. Teams.Owned(index, ownerRef), .. Teams.WithDescendants(index, ownerRef)];
        }

        var issues = new List<OwnershipIssue>();
        var since = time.GetUtcNow().AddDays(-inactiveDays);
        var activeTeams = ActiveTeams(since);
        foreach (var e in index.Where(e => (kind is null || e.Kind.Equals(kind, StringComparison.OrdinalIgnoreCase)) && (scope is null || scope.Contains(e.RefKey))))
        {
            var owners = e.Declared.Where(d => d.Type == RelationTypes.OwnedBy).Select(d => d.TargetRef).ToList();
            if (OwnedKinds.Contains(e.Kind))
            {
                if (owners.Count == 0)
                {
                    issues.Add(Issue(OwnershipProblems.NoOwner, e, null, "declares no spec.owner"));
                }

                foreach (var o in owners.Where(o => index.Get(o) is not { Kind: "Group" or "User" }))
                {
                    issues.Add(Issue(OwnershipProblems.UnknownOwner, e, o, $"owner {o} is not a group or user in the catalog"));
                }
            }

            if (e.IsOrphan)
            {
                issues.Add(Issue(OwnershipProblems.Orphaned, e, owners.FirstOrDefault(), $"its location {e.Stored.LocationId ?? "(none)"} no longer provides it"));
            }

            if (e.Kind == "Group" && !Teams.WithDescendants(index, e.RefKey).Any(g => index.Get(g)?.Relations.Any(r => r.Type == RelationTypes.HasMember) == true))
            {
                issues.Add(Issue(OwnershipProblems.EmptyGroup, e, null, "has no members, nor has any child group"));
            }

            if (e.Kind == "Component" && owners.Count > 0 && owners.All(o => index.Get(o) is { Kind: "Group" }) && !owners.Any(activeTeams.Contains))
            {
                issues.Add(Issue(OwnershipProblems.InactiveOwner, e, owners[0], $"{string.Join(", ", owners)} deployed none of its components in {inactiveDays} days"));
            }
        }

        var counts = OwnershipProblems.All.ToDictionary(p => p, p => issues.Count(i => i.Problem == p), StringComparer.Ordinal);
        var items = (problem is null ? issues : issues.Where(i => i.Problem == problem))
            .OrderBy(i => i.Problem, StringComparer.Ordinal).ThenBy(i => i.Entity, StringComparer.Ordinal).ToList();
        return new OwnershipReport(counts, items, items.Count, inactiveDays);
    }

    /// <summary>Groups (with every group above them) owning a component with any deployment (successful or not) since <paramref name="since"/>.</summary>
    private HashSet<string> ActiveTeams(DateTimeOffset since)
    {
        var active = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in deliveries.Components)
        {
            if (deliveries.For(component).Any(d => d.CreatedAt >= since) && index.Get(component) is { } record)
            {
                active.UnionWith(Teams.Above(index, record));
            }
        }

        return active;
    }

    private static OwnershipIssue Issue(string problem, EntityRecord e, string? owner, string detail) => new(problem, e.RefKey, e.Kind, e.Title, owner ?? e.Owner, detail);
}
