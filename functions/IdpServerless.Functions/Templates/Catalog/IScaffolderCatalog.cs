using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Templates.Catalog;

/// <summary>What registering a location produced.</summary>
/// <param name="LocationId">The catalog's id of the location.</param>
/// <param name="EntityRefs">Refs of the entities read from it (first is the main one).</param>
public sealed record CatalogRegistration(string LocationId, IReadOnlyList<string> EntityRefs);

/// <summary>
/// The slice of the software catalog templates need: read Template (and User) entities, register the new component's
/// <c>catalog-info.yaml</c> location, and take it back when a task fails. Implemented over the catalog's own service.
/// </summary>
public interface IScaffolderCatalog
{
    /// <summary>The entity (Backstage JSON) with this ref, or null.</summary>
    Task<JsonObject?> GetEntityAsync(string entityRef, CancellationToken cancellationToken);

    /// <summary>Registers (or finds, when already registered) a location and reads its entities now. Safe to retry.</summary>
    /// <param name="type"><c>git</c> (<c>owner/repo/path</c>), <c>url</c> or <c>file</c>.</param>
    /// <param name="target">The location target.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    Task<CatalogRegistration> RegisterLocationAsync(string type, string target, CancellationToken cancellationToken);

    /// <summary>Removes the location and the entities it produced; false when there was nothing to remove.</summary>
    Task<bool> UnregisterLocationAsync(string type, string target, CancellationToken cancellationToken);
}
