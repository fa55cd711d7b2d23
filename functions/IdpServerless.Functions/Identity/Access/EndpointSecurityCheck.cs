using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity.Access;

/// <summary>
/// Fail closed: every HTTP function must declare <see cref="RequiredPermission"/> or <see cref="AnonymousFunction"/>,
/// or the app refuses to start, naming each function that declares neither (or both).
/// </summary>
public static class EndpointSecurityCheck
{
    public static void Verify(IEnumerable<EndpointDataSource> sources)
    {
        var problems = new List<string>();
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints))
        {
            var required = endpoint.Metadata.GetMetadata<RequiredPermission>();
            var anonymous = endpoint.Metadata.GetMetadata<AnonymousFunction>();
            if ((required is null) == (anonymous is null))
            {
                problems.Add($"{Describe(endpoint)} {(required is null ? "declares neither RequirePermission nor AllowAnonymousFunction" : "declares both RequirePermission and AllowAnonymousFunction")}");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                "Refusing to start: every HTTP function must say who may call it. " + string.Join("; ", problems) + ".");
        }
    }

    public static string Describe(Endpoint endpoint)
    {
        var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
        var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText;
        var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
        var verb = methods is { Count: > 0 } ? string.Join("|", methods) + " " : string.Empty;
        return $"'{name ?? endpoint.DisplayName}' ({verb}{route})";
    }
}
