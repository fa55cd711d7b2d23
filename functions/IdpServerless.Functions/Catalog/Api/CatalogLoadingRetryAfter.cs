using IdpServerless.Functions.Catalog.Index;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// While the instance's first catalog load runs, every 503 it answers carries <c>Retry-After</c>: the catalog API's
/// own and those of features that need the catalog first (sign-in resolves groups from it). Outermost in the pipeline,
/// so it also sees the answers the error middleware writes.
/// </summary>
public sealed class CatalogLoadingRetryAfter(CatalogIndex index) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (!index.IsReady)
            {
                var response = context.Response;
                response.OnStarting(() =>
                {
                    if (response.StatusCode == StatusCodes.Status503ServiceUnavailable && !index.IsReady)
                    {
                        response.Headers.RetryAfter = CatalogLoadingException.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    return Task.CompletedTask;
                });
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
