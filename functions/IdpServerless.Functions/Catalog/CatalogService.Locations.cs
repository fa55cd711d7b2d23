using IdpServerless.Functions.Catalog.Api;
using IdpServerless.Functions.Catalog.Ingestion;
using IdpServerless.Functions.Catalog.Storage;

namespace IdpServerless.Functions.Catalog;

/// <summary>What <c>POST /analyze-location</c> found: the entities a location already holds, or null when it holds no catalog file.</summary>
public sealed record AnalyzeOutcome(LocationSpec Spec, IReadOnlyList<ProcessedEntity>? Entities);

public sealed partial class CatalogService
{
    /// <summary>
    /// Points location <paramref name="id"/> at <paramref name="spec"/> (Backstage's <c>PUT /locations/{id}</c>). Everything
    /// the new target leads to is read and validated, and conflicts are checked, before anything is written: a refusal
    /// (400/409/413) leaves the location, its key and its entities as they were. Null when no such location exists.
    /// </summary>
    public async Task<LocationRecord?> UpdateLocationAsync(string id, LocationSpec spec, CancellationToken ct)
    {
        await EnsureReadyAsync(ct).ConfigureAwait(false);
        var current = locations.Get(id) ?? await store.GetLocationAsync(id, ct).ConfigureAwait(false);
        if (current is null)
        {
            return null;
        }

        spec = Checked(spec);
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (locations.Find(spec.Type, spec.Target) is { } other && other.Id != id)
            {
                throw CatalogProblems.Conflict($"Location {spec} already exists (id {other.Id}).");
            }

            var result = await processor.ProcessAsync(spec, ct).ConfigureAwait(false);
            if (result.Problems.Count > 0)
            {
                throw CatalogProblems.FromProcessing(spec, result.Problems);
            }

            var conflicts = writer.FindConflicts(id, result.Entities);
            if (conflicts.Count > 0)
            {
                throw CatalogProblems.Conflict(
                    $"{conflicts.Count} entit{(conflicts.Count == 1 ? "y is" : "ies are")} already owned by another location: " +
                    string.Join("; ", conflicts.Take(10).Select(c => $"{c.EntityRef} (location {c.ClaimedByTarget ?? c.ClaimedByLocationId})")));
            }

            var updated = current with { Type = spec.Type, Target = spec.Target };
            if (current.Spec != spec)
            {
                // The new key row is taken first (atomic across instances); only then is the old one released.
                if (await store.TryInsertLocationAsync(updated, ct).ConfigureAwait(false) is { } owner && owner != id)
                {
                    throw CatalogProblems.Conflict($"Location {spec} already exists (id {owner}).");
                }

                await store.DeleteLocationKeyAsync(current.Spec, id, ct).ConfigureAwait(false);
                await writer.PublishLocationAsync(updated, id, ct).ConfigureAwait(false);
            }

            return await ApplyAsync(updated, result, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Reads a location without registering it. A file target naming a folder is looked up as
    /// <paramref name="catalogFileName"/> inside it; a file that does not exist holds no entities (null), anything else
    /// wrong in it is a 400 like registration.
    /// </summary>
    public async Task<AnalyzeOutcome> AnalyzeAsync(LocationSpec spec, string catalogFileName, CancellationToken ct)
    {
        await EnsureReadyAsync(ct).ConfigureAwait(false);
        if (spec.Type == LocationSpec.File && Directory.Exists(spec.Target))
        {
            spec = spec with { Target = Path.Combine(spec.Target, catalogFileName) };
        }

        spec = Checked(spec, mustExist: false);
        if (spec.Type == LocationSpec.File && !File.Exists(spec.Target))
        {
            return new AnalyzeOutcome(spec, null);
        }

        var result = await processor.ProcessAsync(spec, ct).ConfigureAwait(false);
        return result.Problems.Count > 0
            ? throw CatalogProblems.FromProcessing(spec, result.Problems)
            : new AnalyzeOutcome(spec, result.Entities);
    }

    /// <summary>The spec validated like registration (400 naming type or target) and a file target made absolute.</summary>
    private LocationSpec Checked(LocationSpec spec, bool mustExist = true)
    {
        try
        {
            reader.Validate(spec, mustExist);
        }
        catch (LocationReadException e)
        {
            throw CatalogProblems.Input(spec.Type is LocationSpec.File or LocationSpec.Url or LocationSpec.Git ? "target" : "type", e.Message, e.Status);
        }

        return spec.Type == LocationSpec.File ? spec with { Target = Path.GetFullPath(spec.Target) } : spec;
    }
}
