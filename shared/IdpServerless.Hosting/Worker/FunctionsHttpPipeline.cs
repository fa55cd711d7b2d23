using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IdpServerless.Hosting.Worker;

/// <summary>
/// The app's HTTP pipeline (middleware, its one route table and its one authorization point) as a request delegate,
/// for the isolated worker: the host forwards every HTTP request to one catch-all <c>[HttpTrigger]</c> function, which
/// runs this pipeline on the request's <see cref="HttpContext"/>. Standalone, Kestrel runs the same pipeline directly
/// (<see cref="HttpPipelineDefinition"/> is what both call), so routes, authorization and the OpenAPI document cannot differ.
/// </summary>
public sealed class FunctionsHttpPipeline(IServiceProvider services, HttpPipelineDefinition definition)
{
    // The key WebApplication uses to offer itself as the route builder that UseRouting/UseEndpoints share.
    private const string GlobalEndpointRouteBuilderKey = "__GlobalEndpointRouteBuilder";
    private readonly Lazy<RequestDelegate> _pipeline = new(() => Build(services, definition.Configure));

    /// <summary>Runs the app's pipeline on a request the Functions host forwarded (the function's own endpoint is cleared first).</summary>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.SetEndpoint(null);
        context.Request.RouteValues.Clear();
        return _pipeline.Value(context);
    }

    private static RequestDelegate Build(IServiceProvider services, Action<IApplicationBuilder, IEndpointRouteBuilder> configure)
    {
        var app = new ApplicationBuilder(services);
        var routes = new RouteTable(app);
        app.Properties[GlobalEndpointRouteBuilderKey] = routes;
        app.UseRouting();
        configure(app, routes);
        app.UseEndpoints(_ => { });
        return app.Build();
    }

    private sealed class RouteTable(IApplicationBuilder app) : IEndpointRouteBuilder
    {
        public IServiceProvider ServiceProvider => app.ApplicationServices;

        public ICollection<EndpointDataSource> DataSources { get; } = [];

        public IApplicationBuilder CreateApplicationBuilder() => app.New();
    }
}

/// <summary>The app's HTTP pipeline: middleware on the first argument, endpoints on the second.</summary>
public sealed record HttpPipelineDefinition(Action<IApplicationBuilder, IEndpointRouteBuilder> Configure);
