using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Functions.Deployments.Promotion;

namespace IdpServerless.Tests.Deployments;

/// <summary>The pipeline keys of <c>idp.dev/environments</c> and the freeze calendar (pure code, no storage).</summary>
public class PipelineParserTests
{
    private const string Root = "metadata.annotations[idp.dev/environments]";
    private static readonly DeploymentOptions Options = new() { DefaultClusters = "local-east", AnalysisInterval = TimeSpan.FromSeconds(1), AnalysisCount = 2 };

    private static (ComponentDelivery? Delivery, Dictionary<string, string[]> Errors) Parse(string environments)
    {
        var errors = new Dictionary<string, string[]>();
        return (EnvironmentParser.Parse("component:default/shop", new Dictionary<string, string> { [EnvironmentParser.EnvironmentsAnnotation] = environments }, Options, errors), errors);
    }

    [Fact]
    public void A_pipeline_reads_promotion_approvals_and_freeze_per_stage_with_from_defaulting_to_the_stage_before()
    {
        var (delivery, errors) = Parse("""
            - name: dev
            - name: staging
              promotion: {auto: true, soak: 10m, analysis: {templates: [success-rate], count: 3, interval: 30s}}
            - name: prod
              promotion: {from: dev, afterRollback: newer}
              approvals: {required: 2, from: [group:default/release-managers, role:release-manager]}
              freeze:
                - {from: "2026-12-24T00:00Z", to: "2026-12-27T00:00Z", reason: holidays}
                - {cron: "0 18 * * FRI", duration: 62h, timeZone: Europe/Berlin, reason: weekend}
            """);

        Assert.Empty(errors);
        var staging = delivery!.Find("staging")!.Pipeline!;
        Assert.Equal((true, "dev", TimeSpan.FromMinutes(10), AfterRollback.Hold), (staging.Promotion!.Auto, staging.Promotion.From, staging.Promotion.Soak, staging.Promotion.AfterRollback));
        Assert.Equal(["success-rate"], staging.Promotion.Analysis!.Templates);
        Assert.Equal((3, TimeSpan.FromSeconds(30), 0), (staging.Promotion.Analysis.Count, staging.Promotion.Analysis.Interval, staging.Promotion.Analysis.FailureLimit));
        Assert.Null(staging.Approvals);
        var prod = delivery.Find("prod")!.Pipeline!;
        Assert.Equal(("dev", AfterRollback.Newer, true), (prod.Promotion!.From, prod.Promotion.AfterRollback, prod.Promotion.Auto));
        Assert.Equal(2, prod.Approvals!.Required);
        Assert.Equal(["group:default/release-managers", "role:release-manager"], prod.Approvals.From);
        Assert.Equal(new DateTimeOffset(2026, 12, 27, 0, 0, 0, TimeSpan.Zero), prod.Freeze[0].End);
        Assert.Equal(("0 18 * * FRI", TimeSpan.FromHours(62), "Europe/Berlin"), (prod.Freeze[1].Cron, prod.Freeze[1].Duration, prod.Freeze[1].TimeZone));
        Assert.Null(delivery.Find("dev")!.Pipeline);
    }

    [Fact]
    public void Pipeline_mistakes_are_reported_by_path_all_at_once()
    {
        var (_, errors) = Parse("""
            - name: dev
              promotion: {auto: true}
            - name: staging
              promotion: {from: prod, soak: forever, analysis: [no-such-metric], afterRollback: undo, speed: 3}
              approvals: {required: 0, from: [release-managers]}
            - name: prod
              freeze:
                - {from: "2026-12-27T00:00Z", to: "2026-12-24T00:00Z"}
                - {cron: "61 * * * *", duration: 1h}
                - {cron: "0 18 * * 5", timeZone: Mars/Olympus}
                - {from: tomorrow}
            """);

        Assert.Contains($"{Root}[0].promotion.from", errors.Keys);
        Assert.Contains("does not come before", errors[$"{Root}[1].promotion.from"][0], StringComparison.Ordinal);
        Assert.Contains($"{Root}[1].promotion.soak", errors.Keys);
        Assert.Contains("no-such-metric", errors[$"{Root}[1].promotion.analysis"][0], StringComparison.Ordinal);
        Assert.Contains($"{Root}[1].promotion.afterRollback", errors.Keys);
        Assert.Contains($"{Root}[1].promotion.speed", errors.Keys);
        Assert.Contains($"{Root}[1].approvals.required", errors.Keys);
        Assert.Contains($"{Root}[1].approvals.from", errors.Keys);
        Assert.Contains($"{Root}[2].freeze[0].to", errors.Keys);
        Assert.Contains($"{Root}[2].freeze[1].cron", errors.Keys);
        Assert.Contains($"{Root}[2].freeze[2].duration", errors.Keys);
        Assert.Contains($"{Root}[2].freeze[2].timeZone", errors.Keys);
        Assert.Contains($"{Root}[2].freeze[3].from", errors.Keys);
        Assert.Contains($"{Root}[2].freeze[3].to", errors.Keys);
    }

    [Fact]
    public void An_absolute_freeze_holds_from_its_start_until_its_end()
    {
        FreezeWindow[] windows = [new(new DateTimeOffset(2026, 12, 24, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 27, 0, 0, 0, TimeSpan.Zero), null, null, null, "holidays")];

        Assert.Null(FreezeCalendar.ActiveAt(windows, new DateTimeOffset(2026, 12, 23, 23, 59, 59, TimeSpan.Zero)));
        Assert.Equal(new ActiveFreeze(windows[0].End!.Value, "holidays"), FreezeCalendar.ActiveAt(windows, new DateTimeOffset(2026, 12, 24, 0, 0, 0, TimeSpan.Zero)));
        Assert.Null(FreezeCalendar.ActiveAt(windows, windows[0].End!.Value));
    }

    [Fact]
    public void A_recurring_freeze_follows_its_cron_in_its_time_zone_and_chains_with_an_adjacent_window()
    {
        // Fridays 18:00 in Berlin (UTC+1 in winter) for 62 hours: Friday 17:00 UTC to Monday 07:00 UTC.
        var weekend = new FreezeWindow(null, null, "0 18 * * FRI", TimeSpan.FromHours(62), "Europe/Berlin", "weekend");
        var friday = new DateTimeOffset(2026, 12, 4, 17, 0, 0, TimeSpan.Zero);
        var monday = new DateTimeOffset(2026, 12, 7, 7, 0, 0, TimeSpan.Zero);

        Assert.Null(FreezeCalendar.ActiveAt([weekend], friday.AddMinutes(-1)));
        Assert.Equal(monday, FreezeCalendar.ActiveAt([weekend], friday)!.Until);
        Assert.Equal(monday, FreezeCalendar.ActiveAt([weekend], monday.AddMinutes(-1))!.Until);
        Assert.Null(FreezeCalendar.ActiveAt([weekend], monday));

        var overrun = new FreezeWindow(monday, monday.AddHours(3), null, null, null, "migration");
        var chained = FreezeCalendar.ActiveAt([weekend, overrun], friday.AddHours(1))!;
        Assert.Equal((monday.AddHours(3), "weekend"), (chained.Until, chained.Reason));
    }
}
