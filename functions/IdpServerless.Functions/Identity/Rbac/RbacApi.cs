using IdpServerless.Functions.Identity.Access;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;

namespace IdpServerless.Functions.Identity.Rbac;

public sealed record CreateBindingRequest(string? Subject, string? Role, string? Scope);

public sealed record BindingList(IReadOnlyList<RoleBinding> Items);

public sealed record RoleInfo(string Name, string Description, bool Everything, IReadOnlyDictionary<string, string> Permissions);

/// <summary>
/// <c>/api/rbac</c>: role bindings, managed by platform-admins (<c>rbac.admin</c>), and the role table itself
/// (readable by anyone signed in).
/// </summary>
public static class RbacApi
{
    public static IEndpointRouteBuilder MapRbacApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/rbac").WithTags("Identity");
        group.MapGet("/roles", ListRoles).WithName("ListRoles").RequirePermission(Permissions.CatalogRead);
        group.MapGet("/bindings", ListAsync).WithName("ListRoleBindings").RequirePermission(Permissions.RbacAdmin);
        group.MapPost("/bindings", CreateAsync).WithName("CreateRoleBinding").RequirePermission(Permissions.RbacAdmin);
        group.MapDelete("/bindings/{id}", DeleteAsync).WithName("DeleteRoleBinding").RequirePermission(Permissions.RbacAdmin);
        return app;
    }

    private static IReadOnlyList<RoleInfo> ListRoles() => Roles.All
        .Select(r => new RoleInfo(r.Name, r.Description, r.Everything, r.Permissions.ToDictionary(p => p.Key, p => p.Value switch
        {
            Reach.Anywhere => "anywhere",
            Reach.Owned => "owned",
            _ => "owned, development environments only",
        })))
        .ToArray();

    private static async Task<BindingList> ListAsync(RoleBindingStore store, CancellationToken ct) =>
        new(await store.ListAsync(ct));

    private static async Task<IResult> CreateAsync(CreateBindingRequest? request, HttpContext http, RoleBindingStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var subject = EntityRefs.TryNormalize(request?.Subject);
        if (subject is null || !(EntityRefs.IsKind(subject, "user") || EntityRefs.IsKind(subject, "group")))
        {
            errors["subject"] = ["must be a User or Group entity ref, e.g. group:default/team-a"];
        }

        var role = request?.Role is { } r ? Roles.Find(r) : null;
        if (role is null)
        {
            errors["role"] = [$"must be one of: {string.Join(", ", Roles.All.Select(x => x.Name))}"];
        }

        string? scope = null;
        if (!string.IsNullOrWhiteSpace(request?.Scope) && (scope = EntityRefs.TryNormalize(request.Scope)) is null)
        {
            errors["scope"] = ["must be an entity ref (kind:namespace/name), or omitted for everywhere the role reaches"];
        }

        if (errors.Count > 0)
        {
            throw ProblemException.Validation(errors);
        }

        http.Audit().Target = subject;
        http.Audit().Detail["role"] = role!.Name;
        if (scope is not null)
        {
            http.Audit().Detail["scope"] = scope;
        }

        try
        {
            var binding = await store.AddAsync(subject!, role.Name, scope, http.GetCaller().UserRef, ct);
            http.Audit().Detail["binding"] = binding.Id;
            return Results.Created($"/api/rbac/bindings/{binding.Id}", binding);
        }
        catch (StorageConflictException)
        {
            throw ProblemException.Conflict($"{subject} already holds {role.Name}{(scope is null ? string.Empty : " on " + scope)} (binding {RoleBindingStore.IdFor(subject!, role.Name, scope)}).");
        }
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, RoleBindingStore store, CancellationToken ct)
    {
        if (id.Length != 24 || !id.All(char.IsAsciiHexDigitLower))
        {
            throw ProblemException.NotFound($"No role binding {id}.");
        }

        var existing = (await store.ListAsync(ct)).FirstOrDefault(b => b.Id == id);
        http.Audit().Detail["binding"] = id;
        if (existing is not null)
        {
            http.Audit().Target = existing.Subject;
            http.Audit().Detail["role"] = existing.Role;
        }

        return await store.RemoveAsync(id, ct) ? Results.NoContent() : throw ProblemException.NotFound($"No role binding {id}.");
    }
}
