using IdpServerless.Functions.Deployments;
using static IdpServerless.Tests.Insights.InsightsFixtures;

namespace IdpServerless.Tests.Insights;

/// <summary>DORA's five metrics from a production history worked out by hand: a failure and its hotfix, a rollback, an aborted release and a hotfix by reason.</summary>
public class DoraCalculatorTests
{
    private const string C = "component:default/checkout";
    private static readonly DateTimeOffset T0 = Now.AddDays(-28);

    private static DateTimeOffset At(int day, int hour, int minute = 0) => T0.AddDays(day).AddHours(hour).AddMinutes(minute);

    private static List<DeploymentRecord> History() =>
    [
        // lead 60 + 30 = 90 min
        Deployment(C, "prod", "1.0.0", DeploymentStatuses.Succeeded, At(1, 10), TimeSpan.FromMinutes(30), committedAt: At(1, 9)),
        // fails at 10:20
        Deployment(C, "prod", "1.1.0", DeploymentStatuses.Failed, At(3, 10), TimeSpan.FromMinutes(20), committedAt: At(3, 9, 30)),
        // the hotfix: rework, recovers the failure at 10:55 (35 min), lead 25 min
        Deployment(C, "prod", "1.1.1-hotfix", DeploymentStatuses.Succeeded, At(3, 10, 40), TimeSpan.FromMinutes(15), committedAt: At(3, 10, 30)),
        // succeeds (lead 70 min), then is rolled back at 09:30: a failed deployment, recovered when the rollback ends (10 min)
        Deployment(C, "prod", "1.2.0", DeploymentStatuses.Succeeded, At(10, 9), TimeSpan.FromMinutes(10), committedAt: At(10, 8)),
        Deployment(C, "prod", "1.1.1-hotfix", DeploymentStatuses.Succeeded, At(10, 9, 30), TimeSpan.FromMinutes(10), kind: DeploymentKinds.Rollback),
        // aborted: changed nothing, not counted
        Deployment(C, "prod", "1.3.0", DeploymentStatuses.Aborted, At(12, 9), TimeSpan.FromMinutes(5), committedAt: At(12, 8)),
        // lead 140 min
        Deployment(C, "prod", "1.3.0", DeploymentStatuses.Succeeded, At(20, 14), TimeSpan.FromMinutes(20), committedAt: At(20, 12)),
        // a hotfix by its reason: rework, lead 40 min
        Deployment(C, "prod", "1.3.1", DeploymentStatuses.Succeeded, At(21, 8), TimeSpan.FromMinutes(10), reason: "Hotfix: cache stampede", committedAt: At(21, 7, 30)),
        // other environments are not production
        Deployment(C, "staging", "1.3.1", DeploymentStatuses.Failed, At(21, 7, 45), TimeSpan.FromMinutes(5), committedAt: At(21, 7, 30)),
    ];

    [Fact]
    public void The_five_metrics_match_the_hand_computed_figures()
    {
        var classified = DoraCalculator.Classify(History(), null);
        var f = DoraCalculator.Figures(classified, T0, Now);

        Assert.Equal(7, f.Deployments);
        Assert.Equal(6, f.Succeeded);
        Assert.Equal(Math.Round(6 / 28.0, 3), f.DeploymentsPerDay);
        Assert.Equal(2, f.FailedDeployments);
        Assert.Equal(0.286, f.ChangeFailRate);
        Assert.Equal(3, f.ReworkDeployments);
        Assert.Equal(0.429, f.DeploymentReworkRate);
        Assert.Equal(5, f.LeadTimeSamples);
        Assert.Equal(70, f.ChangeLeadTimeMinutes);
        Assert.Equal(22.5, f.FailedDeploymentRecoveryTimeMinutes);

        var rolledBack = classified.Single(c => c.Deployment.Version == "1.2.0");
        Assert.True(rolledBack.Failed);
        Assert.Equal(At(10, 9, 30), rolledBack.FailureKnownAt);
        Assert.Equal(10, rolledBack.RecoveryMinutes);
        Assert.DoesNotContain(classified, c => c.Deployment.Status == DeploymentStatuses.Aborted);
    }

    [Fact]
    public void The_trend_splits_the_window_into_weeks()
    {
        var classified = DoraCalculator.Classify(History(), null);
        var trend = DoraCalculator.Trend(classified, T0, Now, DoraCalculator.BucketFor(28));

        Assert.Equal(4, trend.Count);
        Assert.Equal([3, 2, 1, 1], trend.Select(b => b.Figures.Deployments));
        Assert.Equal([0.333, 0.5, 0, 0], trend.Select(b => b.Figures.ChangeFailRate));
        Assert.Equal([1, 1, 0, 1], trend.Select(b => b.Figures.ReworkDeployments));
        Assert.Equal(T0.AddDays(7), trend[0].To);
        Assert.Equal(Now, trend[^1].To);
    }

    [Fact]
    public void One_environment_can_be_chosen_and_an_empty_window_has_no_rates()
    {
        var staging = DoraCalculator.Figures(DoraCalculator.Classify(History(), "staging"), T0, Now);
        Assert.Equal((1, 1, 1.0), (staging.Deployments, staging.FailedDeployments, staging.ChangeFailRate!.Value));
        Assert.Null(staging.FailedDeploymentRecoveryTimeMinutes);

        var empty = DoraCalculator.Figures(DoraCalculator.Classify(History(), null), Now.AddDays(-2), Now);
        Assert.Equal((0, 0.0), (empty.Deployments, empty.DeploymentsPerDay));
        Assert.Null(empty.ChangeFailRate);
        Assert.Null(empty.ChangeLeadTimeMinutes);
        Assert.True(DoraCalculator.IsProduction("prod-eu") && DoraCalculator.IsProduction("Production") && !DoraCalculator.IsProduction("preprod"));
    }
}
