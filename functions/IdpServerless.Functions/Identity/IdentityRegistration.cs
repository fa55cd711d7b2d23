using IdpServerless.Functions.Identity.Access;
using IdpServerless.Functions.Identity.Authentication;
using IdpServerless.Functions.Identity.Hardening;
using IdpServerless.Functions.Identity.Rbac;
using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity;

/// <summary>Identity, RBAC on every function and the hardening around them.</summary>
public static class IdentityRegistration
{
    public static IServiceCollection AddIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        var options = IdentityOptions.From(configuration);
        services.AddSingleton(options);
        services.AddSingleton<DirectoryAccessor>();
        services.AddSingleton<ClientAddress>();
        services.AddSingleton<DevIssuer>();
        services.AddSingleton<UserMapper>();
        services.AddSingleton<RoleBindingStore>();
        services.AddSingleton<RbacAccessPolicy>();
        services.AddSingleton<IAccessPolicy>(sp => sp.GetRequiredService<RbacAccessPolicy>());
        services.AddSingleton<CallerResolver>();
        services.AddSingleton<AccessGuard>();
        services.AddIdpAuthentication(options);
        services.AddIdpRateLimits(options);
        services.AddFeatureCheck(_ => options.FeaturesOff());

        // Minimal APIs answer a body they cannot bind (too large, malformed JSON) with a bare status outside Development;
        // throwing lets the error middleware answer the ProblemDetails that names the problem (413 payload-too-large).
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>
    /// Security headers, authentication, rate limits, then the access middleware (permission checks and audit). Call
    /// after <c>UseFunctionApp</c>, so its error handling wraps these. Also maps the identity functions.
    /// </summary>
    public static IApplicationBuilder UseIdentity(this IApplicationBuilder app, IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseMiddleware<AccessMiddleware>(endpoints.DataSources);
        endpoints.MapDevSignInApi();
        endpoints.MapMeApi();
        endpoints.MapRbacApi();
        return app;
    }
}
