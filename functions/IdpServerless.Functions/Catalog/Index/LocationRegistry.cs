using System.Collections.Concurrent;
using IdpServerless.Functions.Catalog.Storage;

namespace IdpServerless.Functions.Catalog.Index;

/// <summary>The registered locations in memory (a handful to a few thousand), kept current like the entity index.</summary>
public sealed class LocationRegistry
{
    private readonly ConcurrentDictionary<string, LocationRecord> _locations = new(StringComparer.Ordinal);

    public IReadOnlyList<LocationRecord> All => [.. _locations.Values.OrderBy(l => l.CreatedAt).ThenBy(l => l.Id, StringComparer.Ordinal)];

    public LocationRecord? Get(string id) => _locations.GetValueOrDefault(id);

    public bool Contains(string? id) => id is not null && _locations.ContainsKey(id);

    public LocationRecord? Find(string type, string target) =>
        _locations.Values.FirstOrDefault(l => l.Type == type && l.Target == target);

    public void Set(LocationRecord location) => _locations[location.Id] = location;

    public void Remove(string id) => _locations.TryRemove(id, out _);

    public void Replace(IEnumerable<LocationRecord> locations)
    {
        _locations.Clear();
        foreach (var l in locations)
        {
            _locations[l.Id] = l;
        }
    }
}
