using IdpServerless.Hosting.Durable;
using IdpServerless.Functions.Clusters;
using IdpServerless.Functions.Deployments.GitOps;
using IdpServerless.Functions.Deployments.Orchestrations;
using IdpServerless.Functions.Deployments.Promotion;

namespace IdpServerless.Functions.Deployments;

public static class DeploymentsRegistration
{
    /// <summary>Deployments: the service, its store, GitOps writer, the deployment orchestrator and its activities.</summary>
    public static IServiceCollection AddDeployments(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DeploymentOptions>().BindConfiguration(DeploymentOptions.Section)
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.AnalysisCount > 0 && o.SuccessRateThreshold is >= 0 and <= 1, "Deployments: PollInterval and AnalysisCount must be positive, SuccessRateThreshold within 0..1.")
            .ValidateOnStart();
        services.AddClusters(configuration);
        services.AddSingleton<DeploymentStore>();
        services.AddSingleton<GitOpsWriter>();
        services.AddSingleton<Analysis.IConditionEvaluator, Analysis.ExprConditionEvaluator>();
        services.AddSingleton<Analysis.AnalysisTemplateResolver>();
        services.AddSingleton<DoraMetrics>();
        services.AddSingleton<Judgement.IRankSumTest, Judgement.MannWhitneyU>();
        services.AddSingleton<IComponentLookup, CatalogComponentLookup>();
        services.AddSingleton<ComponentDeliveryResolver>();
        services.AddSingleton<DeploymentService>();
        services.AddSingleton<IDeploymentService>(sp => sp.GetRequiredService<DeploymentService>());
        services.AddPromotionPipelines();
        services.AddSingleton(new Orchestration.ManagedOrchestrator(DeploymentFunctions.Orchestrator, "/api/deployments"));
        services.AddDurableTask(configuration); // its orchestrator and activities are [Function] methods
        return services;
    }
}
