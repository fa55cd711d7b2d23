using IdpServerless.Hosting.Security;

namespace IdpServerless.Tests.Identity;

/// <summary>
/// A small catalog directory for identity tests (the real one is the catalog's): users with e-mail and annotations,
/// groups with parents (a user's groups are transitive, as the catalog reports them) and entity owners.
/// </summary>
public sealed class InMemoryCatalogDirectory : ICatalogDirectory
{
    private readonly Dictionary<string, (string? DisplayName, string? Email, string[] Groups, Dictionary<string, string> Annotations)> _users = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string?> _groupParents = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _owners = new(StringComparer.OrdinalIgnoreCase);

    public InMemoryCatalogDirectory AddGroup(string name, string? parent = null)
    {
        _groupParents["group:default/" + name] = parent is null ? null : "group:default/" + parent;
        return this;
    }

    public InMemoryCatalogDirectory AddUser(string name, string? email, string[]? groups = null, Dictionary<string, string>? annotations = null)
    {
        _users["user:default/" + name] = (name[..1].ToUpperInvariant() + name[1..], email, (groups ?? []).Select(g => "group:default/" + g).ToArray(), annotations ?? []);
        return this;
    }

    public InMemoryCatalogDirectory AddEntity(string entityRef, string ownerGroup)
    {
        _owners[entityRef] = "group:default/" + ownerGroup;
        return this;
    }

    public ValueTask<DirectoryUser?> GetUserAsync(string userRef, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_users.ContainsKey(userRef) ? ToUser(userRef) : null);

    public ValueTask<DirectoryUser?> FindUserAsync(string? annotation, string value, CancellationToken cancellationToken)
    {
        foreach (var (r, u) in _users)
        {
            var match = annotation is null
                ? string.Equals(u.Email, value, StringComparison.OrdinalIgnoreCase)
                : u.Annotations.TryGetValue(annotation, out var a) && a == value;
            if (match)
            {
                return ValueTask.FromResult<DirectoryUser?>(ToUser(r));
            }
        }

        return ValueTask.FromResult<DirectoryUser?>(null);
    }

    public ValueTask<IReadOnlyList<string>> GetOwnersAsync(string entityRef, CancellationToken cancellationToken)
    {
        if (entityRef.StartsWith("group:", StringComparison.OrdinalIgnoreCase) && _groupParents.ContainsKey(entityRef))
        {
            return ValueTask.FromResult<IReadOnlyList<string>>([entityRef.ToLowerInvariant()]);
        }

        return ValueTask.FromResult<IReadOnlyList<string>>(_owners.TryGetValue(entityRef, out var o) ? [o] : []);
    }

    public ValueTask<IReadOnlyList<DirectoryUser>> ListUsersAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<DirectoryUser>>(_users.Keys.Select(ToUser).ToArray());

    private DirectoryUser ToUser(string userRef)
    {
        var u = _users[userRef];
        var groups = new List<string>();
        foreach (var g in u.Groups)
        {
            for (var current = g; current is not null && !groups.Contains(current); current = _groupParents.GetValueOrDefault(current))
            {
                groups.Add(current);
            }
        }

        return new DirectoryUser(userRef, u.DisplayName, u.Email, groups, u.Annotations);
    }
}
