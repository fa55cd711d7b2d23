using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>
/// The <c>environments</c> input of the deploy actions: names (<c>[dev, staging, prod]</c> or <c>"dev,staging"</c>) or
/// objects in the format of the <c>idp.dev/environments</c> annotation (<c>{name, clusters, strategy, protection, path}</c>).
/// </summary>
internal static partial class EnvironmentList
{
    public sealed record Item(string Name, string Path, string Strategy, JsonNode Declaration);

    public static JsonObject Schema => new()
    {
        ["description"] = "Environments in promotion order: names, or objects as in the idp.dev/environments annotation ({name, clusters, strategy, protection}).",
        ["type"] = new JsonArray("array", "string"),
        ["items"] = new JsonObject
        {
            ["anyOf"] = new JsonArray(
                new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z][a-z0-9-]{0,62}$" },
                new JsonObject { ["type"] = "object", ["required"] = new JsonArray("name"), ["properties"] = new JsonObject { ["name"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z][a-z0-9-]{0,62}$" } } }),
        },
        ["minLength"] = 1,
        ["minItems"] = 1,
    };

    public static IReadOnlyList<Item> Read(JsonNode? node)
    {
        var raw = node switch
        {
            JsonArray a => a.ToList(),
            JsonValue v when v.TryGetValue<string>(out var s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => (JsonNode?)JsonValue.Create(x)).ToList(),
            _ => [],
        };
        var items = new List<Item>();
        foreach (var entry in raw)
        {
            var name = entry is JsonObject o ? o["name"]?.ToString() : entry?.ToString();
            if (name is null || !Name().IsMatch(name))
            {
                throw new ActionFailedException($"input.environments: '{name}' is not an environment name (lowercase letters, digits, '-').");
            }

            if (items.Any(i => i.Name == name))
            {
                throw new ActionFailedException($"input.environments: '{name}' is listed twice.");
            }

            var obj = entry as JsonObject;
            var strategy = obj?["strategy"] switch
            {
                JsonObject s => s["type"]?.ToString() ?? "rolling",
                JsonValue s => s.ToString(),
                _ => "rolling",
            };
            var path = obj?["path"]?.ToString() is { Length: > 0 } p ? p.Trim('/') : name;
            items.Add(new Item(name, TaskWorkspace.NormalizePath(path), strategy, entry!.DeepClone()));
        }

        return items.Count > 0 ? items : throw new ActionFailedException("input.environments must name at least one environment.");
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex Name();
}
