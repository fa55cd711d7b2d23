using IdpServerless.Functions.Identity.Access;
using IdpServerless.Functions.Identity.Authentication;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Identity;

public sealed record DevTokenRequest(string? User);

public sealed record DevTokenResponse(
    [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
    [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
    [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn);

public sealed record DevUserItem(string Ref, string DisplayName, string? Email, IReadOnlyList<string> Groups);

/// <summary>
/// The local dev sign-in: <c>POST /api/auth/dev-token</c> issues a token for a catalog user and
/// <c>GET /api/auth/dev-users</c> lists whom one can sign in as. Both answer 404 unless the dev issuer runs
/// (<c>IDP_MODE=local</c>, not in Azure).
/// </summary>
public static class DevSignInApi
{
    public static IEndpointRouteBuilder MapDevSignInApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Identity");
        group.MapPost("/dev-token", IssueAsync).WithName("IssueDevToken")
            .AllowAnonymousFunction("local dev sign-in; answers 404 unless IDP_MODE=local outside Azure");
        group.MapGet("/dev-users", ListAsync).WithName("ListDevUsers")
            .AllowAnonymousFunction("user picker of the local dev sign-in; answers 404 unless IDP_MODE=local outside Azure");
        return app;
    }

    private static async Task<DevTokenResponse> IssueAsync(DevTokenRequest? request, HttpContext http, DevIssuer issuer, IdentityOptions options, UserMapper mapper, CancellationToken ct)
    {
        EnsureOn(issuer, options);
        if (string.IsNullOrWhiteSpace(request?.User))
        {
            throw ProblemException.Validation("user", "is required: a catalog User ref such as user:default/jane");
        }

        if (EntityRefs.TryNormalize(request.User, "user") is not { } userRef || !EntityRefs.IsKind(userRef, "user"))
        {
            throw ProblemException.Validation("user", "must be a User entity ref such as user:default/jane");
        }

        http.Audit().Target = userRef;
        var mapping = await mapper.MapUserRefAsync(userRef, ct);
        if (mapping.User is null)
        {
            throw ProblemException.Validation("user", mapping.Failure ?? "is not a catalog User");
        }

        return new DevTokenResponse(issuer.Issue(mapping.User), "Bearer", (int)DevIssuer.Lifetime.TotalSeconds);
    }

    private static async Task<IReadOnlyList<DevUserItem>> ListAsync(DevIssuer issuer, IdentityOptions options, DirectoryAccessor directory, CancellationToken ct)
    {
        EnsureOn(issuer, options);
        var users = await directory.Directory.ListUsersAsync(ct);
        var items = users
            .Select(u => new DevUserItem(EntityRefs.TryNormalize(u.Ref, "user") ?? u.Ref, u.DisplayName ?? u.Ref, u.Email, u.Groups))
            .ToList();
        foreach (var admin in options.BootstrapAdmins.Where(a => !a.Contains('@', StringComparison.Ordinal)))
        {
            if (!items.Any(i => i.Ref == admin))
            {
                items.Add(new DevUserItem(admin, admin[(admin.IndexOf('/', StringComparison.Ordinal) + 1)..] + " (bootstrap admin)", null, []));
            }
        }

        return items.OrderBy(i => i.Ref, StringComparer.Ordinal).ToArray();
    }

    private static void EnsureOn(DevIssuer issuer, IdentityOptions options)
    {
        if (!issuer.Enabled)
        {
            throw ProblemException.NotFound(options.DevIssuerOffReason);
        }
    }
}
