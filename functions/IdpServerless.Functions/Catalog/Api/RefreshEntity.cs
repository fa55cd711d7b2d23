using System.Text.Json;
using IdpServerless.Functions.Catalog.Functions;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Catalog.Api;

/// <summary>
/// <c>POST /refresh</c> with <c>{entityRef}</c>: queues a refresh of the location that manages the entity (as Backstage
/// marks it for reprocessing) and answers 200 at once; the <c>catalog-refresh</c> queue function does the work.
/// </summary>
public static class RefreshEntity
{
    public static async Task<IResult> PostAsync(HttpRequest request, CatalogService service, CatalogIndex index, StorageClient storage, QueueWakeup wakeup, Microsoft.Extensions.Options.IOptions<CatalogOptions> options, CancellationToken ct)
    {
        await service.EnsureReadyAsync(ct).ConfigureAwait(false);
        var body = await CatalogRequests.ReadObjectAsync(request, ct).ConfigureAwait(false);
        var refKey = CatalogRequests.ParseRef(EntityValidator.AsString(body["entityRef"]) ?? throw CatalogProblems.Input("entityRef", "is required."), "entityRef");
        var record = index.Get(refKey) ?? throw CatalogProblems.NotFound($"No entity named {refKey} exists.");
        if (record.Stored.LocationId is { } locationId)
        {
            var queue = storage.GetQueue(options.Value.RefreshQueue);
            await queue.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
            await queue.SendAsync(JsonSerializer.Serialize(new { locationId }), ct: ct).ConfigureAwait(false);
            wakeup.Notify(options.Value.RefreshQueue);
        }

        return Results.Ok();
    }
}
