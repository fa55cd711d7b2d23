using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Insights;
using IdpServerless.Functions.Insights.Scorecards;
using IdpServerless.Storage;
using IdpServerless.Tests.Deployments;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static IdpServerless.Tests.Insights.InsightsFixtures;

namespace IdpServerless.Tests.Insights;

/// <summary>
/// Evaluation as things change, on a real deployments table in Azurite: a catalog change re-evaluates only what it
/// touched, a finished deployment only its component, history keeps trends and entity changes; ownership health and
/// team DORA from the same data.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ScorecardServiceTests(AzuriteFixture azurite) : IDisposable
{
    private readonly HttpClient _http = new();
    private readonly string _s = Guid.NewGuid().ToString("N")[..6];

    public void Dispose() => _http.Dispose();

    private string Ref(string name) => $"component:default/{name}-{_s}";

    private List<StoredEntity> Catalog() =>
    [
        Group("team-a", members: ["alice"]), Group("team-a-sub", parent: "team-a"), Group("team-b", members: ["bob"]), User("alice", "team-a"), User("bob", "team-b"),
        Component($"gold-{_s}", owner: "team-a-sub", annotations: """{"backstage.io/techdocs-ref":"dir:.","idp.dev/environments":"- name: dev\n- name: prod\n  strategy: canary"}""", extraSpec: "\"providesApis\":[\"gold-api\"]"),
        Component($"silver-{_s}", annotations: """{"backstage.io/techdocs-ref":"dir:.","idp.dev/environments":"dev,prod"}""", extraSpec: "\"providesApis\":[\"silver-api\"]"),
        Component($"bronze-{_s}", annotations: """{"backstage.io/techdocs-ref":"dir:."}"""),
        Component($"ghost-{_s}", owner: "ghost-team"),
        Component($"lonely-{_s}", owner: null),
        Component($"skipper-{_s}", annotations: """{"idp.dev/environments":"prod"}""", extraSpec: "\"providesApis\":[\"silver-api\"]"),
        Api("gold-api"), Api("silver-api"),
        Scorecard($"readiness-{_s}", ReadinessSpec),
    ];

    private (CatalogIndex Index, DeploymentStore Store, DeliveryHistoryCache Deliveries, ScorecardService Service, ManualTime Time) Start()
    {
        var storage = new StorageClient(azurite.Account, _http);
        var store = new DeploymentStore(storage, NullLogger<DeploymentStore>.Instance);
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var index = NewIndex();
        index.Apply(Catalog(), []);
        index.MarkReady();
        var deliveries = new DeliveryHistoryCache(store, time);
        return (index, store, deliveries, new ScorecardService(index, deliveries, Options.Create(new DeploymentOptions()), time), time);
    }

    [Fact]
    public async Task A_change_re_evaluates_only_what_it_touches_and_history_keeps_the_trend()
    {
        var (index, store, _, service, time) = Start();
        using var _ = service;
        var card = $"scorecard:default/readiness-{_s}";
        var ct = CancellationToken.None;

        var first = (await service.ListAsync(ct)).Single(c => c.Ref == card);
        Assert.Equal(6, first.Summary.Entities);
        Assert.Equal([1, 2, 0], first.Summary.Levels.Select(l => l.Entities)); // bronze; silver and gold (not deployed yet); none reach gold
        Assert.Equal(3, first.Summary.NoLevel);
        Assert.Equal(6, service.Evaluations);

        var history = new ScorecardHistoryStore(new StorageClient(azurite.Account, _http));
        var hour1 = time.GetUtcNow();
        Assert.Equal(6, await history.RecordAsync(await service.SnapshotAsync(ct), hour1, ct));

        // The skipper adds docs: only it is evaluated again, and it reaches Silver.
        index.Apply([Component($"skipper-{_s}", annotations: """{"backstage.io/techdocs-ref":"dir:.","idp.dev/environments":"prod"}""", extraSpec: "\"providesApis\":[\"silver-api\"]")], []);
        Assert.Equal(1, await service.CatchUpAsync(ct));
        Assert.Equal("Silver", (await service.ForEntityAsync(Ref("skipper"), ct)).Single().Result.Level);

        // A production deployment finishes on this instance: its component's delivery rules pass, and it is Gold.
        await store.SaveAsync(Deployment(Ref("gold"), "prod", "1.0.0", DeploymentStatuses.Succeeded, time.GetUtcNow().AddMinutes(-20), TimeSpan.FromMinutes(10)), ct);
        Assert.Equal(1, await service.CatchUpAsync(ct));
        var gold = (await service.ForEntityAsync(Ref("gold"), ct)).Single().Result;
        Assert.Equal(("Gold", 100.0), (gold.Level, gold.Score));

        // The team owning gold leaves the catalog: gold (which points at it) is evaluated again and loses its owner.
        index.Apply([], ["group:default/team-a-sub"]);
        Assert.Equal(1, await service.CatchUpAsync(ct));
        gold = (await service.ForEntityAsync(Ref("gold"), ct)).Single().Result;
        Assert.Null(gold.Level);
        Assert.Equal("owner group:default/team-a-sub is not a group or user in the catalog", gold.Outcomes[0].Detail);

        // An hour later the snapshot records the changed entities only, and the trend shows both hours.
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(2, await history.RecordAsync(await service.SnapshotAsync(ct), time.GetUtcNow(), ct));
        var trend = await history.TrendAsync(card, ScorecardHistoryStore.Organisation, hour1.AddDays(-1), ct);
        Assert.Equal(2, trend.Count);
        Assert.Equal([[1, 2, 0], [1, 2, 0]], trend.Select(p => p.Levels.Select(l => l.Entities).ToArray()));
        Assert.Equal([3, 3], trend.Select(p => p.NoLevel));
        Assert.True(trend[1].AverageScore > trend[0].AverageScore, $"{trend[0].AverageScore} -> {trend[1].AverageScore}");
        var teamTrend = await history.TrendAsync(card, "group:default/team-a", hour1.AddDays(-1), ct);
        Assert.Equal([4, 3], teamTrend.Select(p => p.Entities)); // silver, bronze, skipper, and team-a-sub's gold until its group left
        var changes = await history.EntityHistoryAsync(card, Ref("skipper"), ct);
        Assert.Equal(["Silver", null], changes.Select(c => c.Level));

        // Changing the scorecard re-evaluates it alone, over every entity it now applies to.
        var before = service.Evaluations;
        index.Apply([Scorecard($"readiness-{_s}", ReadinessSpec.Replace("\"kind\": \"component\"", "\"kind\": [\"component\", \"api\"]", StringComparison.Ordinal))], []);
        await service.CatchUpAsync(ct);
        Assert.Equal(8, service.Evaluations - before);
        Assert.Equal(8, (await service.GetAsync(card, ct)).Scorecard.Summary.Entities);
    }

    [Fact]
    public async Task Ownership_health_and_team_dora_read_the_same_catalog_and_deployments()
    {
        var (index, store, deliveries, service, time) = Start();
        using var _ = service;
        var ct = CancellationToken.None;
        await store.SaveAsync(Deployment(Ref("silver"), "prod", "2.0.0", DeploymentStatuses.Succeeded, time.GetUtcNow().AddHours(-2), TimeSpan.FromMinutes(10)), ct);
        await store.SaveAsync(Deployment(Ref("gold"), "prod", "3.0.0", DeploymentStatuses.Failed, time.GetUtcNow().AddHours(-1), TimeSpan.FromMinutes(10)), ct);

        var health = new OwnershipHealth(index, deliveries, time);
        var report = await health.ReportAsync(null, null, null, 90, ct);
        Assert.Equal([Ref("lonely")], report.Items.Where(i => i.Problem == OwnershipProblems.NoOwner).Select(i => i.Entity));
        Assert.Equal([Ref("ghost")], report.Items.Where(i => i.Problem == OwnershipProblems.UnknownOwner).Select(i => i.Entity));
        Assert.Equal(["group:default/team-a-sub"], report.Items.Where(i => i.Problem == OwnershipProblems.EmptyGroup).Select(i => i.Entity));
        Assert.DoesNotContain(report.Items, i => i.Problem == OwnershipProblems.InactiveOwner && i.Entity.EndsWith(_s, StringComparison.Ordinal));

        // A month on, team-a's deployments are outside a 30-day window: each of its components is flagged.
        time.Advance(TimeSpan.FromDays(40));
        deliveries.Invalidate();
        var later = await health.ReportAsync(OwnershipProblems.InactiveOwner, "component", "team-a", 30, ct);
        Assert.Equal([Ref("bronze"), Ref("gold"), Ref("silver"), Ref("skipper")], later.Items.Select(i => i.Entity));
        Assert.Equal(4, later.Counts[OwnershipProblems.InactiveOwner]);
        await Assert.ThrowsAsync<IdpServerless.Hosting.Problems.ProblemException>(() => health.ReportAsync("nonsense", null, null, 30, ct));

        var dora = new DoraMetrics(store, index, time);
        var team = await dora.ComputeTeamAsync("group:default/team-a", 90, null, ct);
        Assert.Equal((2, 1, 0.5), (team.Figures.Deployments, team.Figures.FailedDeployments, team.Figures.ChangeFailRate!.Value));
        Assert.Equal([Ref("gold"), Ref("silver")], team.ByComponent.Select(c => c.Component));
        var sub = await dora.ComputeTeamAsync("group:default/team-a-sub", 90, null, ct);
        Assert.Equal(1, sub.Figures.Deployments);
        var other = await dora.ComputeTeamAsync("group:default/team-b", 90, null, ct);
        Assert.Equal(0, other.Figures.Deployments);
        Assert.Null(other.Figures.ChangeFailRate);
        var missing = await Assert.ThrowsAsync<IdpServerless.Hosting.Problems.ProblemException>(() => dora.ComputeTeamAsync("group:default/nobody", 30, null, ct));
        Assert.Equal(404, missing.Status);
    }
}
