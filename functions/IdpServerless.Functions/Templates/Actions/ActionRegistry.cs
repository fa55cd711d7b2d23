using System.Text.Json.Nodes;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>The actions templates can use, by id.</summary>
public sealed class ActionRegistry(IEnumerable<IScaffolderAction> actions)
{
    private readonly Dictionary<string, IScaffolderAction> _byId = actions.ToDictionary(a => a.Id, StringComparer.Ordinal);

    public IReadOnlyCollection<IScaffolderAction> All => _byId.Values;

    public IScaffolderAction? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>The listing <c>GET /api/scaffolder/v2/actions</c> answers.</summary>
    public JsonArray Describe() => new(_byId.Values.OrderBy(a => a.Id, StringComparer.Ordinal).Select(a => (JsonNode?)new JsonObject
    {
        ["id"] = a.Id,
        ["description"] = a.Description,
        ["schema"] = new JsonObject { ["input"] = a.InputSchema.DeepClone(), ["output"] = a.OutputSchema.DeepClone() },
    }).ToArray());
}
