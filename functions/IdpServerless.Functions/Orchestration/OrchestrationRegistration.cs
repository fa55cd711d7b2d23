using IdpServerless.Hosting.Durable;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IdpServerless.Functions.Orchestration;

/// <summary>The orchestration feature: the engine, its management API's authorizer and the diagnostic SelfTest.</summary>
public static class OrchestrationRegistration
{
    /// <summary>Adds the engine (section <c>Durable</c>); orchestrators and activities are the app's <c>[Function]</c> methods.</summary>
    public static IServiceCollection AddOrchestration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDurableTask(configuration); // its orchestrator and activities are [Function] methods
        services.TryAddSingleton<IOrchestrationAuthorizer, DefaultOrchestrationAuthorizer>();
        return services;
    }
}
