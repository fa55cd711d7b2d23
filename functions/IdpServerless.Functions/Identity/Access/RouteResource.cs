using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity.Access;

/// <summary>
/// The entity a <c>RequirePermission(..., resourceFromRoute: true)</c> function acts on, read from its route values:
/// <c>kind</c>/<c>namespace</c>/<c>name</c>, or <c>namespace</c>/<c>name</c> meaning a component; the environment from
/// <c>environment</c> or <c>env</c> when the route has one.
/// </summary>
public static class RouteResource
{
    public static AccessResource? From(RouteValueDictionary values)
    {
        var name = Value(values, "name");
        var ns = Value(values, "namespace");
        if (name is null || ns is null)
        {
            return null;
        }

        var kind = Value(values, "kind") ?? "component";
        var environment = Value(values, "environment") ?? Value(values, "env");
        var entity = EntityRefs.TryNormalize($"{kind}:{ns}/{name}") ?? $"{kind}:{ns}/{name}".ToLowerInvariant();
        return new AccessResource(entity, environment);
    }

    private static string? Value(RouteValueDictionary values, string key) =>
        values.TryGetValue(key, out var v) && v?.ToString() is { Length: > 0 } s ? s : null;
}
