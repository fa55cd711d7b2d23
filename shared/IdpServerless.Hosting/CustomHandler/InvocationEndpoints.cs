using IdpServerless.Hosting.Functions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Hosting.CustomHandler;

/// <summary>
/// <c>POST /{FunctionName}</c>: how the Functions host delivers queue and timer triggers to a custom handler.
/// A non-2xx answer fails the invocation and the host retries; after our last attempt the message is written to the
/// poison queue with its reason and we answer 200, so both hosting modes poison the same way.
/// </summary>
public static class InvocationEndpoints
{
    public static IEndpointRouteBuilder MapFunctionInvocations(this IEndpointRouteBuilder app)
    {
        var registry = app.ServiceProvider.GetRequiredService<FunctionRegistry>();
        foreach (var q in registry.QueueFunctions)
        {
            var function = q;
            app.MapPost("/" + function.Name, (HttpContext http, FunctionInvoker invoker, CancellationToken ct) => InvokeQueueAsync(http, function, invoker, ct))
                .ExcludeFromDescription()
                .WithMetadata(new Security.AnonymousFunction("Functions host invocation; the custom handler listens on loopback only"));
        }

        foreach (var t in registry.TimerFunctions)
        {
            var function = t;
            app.MapPost("/" + function.Name, (HttpContext http, FunctionInvoker invoker, TimeProvider time, CancellationToken ct) => InvokeTimerAsync(http, function, invoker, time, ct))
                .ExcludeFromDescription()
                .WithMetadata(new Security.AnonymousFunction("Functions host invocation; the custom handler listens on loopback only"));
        }

        return app;
    }

    private static async Task<IResult> InvokeQueueAsync(HttpContext http, QueueFunction function, FunctionInvoker invoker, CancellationToken ct)
    {
        InvocationEnvelope envelope;
        try
        {
            envelope = InvocationEnvelope.Parse(await ReadBodyAsync(http, ct).ConfigureAwait(false));
        }
        catch (FormatException e)
        {
            return Results.Json(InvocationResult.Of(e.Message), statusCode: StatusCodes.Status400BadRequest);
        }

        var body = envelope.GetText(FunctionMetadataWriter.QueueBinding);
        if (body is null)
        {
            return Results.Json(InvocationResult.Of($"Data.{FunctionMetadataWriter.QueueBinding} is missing."), statusCode: StatusCodes.Status400BadRequest);
        }

        var context = new QueueMessageContext(
            function.Name,
            function.QueueName,
            envelope.GetMetadata("Id") ?? envelope.GetMetadata("MessageId") ?? "unknown",
            body,
            envelope.GetMetadataInt64("DequeueCount", envelope.GetMetadataInt64("DeliveryCount", 1)),
            envelope.GetMetadataTime("InsertionTime") ?? envelope.GetMetadataTime("EnqueuedTimeUtc") ?? DateTimeOffset.UtcNow);
        var (outcome, reason) = await invoker.InvokeQueueAsync(function, context, ct).ConfigureAwait(false);
        return outcome switch
        {
            QueueOutcome.Succeeded => Results.Json(InvocationResult.Of()),
            QueueOutcome.Poisoned => Results.Json(InvocationResult.Of($"Moved to {function.PoisonQueueName}: {reason}")),
            _ => Results.Json(InvocationResult.Of(reason ?? "failed"), statusCode: StatusCodes.Status500InternalServerError),
        };
    }

    private static async Task<IResult> InvokeTimerAsync(HttpContext http, TimerFunction function, FunctionInvoker invoker, TimeProvider time, CancellationToken ct)
    {
        InvocationEnvelope envelope;
        try
        {
            envelope = InvocationEnvelope.Parse(await ReadBodyAsync(http, ct).ConfigureAwait(false));
        }
        catch (FormatException e)
        {
            return Results.Json(InvocationResult.Of(e.Message), statusCode: StatusCodes.Status400BadRequest);
        }

        var timer = envelope.GetJson(FunctionMetadataWriter.TimerBinding);
        var pastDue = timer.ValueKind == System.Text.Json.JsonValueKind.Object &&
                      timer.TryGetProperty("IsPastDue", out var p) && p.ValueKind == System.Text.Json.JsonValueKind.True;
        var ok = await invoker.InvokeTimerAsync(function, new TimerContext(function.Name, time.GetUtcNow(), pastDue), ct).ConfigureAwait(false);
        return ok
            ? Results.Json(InvocationResult.Of())
            : Results.Json(InvocationResult.Of($"Timer {function.Name} failed; see logs."), statusCode: StatusCodes.Status500InternalServerError);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext http, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        await http.Request.Body.CopyToAsync(ms, ct).ConfigureAwait(false);
        return ms.ToArray();
    }
}
