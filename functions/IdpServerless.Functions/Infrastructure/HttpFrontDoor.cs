using IdpServerless.Hosting.Worker;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace IdpServerless.Functions.Infrastructure;

/// <summary>
/// The app's one HTTP function under the Functions host: every route (host.json's <c>routePrefix</c> is empty; the host
/// keeps <c>/admin</c> and <c>/runtime/webhooks</c>) comes here over the ASP.NET Core integration and runs the app's own
/// pipeline, so the route table, the authorization point and the OpenAPI document are the ones standalone mode serves.
/// Anonymous at the host: the app authenticates every request itself.
/// </summary>
public sealed class HttpFrontDoor(FunctionsHttpPipeline pipeline)
{
    public const string FunctionName = "HttpFrontDoor";

    [Function(FunctionName)]
    public async Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", "head", "options", Route = "{*path}")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await pipeline.InvokeAsync(request.HttpContext);
        return new EmptyResult();
    }
}
