namespace IdpServerless.Functions.Deployments.Promotion;

public static class PromotionRegistration
{
    /// <summary>Promotion pipelines: the promotion store and the promotion orchestrator (its activities are [Function] methods).</summary>
    public static IServiceCollection AddPromotionPipelines(this IServiceCollection services)
    {
        services.AddSingleton<PromotionStore>();
        services.AddSingleton(new Orchestration.ManagedOrchestrator(PromotionFunctions.Orchestrator, "/api/components/{ns}/{name}/pipeline"));
        return services;
    }
}
