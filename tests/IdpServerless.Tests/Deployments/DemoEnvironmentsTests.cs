using IdpServerless.Functions.Deployments;
using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace IdpServerless.Tests.Deployments;

public class DemoEnvironmentsTests
{
    [Fact]
    public void The_demo_components_declare_valid_environments_on_the_simulated_clusters()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(RepoPaths.Root, "demo", "catalog", "components.yaml"))));
        var deliveries = new Dictionary<string, ComponentDelivery>();
        foreach (var doc in stream.Documents)
        {
            var root = (YamlMappingNode)doc.RootNode;
            var metadata = (YamlMappingNode)root["metadata"];
            var name = metadata["name"].ToString();
            var annotations = ((YamlMappingNode)metadata["annotations"]).Children.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString());
            var errors = new Dictionary<string, string[]>();
            var delivery = EnvironmentParser.Parse($"component:default/{name}", annotations, new DeploymentOptions(), errors);
            Assert.True(errors.Count == 0, $"{name}: {string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))}");
            if (delivery is not null)
            {
                deliveries[name] = delivery;
            }
        }

        var prod = deliveries["payments-service"].Find("prod")!;
        Assert.Equal(StrategyTypes.Canary, prod.Strategy.Type);
        Assert.True(prod.Protection.ApprovalRequired);
        Assert.Equal(["local-east", "local-west"], prod.Clusters.Select(c => c.Name));
        Assert.Equal(StrategyTypes.BlueGreen, deliveries["storefront-web"].Find("staging")!.Strategy.Type);
        Assert.Equal(StrategyTypes.Canary, deliveries["checkout-service"].Find("prod")!.Strategy.Type);
        Assert.All(deliveries.Values.SelectMany(d => d.Environments).SelectMany(e => e.Clusters), c => Assert.Contains(c.Name, new[] { "local-east", "local-west" }));
    }
}
