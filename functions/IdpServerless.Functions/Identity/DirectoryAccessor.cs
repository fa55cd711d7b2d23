using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity;

/// <summary>
/// The catalog's <see cref="ICatalogDirectory"/> when a feature registered one; otherwise an empty directory, so
/// identity works (bootstrap admins only) before the catalog is there.
/// </summary>
public sealed class DirectoryAccessor(IServiceProvider services)
{
    private ICatalogDirectory? _directory;

    public ICatalogDirectory Directory => _directory ??= services.GetService<ICatalogDirectory>() ?? EmptyDirectory.Instance;

    private sealed class EmptyDirectory : ICatalogDirectory
    {
        public static readonly EmptyDirectory Instance = new();

        public ValueTask<DirectoryUser?> GetUserAsync(string userRef, CancellationToken cancellationToken) => ValueTask.FromResult<DirectoryUser?>(null);

        public ValueTask<DirectoryUser?> FindUserAsync(string? annotation, string value, CancellationToken cancellationToken) => ValueTask.FromResult<DirectoryUser?>(null);

        public ValueTask<IReadOnlyList<string>> GetOwnersAsync(string entityRef, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<string>>([]);

        public ValueTask<IReadOnlyList<DirectoryUser>> ListUsersAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<DirectoryUser>>([]);
    }
}
