using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Functions.Deployments.Model;

namespace IdpServerless.Tests.Deployments.Judgement;

/// <summary>Orchestrations already running replay with plans serialised before the new fields existed.</summary>
public class OlderPlansTests
{
    [Fact]
    public void A_strategy_serialised_before_abortScaleDownDelay_reads_with_no_delay_and_steps_without_the_new_kinds()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var strategy = new DeliveryStrategy(StrategyTypes.Canary, [new CanaryStep(SetWeight: 20), new CanaryStep(Pause: new PauseStep(null))],
            new Dictionary<string, AnalysisMetric>(), true, TimeSpan.FromMinutes(10), null, TimeSpan.FromSeconds(30));
        var json = JsonNode.Parse(JsonSerializer.Serialize(strategy, options))!.AsObject();
        json.Remove("abortScaleDownDelay");
        foreach (var step in json["steps"]!.AsArray())
        {
            step!.AsObject().Remove("judgement");
            step.AsObject().Remove("setCanaryScale");
            step.AsObject().Remove("setHeaderRoute");
        }

        var old = JsonSerializer.Deserialize<DeliveryStrategy>(json.ToJsonString(), options)!;

        Assert.Equal(TimeSpan.Zero, old.AbortScaleDownDelay);
        Assert.All(old.Steps, s => Assert.False(IdpServerless.Functions.Deployments.Orchestrations.CanarySteps.Handles(s)));
        Assert.Equal(20, old.Steps[0].SetWeight);
    }
}
