using IdpServerless.Hosting.Durable;
using Microsoft.Extensions.DependencyInjection.Extensions;
using IdpServerless.Functions.Templates.Actions;
using IdpServerless.Functions.Templates.Api;
using IdpServerless.Functions.Templates.Catalog;
using IdpServerless.Functions.Templates.Tasks;

namespace IdpServerless.Functions.Templates;

/// <summary>Software templates: the scaffolder API, its actions and the task orchestration.</summary>
public static class TemplatesRegistration
{
    public static IServiceCollection AddTemplates(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<SkeletonSource>();
        services.AddSingleton<IScaffolderAction, FetchPlainAction>();
        services.AddSingleton<IScaffolderAction, FetchTemplateAction>();
        services.AddSingleton<IScaffolderAction, PublishGitAction>();
        services.AddSingleton<IScaffolderAction, DeployCreateRepositoryAction>();
        services.AddSingleton<IScaffolderAction, DeployRegisterEnvironmentsAction>();
        services.AddSingleton<IScaffolderAction, CatalogRegisterAction>();
        services.AddSingleton<IScaffolderAction, DeployStartAction>();
        services.AddSingleton<IScaffolderAction, NotifyAction>();
        services.AddSingleton<IScaffolderAction, DebugLogAction>();
        services.AddSingleton<ActionRegistry>();
        services.AddSingleton<TemplateLookup>();
        services.TryAddSingleton<IScaffolderCatalog, CatalogScaffolderCatalog>();
        services.AddSingleton<TaskStore>();
        services.AddSingleton<TaskEventLog>();
        services.AddSingleton<StepRunner>();
        services.AddSingleton<TaskExecution>();
        services.AddSingleton<TaskService>();
        services.AddSingleton<DryRunService>();
        services.AddSingleton(new Orchestration.ManagedOrchestrator(ScaffolderTaskOrchestrator.Name, "/api/scaffolder/v2/tasks"));
        services.AddDurableTask(configuration); // its orchestrator and activities are [Function] methods
        return services;
    }

    public static IEndpointRouteBuilder MapTemplates(this IEndpointRouteBuilder app) => app.MapScaffolderApi();
}
