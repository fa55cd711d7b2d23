using System.Globalization;
using System.Threading.RateLimiting;
using IdpServerless.Functions.Identity.Access;
using IdpServerless.Hosting.Functions;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace IdpServerless.Functions.Identity.Hardening;

/// <summary>
/// Token-bucket rate limits per client address and per signed-in identity (both apply; a bucket holds ten seconds'
/// worth of requests, so short bursts pass). A rejected call gets 429 ProblemDetails with <c>Retry-After</c>. The
/// Functions host's trigger invocations are never limited.
/// </summary>
public static class RateLimits
{
    private const int BurstSeconds = 10;

    public static IServiceCollection AddIdpRateLimits(this IServiceCollection services, IdentityOptions options)
    {
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
                    Exempt(ctx) || options.RateLimitPerAddress == 0
                        ? RateLimitPartition.GetNoLimiter(string.Empty)
                        : Bucket("a|" + ctx.RequestServices.GetRequiredService<ClientAddress>().Of(ctx), options.RateLimitPerAddress)),
                PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
                    Exempt(ctx) || options.RateLimitPerIdentity == 0 || ctx.GetCaller() is not { IsAuthenticated: true } caller
                        ? RateLimitPartition.GetNoLimiter(string.Empty)
                        : Bucket("u|" + caller.UserRef, options.RateLimitPerIdentity)));
            o.OnRejected = async (context, ct) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : 1;
                var http = context.HttpContext;
                http.Response.OnStarting(() =>
                {
                    http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                    return Task.CompletedTask;
                });
                await ProblemMiddleware.WriteAsync(http, new ProblemDetails
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Type = ProblemTypes.RateLimited,
                    Title = "Too many requests.",
                    Detail = $"Slow down: try again in {seconds} s.",
                }).ConfigureAwait(false);
            };
        });
        return services;
    }

    private static RateLimitPartition<string> Bucket(string key, int perSecond) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond * BurstSeconds,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    private static bool Exempt(HttpContext context) =>
        context.GetEndpoint() is { } endpoint && AccessMiddleware.IsHostInvocation(context.RequestServices.GetRequiredService<FunctionRegistry>(), endpoint);
}
