using System.Globalization;
using System.Text;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Identity.Access;
using IdpServerless.Functions.Insights.Scorecards;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Insights;

/// <summary>A page of a scorecard's entity results; <c>hidden</c> counts results on the page the caller may not read.</summary>
public sealed record ScorecardEntitiesBody(IReadOnlyList<EntityScore> Items, int Total, int Offset, int Limit, int Hidden);

/// <summary>A scope's trend on one scorecard.</summary>
public sealed record ScorecardTrendBody(string Scorecard, string Scope, int Days, IReadOnlyList<ScorecardTrendPoint> Points);

/// <summary>An entity's result on one scorecard and its recorded changes.</summary>
public sealed record EntityCardBody(string Scorecard, string Title, IReadOnlyList<ScorecardLevel> Levels, EntityScore Result, IReadOnlyList<EntityScoreChange> History);

/// <summary>A team's summary of one scorecard and its trend.</summary>
public sealed record TeamCardBody(ScorecardInfo Scorecard, IReadOnlyList<ScorecardTrendPoint> Trend);

/// <summary>HTTP functions of insights: scorecards, DORA for teams and the organisation, ownership health.</summary>
public static class InsightsApi
{
    private const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapInsightsApi(this IEndpointRouteBuilder app)
    {
        var insights = app.MapGroup("/api/insights").WithTags("Insights");

        insights.MapGet("/scorecards", async (ScorecardService scorecards, CancellationToken ct) => Results.Ok(await scorecards.ListAsync(ct)))
            .WithName("ListScorecards").RequirePermission(Permissions.CatalogRead);

        insights.MapGet("/scorecards/{namespace}/{name}", async (string @namespace, string name, ScorecardService scorecards, CancellationToken ct) =>
                Results.Ok(await scorecards.GetAsync(ScorecardRef(@namespace, name), ct)))
            .WithName("GetScorecard").RequirePermission(Permissions.CatalogRead);

        insights.MapGet("/scorecards/{namespace}/{name}/entities", async (string @namespace, string name, string? team, string? level, string? failing, int? offset, int? limit, HttpContext http, ScorecardService scorecards, IAccessPolicy policy, CancellationToken ct) =>
        {
            var (o, l) = Page(offset, limit);
            var (items, total) = await scorecards.ListEntitiesAsync(ScorecardRef(@namespace, name), team is null ? null : GroupRef(team, "team"), level, failing, o, l, ct);
            var visible = new List<EntityScore>(items.Count);
            foreach (var item in items)
            {
                if ((await policy.DecideAsync(http.GetCaller(), Permissions.CatalogRead, new AccessResource(item.Entity), ct)).Allowed)
                {
                    visible.Add(item);
                }
            }

            return Results.Ok(new ScorecardEntitiesBody(visible, total, o, l, items.Count - visible.Count));
        }).WithName("ListScorecardEntities").RequirePermission(Permissions.CatalogRead);

        insights.MapGet("/scorecards/{namespace}/{name}/history", async (string @namespace, string name, string? scope, int? days, ScorecardService scorecards, ScorecardHistoryStore history, TimeProvider time, CancellationToken ct) =>
        {
            var card = ScorecardRef(@namespace, name);
            var d = Days(days, 90);
            var s = scope is null or ScorecardHistoryStore.Organisation ? ScorecardHistoryStore.Organisation : GroupRef(scope, "scope");
            _ = await scorecards.GetAsync(card, ct);
            return Results.Ok(new ScorecardTrendBody(card, s, d, await history.TrendAsync(card, s, time.GetUtcNow().AddDays(-d), ct)));
        }).WithName("GetScorecardHistory").RequirePermission(Permissions.CatalogRead);

        insights.MapGet("/entities/{kind}/{namespace}/{name}/scorecards", async (string kind, string @namespace, string name, ScorecardService scorecards, ScorecardHistoryStore history, CancellationToken ct) =>
        {
            var entity = EntityRef.TryParse($"{kind}:{@namespace}/{name}", null, null, out var parsed) ? parsed.ToString() : throw ProblemException.Validation("name", "is not a valid entity name");
            var cards = await scorecards.ForEntityAsync(entity, ct);
            var bodies = new List<EntityCardBody>(cards.Count);
            foreach (var c in cards)
            {
                bodies.Add(new EntityCardBody(c.Scorecard, c.Title, c.Levels, c.Result, await history.EntityHistoryAsync(c.Scorecard, entity, ct)));
            }

            return Results.Ok(bodies);
        }).WithName("GetEntityScorecards").RequirePermission(Permissions.CatalogRead, resourceFromRoute: true);

        insights.MapGet("/teams/{namespace}/{name}/scorecards", async (string @namespace, string name, int? days, ScorecardService scorecards, ScorecardHistoryStore history, TimeProvider time, CancellationToken ct) =>
        {
            var team = GroupRef($"{@namespace}/{name}", "name");
            var d = Days(days, 90);
            var bodies = new List<TeamCardBody>();
            foreach (var info in await scorecards.ForTeamAsync(team, ct))
            {
                bodies.Add(new TeamCardBody(info, await history.TrendAsync(info.Ref, team, time.GetUtcNow().AddDays(-d), ct)));
            }

            return Results.Ok(bodies);
        }).WithName("GetTeamScorecards").RequirePermission(Permissions.CatalogRead);

        insights.MapGet("/dora/organisation", async (int? days, string? environment, DoraMetrics dora, CancellationToken ct) =>
                Results.Ok(await dora.ComputeOrganisationAsync(days ?? 30, Blank(environment), ct)))
            .WithName("GetOrganisationDora").RequirePermission(Permissions.MetricsRead);

        insights.MapGet("/dora/teams/{namespace}/{name}", async (string @namespace, string name, int? days, string? environment, HttpContext http, DoraMetrics dora, CatalogIndex index, IAccessPolicy policy, CancellationToken ct) =>
        {
            var team = GroupRef($"{@namespace}/{name}", "name");
            await EnsureTeamAllowedAsync(http, policy, index, team, ct);
            return Results.Ok(await dora.ComputeTeamAsync(team, days ?? 30, Blank(environment), ct));
        }).WithName("GetTeamDora").RequirePermission(Permissions.MetricsRead);

        insights.MapGet("/ownership", async (string? problem, string? kind, string? owner, int? inactiveDays, string? format, int? offset, int? limit, HttpContext http, OwnershipHealth health, CancellationToken ct) =>
        {
            if (format is not (null or "json" or "csv"))
            {
                throw ProblemException.Validation("format", "must be json or csv");
            }

            var report = await health.ReportAsync(Blank(problem), Blank(kind), Blank(owner), inactiveDays ?? 90, ct);
            if (format == "csv")
            {
                http.Response.Headers.ContentDisposition = "attachment; filename=\"ownership-health.csv\"";
                return Results.Text(Csv(report.Items), "text/csv; charset=utf-8", Encoding.UTF8);
            }

            var (o, l) = Page(offset, limit);
            return Results.Ok(report with { Items = report.Items.Skip(o).Take(l).ToList() });
        }).WithName("GetOwnershipHealth").RequirePermission(Permissions.CatalogRead);

        return app;
    }

    /// <summary>
    /// Delivery figures of a team are for the team: metrics.read on the group itself or on a group above it (a parent
    /// team's members see their child teams, whose figures their own include). A denial names the group asked for.
    /// </summary>
    private static async Task EnsureTeamAllowedAsync(HttpContext http, IAccessPolicy policy, CatalogIndex index, string team, CancellationToken ct)
    {
        // Groups are catalog data every caller may read, so an unknown one is 404 whoever asks.
        await index.EnsureReadyAsync(http.RequestServices.GetRequiredService<TimeProvider>(), ct);
        if (index.Get(team) is not { Kind: "Group" })
        {
            throw ProblemException.NotFound($"No group named {team} exists in the catalog.");
        }

        var caller = http.GetCaller();
        foreach (var group in Catalog.Teams.WithAncestors(index, team).Skip(1))
        {
            if ((await policy.DecideAsync(caller, Permissions.MetricsRead, new AccessResource(group), ct)).Allowed)
            {
                return;
            }
        }

        await http.EnsureAllowedAsync(Permissions.MetricsRead, new AccessResource(team));
    }

    private static string ScorecardRef(string ns, string name) =>
        EntityRef.TryParse($"scorecard:{ns}/{name}", null, null, out var parsed) ? parsed.ToString() : throw ProblemException.Validation("name", "is not a valid scorecard name");

    private static string GroupRef(string text, string field) =>
        EntityRef.TryParse(text, "Group", EntityRef.DefaultNamespace, out var parsed) && parsed.Kind.Equals("group", StringComparison.OrdinalIgnoreCase)
            ? parsed.ToString()
            : throw ProblemException.Validation(field, "must be a group reference such as group:default/payments or payments");

    private static (int Offset, int Limit) Page(int? offset, int? limit)
    {
        if (offset is < 0)
        {
            throw ProblemException.Validation("offset", "must be 0 or more");
        }

        if (limit is < 1 or > MaxLimit)
        {
            throw ProblemException.Validation("limit", $"must be from 1 to {MaxLimit}");
        }

        return (offset ?? 0, limit ?? 100);
    }

    private static int Days(int? days, int fallback) =>
        days is null ? fallback : days is >= 1 and <= 365 ? days.Value : throw ProblemException.Validation("days", "must be from 1 to 365");

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>RFC 4180 CSV; cells starting with = + - @ are prefixed with ' so spreadsheets do not run them as formulas.</summary>
    internal static string Csv(IEnumerable<OwnershipIssue> items)
    {
        var sb = new StringBuilder("problem,entity,kind,title,owner,detail\r\n");
        foreach (var i in items)
        {
            sb.Append(Cell(i.Problem)).Append(',').Append(Cell(i.Entity)).Append(',').Append(Cell(i.Kind)).Append(',')
                .Append(Cell(i.Title)).Append(',').Append(Cell(i.Owner)).Append(',').Append(Cell(i.Detail)).Append("\r\n");
        }

        return sb.ToString();
    }

    private static string Cell(string? value)
    {
        var v = value ?? string.Empty;
        if (v.Length > 0 && v[0] is '=' or '+' or '-' or '@')
        {
            v = "'" + v;
        }

        return v.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;
    }
}
