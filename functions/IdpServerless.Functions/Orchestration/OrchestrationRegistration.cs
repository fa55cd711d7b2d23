using IdpServerless.Hosting.Durable;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IdpServerless.Functions.Orchestration;

/// <summary>The orchestration feature: the engine, its management API's authorizer and the diagnostic SelfTest.</summary>
public static class OrchestrationRegistration
{
    /// <summary>Adds the engine (section <c>Durable</c>); other features add their orchestrators with <c>services.AddDurableEngine(config).AddOrchestrator...</c>.</summary>
    public static IServiceCollection AddOrchestration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDurableTask(configuration)
            .AddOrchestrator<SelfTestOrchestrator>(SelfTestOrchestrator.Name)
            .AddActivity<SelfTestEcho>(SelfTestEcho.Name);
        services.TryAddSingleton<IOrchestrationAuthorizer, DefaultOrchestrationAuthorizer>();
        return services;
    }
}
