using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Catalog;

/// <summary>
/// Identity's view of the catalog, answered from the in-memory index: users by ref, e-mail or annotation, every group
/// a user belongs to (memberOf, then each group's parents via childOf, cycles ignored), and who owns an entity.
/// </summary>
public sealed class CatalogDirectory(CatalogIndex index, CatalogService service) : ICatalogDirectory
{
    public async ValueTask<DirectoryUser?> GetUserAsync(string userRef, CancellationToken cancellationToken)
    {
        await service.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        return EntityRef.TryParse(userRef, "User", null, out var parsed) && index.Get(parsed.ToString()) is { Kind: "User" } user ? ToUser(user) : null;
    }

    public async ValueTask<DirectoryUser?> FindUserAsync(string? annotation, string value, CancellationToken cancellationToken)
    {
        await service.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var key = annotation is null ? "spec.profile.email" : "metadata.annotations." + annotation.ToLowerInvariant();
        var query = new EntityQuery([new FilterSet([new FilterCondition("kind", ["user"]), new FilterCondition(key, [value.Trim().ToLowerInvariant()])])], []);
        var page = index.Query(query, 1);
        return page.Items.Count == 1 ? ToUser(page.Items[0]) : null;
    }

    public async ValueTask<IReadOnlyList<string>> GetOwnersAsync(string entityRef, CancellationToken cancellationToken)
    {
        await service.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        if (!EntityRef.TryParse(entityRef, null, null, out var parsed) || index.Get(parsed.ToString()) is not { } record)
        {
            return [];
        }

        var owners = record.Relations.Where(r => r.Type == RelationTypes.OwnedBy).Select(r => r.TargetRef).ToList();
        if (record.Kind == "Group" && !owners.Contains(record.RefKey))
        {
            owners.Insert(0, record.RefKey);
        }

        return owners;
    }

    public async ValueTask<IReadOnlyList<DirectoryUser>> ListUsersAsync(CancellationToken cancellationToken)
    {
        await service.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var users = index.Query(new EntityQuery([new FilterSet([new FilterCondition("kind", ["user"])])], []), CatalogIndexLimits.MaxUsers);
        return users.Items.Select(ToUser).ToList();
    }

    private DirectoryUser ToUser(EntityRecord user)
    {
        var groups = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(user.Relations.Where(r => r.Type == RelationTypes.MemberOf).Select(r => r.TargetRef));
        while (pending.Count > 0)
        {
            var group = pending.Dequeue();
            if (!seen.Add(group))
            {
                continue;
            }

            groups.Add(group);
            if (index.Get(group) is { } record)
            {
                foreach (var parent in record.Relations.Where(r => r.Type == RelationTypes.ChildOf))
                {
                    pending.Enqueue(parent.TargetRef);
                }
            }
        }

        return new DirectoryUser(user.RefKey, user.DisplayName ?? user.Title ?? user.Name, user.Email, groups, user.Annotations);
    }
}

/// <summary>Bounds on directory answers.</summary>
public static class CatalogIndexLimits
{
    public const int MaxUsers = 10_000;
}
