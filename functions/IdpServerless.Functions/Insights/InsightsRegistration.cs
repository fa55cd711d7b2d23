using IdpServerless.Functions.Insights.Scorecards;

namespace IdpServerless.Functions.Insights;

public static class InsightsRegistration
{
    /// <summary>Scorecards (evaluation, history, snapshot timer), ownership health and the delivery history they read.</summary>
    public static IServiceCollection AddInsights(this IServiceCollection services)
    {
        services.AddSingleton<DeliveryHistoryCache>();
        services.AddSingleton<ScorecardService>();
        services.AddSingleton<ScorecardHistoryStore>();
        services.AddSingleton<OwnershipHealth>();
        return services;
    }
}
