using IdpServerless.Storage;

namespace IdpServerless.Durable.Storage;

/// <summary>
/// The Instances table: one row per instance (partition = escaped id, row <c>i</c>), a projection of the history's
/// state row for status reads and queries. Writes carry the episode number and never replace a newer projection, so
/// a slow writer cannot move an instance's status backwards.
/// </summary>
internal sealed class InstanceStore(TaskHub hub)
{
    public const string Row = "i";

    public static string Key(string instanceId) => TableKeys.Escape(instanceId);

    public async Task<(InstanceState? State, string? ETag)> GetAsync(string instanceId, CancellationToken ct)
    {
        var e = await hub.Instances.GetEntityAsync(Key(instanceId), Row, ct: ct).ConfigureAwait(false);
        return e is null ? (null, null) : (InstanceState.FromEntity(e), e.ETag);
    }

    /// <summary>
    /// Writes the projection of <paramref name="state"/> unless the stored row is from a later episode. Uses the
    /// cached <paramref name="knownETag"/> first (no read in the common case); returns the new ETag.
    /// </summary>
    public async Task<string?> ProjectAsync(InstanceState state, string? knownETag, CancellationToken ct)
    {
        var entity = state.ToEntity(Key(state.InstanceId), Row);
        var etag = knownETag;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (etag is null)
                {
                    var (stored, storedETag) = await GetAsync(state.InstanceId, ct).ConfigureAwait(false);
                    if (stored is null)
                    {
                        return await hub.Instances.AddEntityAsync(entity, ct).ConfigureAwait(false);
                    }

                    if (stored.Episode > state.Episode || (stored.Episode == state.Episode && stored.ExecutionId == state.ExecutionId && stored.Status == state.Status && stored.LastUpdatedTime >= state.LastUpdatedTime))
                    {
                        return storedETag;
                    }

                    etag = storedETag;
                }

                return await hub.Instances.UpdateEntityAsync(entity, etag!, TableUpdateMode.Replace, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StoragePreconditionFailedException or StorageConflictException or StorageNotFoundException)
            {
                etag = null;
            }
        }

        throw new InvalidOperationException($"Could not update the status row of '{state.InstanceId}': it kept changing.");
    }
}
