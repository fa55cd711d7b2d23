using System.Security.Cryptography;
using System.Text;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Identity.Rbac;

/// <summary>A role granted to a user or group, everywhere (<see cref="Scope"/> null) or on one entity.</summary>
public sealed record RoleBinding(string Id, string Subject, string Role, string? Scope, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>
/// Role bindings in the <c>rbacbindings</c> table (<c>IDP_RBAC_TABLE</c>) (one partition: they are few and read together). The id is derived
/// from subject, role and scope, so the same grant cannot exist twice. Reads come from a snapshot refreshed every
/// <see cref="RefreshInterval"/> (and at once after a write on this instance), so a change made on another instance
/// takes effect there within that interval.
/// </summary>
public sealed class RoleBindingStore(StorageClient storage, TimeProvider time, IConfiguration configuration)
{
    public const string DefaultTableName = "rbacbindings";
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);
    private const string Partition = "binding";

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Snapshot? _snapshot;
    private bool _tableReady;

    public static string IdFor(string subject, string role, string? scope)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{subject}\n{role}\n{scope}"));
        return Convert.ToHexStringLower(bytes.AsSpan(0, 12));
    }

    public async ValueTask<IReadOnlyList<RoleBinding>> ListAsync(CancellationToken ct)
    {
        var s = _snapshot;
        if (s is not null && time.GetUtcNow() - s.LoadedAt < RefreshInterval)
        {
            return s.Bindings;
        }

        await _refresh.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            s = _snapshot;
            if (s is not null && time.GetUtcNow() - s.LoadedAt < RefreshInterval)
            {
                return s.Bindings;
            }

            var table = await TableAsync(ct).ConfigureAwait(false);
            var list = new List<RoleBinding>();
            await foreach (var e in table.QueryAsync(TableFilter.Eq("PartitionKey", Partition), ct: ct).ConfigureAwait(false))
            {
                list.Add(new RoleBinding(
                    e.RowKey,
                    e.GetString("Subject") ?? string.Empty,
                    e.GetString("Role") ?? string.Empty,
                    e.GetString("Scope"),
                    e.GetString("CreatedBy") ?? string.Empty,
                    e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue));
            }

            var ordered = list.OrderBy(b => b.Subject, StringComparer.Ordinal).ThenBy(b => b.Role, StringComparer.Ordinal).ToArray();
            _snapshot = new Snapshot(ordered, time.GetUtcNow());
            return ordered;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Adds a binding; <see cref="StorageConflictException"/> when the same grant exists.</summary>
    public async Task<RoleBinding> AddAsync(string subject, string role, string? scope, string createdBy, CancellationToken ct)
    {
        var binding = new RoleBinding(IdFor(subject, role, scope), subject, role, scope, createdBy, time.GetUtcNow());
        var table = await TableAsync(ct).ConfigureAwait(false);
        await table.AddEntityAsync(new TableEntity(Partition, binding.Id)
        {
            ["Subject"] = binding.Subject,
            ["Role"] = binding.Role,
            ["Scope"] = binding.Scope,
            ["CreatedBy"] = binding.CreatedBy,
            ["CreatedAt"] = binding.CreatedAt,
        }, ct).ConfigureAwait(false);
        _snapshot = null;
        return binding;
    }

    /// <summary>Removes a binding; false when there was none.</summary>
    public async Task<bool> RemoveAsync(string id, CancellationToken ct)
    {
        var table = await TableAsync(ct).ConfigureAwait(false);
        try
        {
            await table.DeleteEntityAsync(Partition, id, ct: ct).ConfigureAwait(false);
            return true;
        }
        catch (StorageNotFoundException)
        {
            return false;
        }
        finally
        {
            _snapshot = null;
        }
    }

    private async ValueTask<TableClient> TableAsync(CancellationToken ct)
    {
        var table = storage.GetTable(configuration["IDP_RBAC_TABLE"] is { Length: > 0 } name ? name : DefaultTableName);
        if (!_tableReady)
        {
            await table.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
            _tableReady = true;
        }

        return table;
    }

    private sealed record Snapshot(IReadOnlyList<RoleBinding> Bindings, DateTimeOffset LoadedAt);
}
