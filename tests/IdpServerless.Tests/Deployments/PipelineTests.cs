using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Functions.Clusters.Simulated;
using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.Promotion;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Problems;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Deployments;

/// <summary>
/// Promotion pipelines on Azurite with the real durable engine: auto-promotion after verification, freeze windows,
/// failed verification, N distinct approvals, and pins after a manual rollback.
/// </summary>
[Collection(AzuriteRecoveryCollection.Name)]
public class PipelineTests(AzuriteFixture azurite)
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static async Task<PromotionRecord> PromotionAsync(DeploymentHarness h, string name, string id, Func<PromotionRecord, bool> condition, string what, int seconds = 60)
    {
        var store = h.Services.GetRequiredService<PromotionStore>();
        PromotionRecord? last = null;
        try
        {
            return await Eventually.ValueAsync(async () => (last = await store.GetAsync($"component:default/{name}", id, CancellationToken.None)) is { } p && condition(p) ? p : null,
                TimeSpan.FromSeconds(seconds), $"promotion {id} {what}", TimeSpan.FromMilliseconds(100));
        }
        catch (TimeoutException e) when (last is not null)
        {
            // Where the engine has the promotion and its deployments: a record left at its first state says whether the
            // orchestration never ran, failed, or waits.
            var instance = await h.Services.GetRequiredService<OrchestrationInstances>().Client.GetInstanceAsync(id, true, CancellationToken.None);
            var engine = instance is null ? "no instance" : $"{instance.RuntimeStatus} (updated {instance.LastUpdatedAt:HH:mm:ss.fff}) {instance.SerializedCustomStatus} {instance.SerializedOutput}";
            var (runs, _) = await h.Services.GetRequiredService<DeploymentStore>().ListAsync($"component:default/{name}", last.To, null, 20, null, CancellationToken.None);
            var deployments = string.Join("; ", runs.Select(r => $"{r.Id} {r.Status}: {r.Message}"));
            throw new TimeoutException($"{e.Message} Last seen {last.Status}: {last.Message}. Engine: {engine}. Deployments to {last.To}: {(deployments.Length == 0 ? "none" : deployments)}", e);
        }
    }

    private static Task<PromotionRecord> PromotedAsync(DeploymentHarness h, string name, string sourceDeploymentId, string stage, int seconds = 60) =>
        PromotionAsync(h, name, PromotionStore.IdFor(sourceDeploymentId, stage), p => p.Status == PromotionStatuses.Promoted ||
            (PromotionStatuses.IsFinished(p.Status) ? throw new InvalidOperationException($"promotion ended {p.Status}: {p.Message}") : false), $"to promote to {stage}", seconds);

    private static async Task<DeploymentRecord> DeployedAsync(DeploymentHarness h, string name, string environment, string version)
    {
        var accepted = await h.DeployAsync(name, environment, version);
        return await h.WaitForStatusAsync(accepted.DeploymentId, DeploymentStatuses.Succeeded);
    }

    private static async Task<JsonElement> StageAsync(HttpClient http, string name, string stage)
    {
        using var r = await http.GetAsync($"/api/components/default/{name}/pipeline");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        return body.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("name").GetString() == stage);
    }

    private static async Task<string?> CurrentAsync(DeploymentHarness h, string name, string environment) =>
        (await h.Services.GetRequiredService<DeploymentStore>().GetEnvironmentsAsync($"component:default/{name}", CancellationToken.None))
        .FirstOrDefault(e => e.Environment == environment)?.CurrentVersion;

    [Fact]
    public async Task A_verified_version_walks_dev_staging_prod_by_itself_and_waits_out_a_freeze_of_prod()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("pipe");
        var freezeEnd = DateTimeOffset.UtcNow.AddSeconds(30);
        h.Components.Add(name, $$"""
            - name: dev
            - name: staging
              promotion: {auto: true, soak: 2s}
            - name: prod
              promotion: {auto: true, from: staging}
              freeze: [{from: "{{Time(DateTimeOffset.UtcNow.AddMinutes(-1))}}", to: "{{Time(freezeEnd)}}", reason: release freeze}]
            """);
        var http = await h.SignInAsync("jane");

        var dev = await DeployedAsync(h, name, "dev", "1.0.0");
        var toStaging = await PromotedAsync(h, name, dev.Id, "staging");
        var staging = await h.WaitForStatusAsync(toStaging.DeploymentId!, DeploymentStatuses.Succeeded);
        var frozen = await PromotionAsync(h, name, PromotionStore.IdFor(staging.Id, "prod"), p => p.Status == PromotionStatuses.Frozen, "to wait for the freeze");
        var frozenView = await StageAsync(http, name, "prod");
        var toProd = await PromotedAsync(h, name, staging.Id, "prod");
        var prod = await h.WaitForStatusAsync(toProd.DeploymentId!, DeploymentStatuses.Succeeded);

        Assert.Equal((DeploymentKinds.Promote, "1.0.0", "user:default/jane"), (staging.Kind, staging.Version, staging.RequestedBy));
        Assert.Contains("auto-promoted from dev", staging.Reason, StringComparison.Ordinal);
        Assert.True(staging.CreatedAt >= dev.FinishedAt!.Value.AddSeconds(2), $"promoted at {staging.CreatedAt:O}, before the 2s soak after {dev.FinishedAt:O} ended");
        Assert.Contains("waiting for freeze to end", frozen.Message, StringComparison.Ordinal);
        Assert.Equal(freezeEnd.ToUnixTimeSeconds(), frozen.WaitingUntil!.Value.ToUnixTimeSeconds());
        Assert.Equal(("Frozen", "1.0.0"), (frozenView.GetProperty("waiting").GetProperty("state").GetString(), frozenView.GetProperty("waiting").GetProperty("version").GetString()));
        Assert.Contains("release freeze", frozenView.GetProperty("waiting").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(prod.CreatedAt >= freezeEnd.AddSeconds(-1), $"prod deployment started at {prod.CreatedAt:O}, inside the freeze that ended {freezeEnd:O}");
        Assert.Equal("1.0.0", await CurrentAsync(h, name, "prod"));
        var history = (await StageAsync(http, name, "prod")).GetProperty("history");
        Assert.Equal(PromotionStatuses.Promoted, history[0].GetProperty("status").GetString());
        Assert.Equal(prod.Id, history[0].GetProperty("deploymentId").GetString());
    }

    [Fact]
    public async Task A_version_that_fails_verification_in_dev_goes_no_further()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("verify");
        h.Components.Add(name, """
            - name: dev
            - name: staging
              promotion: {auto: true, analysis: {templates: [success-rate], count: 2, interval: 1s}}
            - name: prod
              promotion: {auto: true}
            """);
        var http = await h.SignInAsync("jane");
        h.Fleet.Get("local-east").AddFault(new SimulatedFault("2.0.0", name, false, ErrorRate: 0.5, LatencySeconds: null));

        var good = await DeployedAsync(h, name, "dev", "1.0.0");
        var stagingGood = await h.WaitForStatusAsync((await PromotedAsync(h, name, good.Id, "staging")).DeploymentId!, DeploymentStatuses.Succeeded);
        await h.WaitForStatusAsync((await PromotedAsync(h, name, stagingGood.Id, "prod")).DeploymentId!, DeploymentStatuses.Succeeded);
        var bad = await DeployedAsync(h, name, "dev", "2.0.0");
        var failed = await PromotionAsync(h, name, PromotionStore.IdFor(bad.Id, "staging"), p => PromotionStatuses.IsFinished(p.Status), "to finish");
        var view = await StageAsync(http, name, "staging");
        var (stagingRuns, _) = await h.Services.GetRequiredService<DeploymentStore>().ListAsync($"component:default/{name}", "staging", null, 50, null, CancellationToken.None);

        Assert.Equal(PromotionStatuses.VerificationFailed, failed.Status);
        Assert.Contains("failed verification in dev: success-rate", failed.Message, StringComparison.Ordinal);
        Assert.Contains(failed.Analysis, a => a.Result == "Failed" && a.Value < 0.9);
        Assert.Null(failed.DeploymentId);
        Assert.DoesNotContain(stagingRuns, r => r.Version == "2.0.0");
        Assert.Equal(("1.0.0", "1.0.0"), (await CurrentAsync(h, name, "staging"), await CurrentAsync(h, name, "prod")));
        Assert.Equal((PromotionStatuses.VerificationFailed, "2.0.0"), (view.GetProperty("waiting").GetProperty("state").GetString(), view.GetProperty("waiting").GetProperty("version").GetString()));
        Assert.Equal("1.0.0", view.GetProperty("currentVersion").GetString());
    }

    [Fact]
    public async Task A_stage_needs_its_number_of_distinct_approvals_never_the_requesters_and_a_freeze_needs_one_even_unprotected()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("approve");
        h.Components.Add(name, $$"""
            - name: dev
              freeze: [{from: "{{Time(DateTimeOffset.UtcNow.AddMinutes(-1))}}", to: "{{Time(DateTimeOffset.UtcNow.AddHours(1))}}", reason: audit week}]
            - name: prod
              approvals: {required: 2, from: [group:default/release-managers]}
            """);
        var jane = DeploymentHarness.User("jane", "group:default/team");
        var bob = DeploymentHarness.User("bob", "group:default/release-managers");
        var carl = DeploymentHarness.User("carl", "group:default/team");
        var ann = await h.SignInAsync("ann");

        var frozenDev = await h.DeployAsync(name, "dev", "1.0.0", jane);
        var frozenWait = await h.WaitForStatusAsync(frozenDev.DeploymentId, DeploymentStatuses.WaitingForApproval);
        var selfFrozen = await Assert.ThrowsAsync<ProblemException>(() => h.ControlAsync(frozenDev.DeploymentId, DeploymentControls.Approve, jane));
        await h.ControlAsync(frozenDev.DeploymentId, DeploymentControls.Approve, carl);
        await h.WaitForStatusAsync(frozenDev.DeploymentId, DeploymentStatuses.Succeeded);

        var prod = await h.DeployAsync(name, "prod", "1.0.0", jane);
        await h.WaitForStatusAsync(prod.DeploymentId, DeploymentStatuses.WaitingForApproval);
        var self = await Assert.ThrowsAsync<ProblemException>(() => h.ControlAsync(prod.DeploymentId, DeploymentControls.Approve, jane));
        var outsider = await Assert.ThrowsAsync<ProblemException>(() => h.ControlAsync(prod.DeploymentId, DeploymentControls.Approve, carl));
        using var first = await ann.PostAsJsonAsync($"/api/components/default/{name}/pipeline/prod/approve", new { comment = "looks good" });
        var half = await h.WaitForAsync(prod.DeploymentId, r => r.Approval?.ApprovedBy.Count == 1, "to count ann's approval");
        var view = await StageAsync(ann, name, "prod");
        using var again = await ann.PostAsJsonAsync($"/api/components/default/{name}/pipeline/prod/approve", new { });
        await h.ControlAsync(prod.DeploymentId, DeploymentControls.Approve, bob);
        var done = await h.WaitForStatusAsync(prod.DeploymentId, DeploymentStatuses.Succeeded);
        using var nothingWaits = await ann.PostAsJsonAsync($"/api/components/default/{name}/pipeline/prod/approve", new { });
        var envs = JsonDocument.Parse(await ann.GetStringAsync($"/api/components/default/{name}/environments")).RootElement;

        Assert.Contains("frozen until", frozenWait.Message, StringComparison.Ordinal);
        Assert.Contains("audit week", frozenWait.Message, StringComparison.Ordinal);
        Assert.Equal(1, frozenWait.Approval!.Required);
        Assert.Equal(403, selfFrozen.Status);
        Assert.Equal(403, self.Status);
        Assert.Contains("requester cannot approve", self.Detail, StringComparison.Ordinal);
        Assert.Equal(403, outsider.Status);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal((DeploymentStatuses.WaitingForApproval, 2), (half.Status, half.Approval!.Required));
        Assert.Contains("needs 1 more approval from group:default/release-managers", half.Message, StringComparison.Ordinal);
        Assert.Equal(("AwaitingApproval", 1), (view.GetProperty("waiting").GetProperty("state").GetString(), view.GetProperty("waiting").GetProperty("approvalsMissing").GetInt32()));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(["user:default/ann", "user:default/bob"], done.Approval!.ApprovedBy);
        Assert.Equal(HttpStatusCode.Conflict, nothingWaits.StatusCode);
        Assert.True(envs[1].GetProperty("protected").GetBoolean());
        Assert.Equal("group:default/release-managers", envs[1].GetProperty("approvers")[0].GetString());
    }

    [Fact]
    public async Task A_manual_rollback_pins_the_stage_so_auto_promotion_never_brings_the_version_back_until_unpinned()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("pin");
        h.Components.Add(name, """
            - name: dev
            - name: staging
              promotion: {auto: true}
            """);
        var http = await h.SignInAsync("jane");

        var v1 = await DeployedAsync(h, name, "dev", "1.0.0");
        var first = await PromotedAsync(h, name, v1.Id, "staging");
        await h.WaitForStatusAsync(first.DeploymentId!, DeploymentStatuses.Succeeded);
        var v11 = await DeployedAsync(h, name, "dev", "1.1.0");
        await h.WaitForStatusAsync((await PromotedAsync(h, name, v11.Id, "staging")).DeploymentId!, DeploymentStatuses.Succeeded);

        // The promotion of a deployment exists once: scheduling it again (an activity run twice) starts nothing new.
        await using (var scope = h.Services.CreateAsyncScope())
        {
            var again = await ActivatorUtilities.CreateInstance<SchedulePromotionsActivity>(scope.ServiceProvider).RunAsync(v1);
            var plan = (await h.Services.GetRequiredService<OrchestrationInstances>().Client.GetInstanceAsync(first.Id, true))!.ReadInputAs<PromotionPlan>()!;
            var restart = await h.Services.GetRequiredService<DeploymentService>().StartPromotionAsync(plan, CancellationToken.None);
            Assert.Equal(0, again);
            Assert.Equal((PromotionStartOutcomes.Started, first.DeploymentId), (restart.Outcome, restart.DeploymentId));
        }

        var rollback = await h.Services.GetRequiredService<DeploymentService>().RollbackAsync(name, "staging", "1.0.0", DeploymentHarness.User("jane"), CancellationToken.None);
        await h.WaitForStatusAsync(rollback.DeploymentId, DeploymentStatuses.Succeeded);
        var devBack = await h.Services.GetRequiredService<DeploymentService>().RollbackAsync(name, "dev", "1.0.0", DeploymentHarness.User("jane"), CancellationToken.None);
        await h.WaitForStatusAsync(devBack.DeploymentId, DeploymentStatuses.Succeeded);
        var redeployed = await DeployedAsync(h, name, "dev", "1.1.0");
        var pinned = await PromotionAsync(h, name, PromotionStore.IdFor(redeployed.Id, "staging"), p => PromotionStatuses.IsFinished(p.Status), "to finish");
        var newer = await DeployedAsync(h, name, "dev", "1.2.0");
        var held = await PromotionAsync(h, name, PromotionStore.IdFor(newer.Id, "staging"), p => PromotionStatuses.IsFinished(p.Status), "to finish");
        var view = await StageAsync(http, name, "staging");
        using var unpin = await http.PostAsync($"/api/components/default/{name}/pipeline/staging/unpin", null);
        var unpinned = JsonDocument.Parse(await unpin.Content.ReadAsStringAsync()).RootElement;
        var v13 = await DeployedAsync(h, name, "dev", "1.3.0");
        await h.WaitForStatusAsync((await PromotedAsync(h, name, v13.Id, "staging")).DeploymentId!, DeploymentStatuses.Succeeded);
        var (stagingRuns, _) = await h.Services.GetRequiredService<DeploymentStore>().ListAsync($"component:default/{name}", "staging", null, 50, null, CancellationToken.None);

        Assert.Equal(PromotionStatuses.Pinned, pinned.Status);
        Assert.Contains("pinned after rollback by user:default/jane", pinned.Message, StringComparison.Ordinal);
        Assert.Equal(PromotionStatuses.Pinned, held.Status);
        Assert.Equal("1.1.0", view.GetProperty("pin").GetProperty("version").GetString());
        Assert.Equal("user:default/jane", view.GetProperty("pin").GetProperty("by").GetString());
        Assert.Equal((PromotionStatuses.Pinned, "1.2.0"), (view.GetProperty("waiting").GetProperty("state").GetString(), view.GetProperty("waiting").GetProperty("version").GetString()));
        Assert.Equal("1.0.0", view.GetProperty("currentVersion").GetString());
        Assert.Equal(HttpStatusCode.OK, unpin.StatusCode);
        Assert.True(unpinned.GetProperty("wasPinned").GetBoolean());
        Assert.Equal("1.3.0", await CurrentAsync(h, name, "staging"));
        Assert.Equal(["1.3.0", "1.0.0", "1.1.0", "1.0.0"], stagingRuns.Select(r => r.Version));
        Assert.Single(stagingRuns, r => r.Id == first.DeploymentId);
    }
    [Fact]
    public async Task A_promotion_is_not_lost_when_the_host_stops_as_the_deployment_finishes_and_runs_once_after_the_restart()
    {
        var name = Unique("restart");
        const string Environments = """
            - name: dev
            - name: staging
              promotion: {auto: true}
            """;
        var dataDir = Path.Combine(Path.GetTempPath(), "idp-pipe-" + Guid.NewGuid().ToString("N")[..8]);
        // A message the stopping host had received stays hidden for the visibility timeout before the next host sees it:
        // the minimum (10 s) keeps the hand-over short. Passing runs took 35-60 s with the 30 s default, at the old deadline.
        var settings = new Dictionary<string, string?>
        {
            ["Durable:TaskHub"] = "p" + Guid.NewGuid().ToString("N")[..10],
            ["IDP_DATA_DIR"] = dataDir,
            ["Durable:ControlQueueVisibilityTimeout"] = "00:00:10",
            ["Durable:WorkItemQueueVisibilityTimeout"] = "00:00:10",
        };
        try
        {
            string devId;
            await using (var first = await DeploymentHarness.StartAsync(azurite, settings))
            {
                first.Components.Add(name, Environments);
                devId = (await first.DeployAsync(name, "dev", "1.0.0")).DeploymentId;
                await first.WaitForStatusAsync(devId, DeploymentStatuses.Succeeded);
            }

            // The host stopped the moment the record said Succeeded; another host on the same task hub carries on.
            var catalog = new TestComponents();
            catalog.Add(name, Environments);
            await using var second = await DeploymentHarness.StartAsync(azurite, settings, catalog);
            var promotion = await PromotedAsync(second, name, devId, "staging", seconds: 120);
            var staging = await second.WaitForStatusAsync(promotion.DeploymentId!, DeploymentStatuses.Succeeded);
            var (stagingRuns, _) = await second.Services.GetRequiredService<DeploymentStore>().ListAsync($"component:default/{name}", "staging", null, 50, null, CancellationToken.None);

            // A start the stopping host could not finish left a record that never ran ("could not start"); it runs once after.
            Assert.Equal("1.0.0", staging.Version);
            Assert.StartsWith($"dep-{PromotionStore.IdFor(devId, "staging")}", staging.Id, StringComparison.Ordinal);
            Assert.Single(stagingRuns, r => r.Status == DeploymentStatuses.Succeeded);
            Assert.All(stagingRuns.Where(r => r.Id != staging.Id), r => Assert.StartsWith("could not start", r.Message, StringComparison.Ordinal));
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean.
            }
        }
    }
    [Fact]
    public async Task With_afterRollback_newer_a_pinned_stage_takes_newer_versions_but_never_the_one_rolled_back()
    {
        await using var h = await DeploymentHarness.StartAsync(azurite);
        var name = Unique("newer");
        h.Components.Add(name, """
            - name: dev
            - name: staging
              promotion: {auto: true, afterRollback: newer}
            """);
        var service = h.Services.GetRequiredService<DeploymentService>();
        var jane = DeploymentHarness.User("jane");

        var v1 = await DeployedAsync(h, name, "dev", "1.0.0");
        await h.WaitForStatusAsync((await PromotedAsync(h, name, v1.Id, "staging")).DeploymentId!, DeploymentStatuses.Succeeded);
        var v11 = await DeployedAsync(h, name, "dev", "1.1.0");
        await h.WaitForStatusAsync((await PromotedAsync(h, name, v11.Id, "staging")).DeploymentId!, DeploymentStatuses.Succeeded);
        await h.WaitForStatusAsync((await service.RollbackAsync(name, "staging", "1.0.0", jane, CancellationToken.None)).DeploymentId, DeploymentStatuses.Succeeded);
        await h.WaitForStatusAsync((await service.RollbackAsync(name, "dev", "1.0.0", jane, CancellationToken.None)).DeploymentId, DeploymentStatuses.Succeeded);
        var again = await DeployedAsync(h, name, "dev", "1.1.0");
        var refused = await PromotionAsync(h, name, PromotionStore.IdFor(again.Id, "staging"), p => PromotionStatuses.IsFinished(p.Status), "to finish");
        var v12 = await DeployedAsync(h, name, "dev", "1.2.0");
        var taken = await PromotedAsync(h, name, v12.Id, "staging");
        await h.WaitForStatusAsync(taken.DeploymentId!, DeploymentStatuses.Succeeded);

        Assert.Equal(PromotionStatuses.Pinned, refused.Status);
        Assert.Equal("1.2.0", await CurrentAsync(h, name, "staging"));
    }
}
