namespace IdpServerless.Hosting.Security;

/// <summary>A catalog User as identity needs it.</summary>
/// <param name="Ref">Entity ref, e.g. <c>user:default/jane</c>.</param>
/// <param name="DisplayName">spec.profile.displayName or the name.</param>
/// <param name="Email">spec.profile.email.</param>
/// <param name="Groups">Every group the user belongs to, parents included (transitive memberOf + childOf).</param>
/// <param name="Annotations">metadata.annotations (e.g. <c>slack.com/user-id</c>, <c>microsoft.com/email</c>).</param>
public sealed record DirectoryUser(string Ref, string? DisplayName, string? Email, IReadOnlyList<string> Groups, IReadOnlyDictionary<string, string> Annotations);

/// <summary>
/// What identity and authorization read from the software catalog: users, their groups and who owns what.
/// The catalog implements it; answers come from its in-memory index, so calls are cheap.
/// </summary>
public interface ICatalogDirectory
{
    /// <summary>The user with this entity ref, or null.</summary>
    ValueTask<DirectoryUser?> GetUserAsync(string userRef, CancellationToken cancellationToken);

    /// <summary>The user whose <c>spec.profile.email</c> (case-insensitive) or one of whose annotations equals <paramref name="value"/>.</summary>
    /// <param name="annotation">Annotation key to match, or null to match the e-mail.</param>
    /// <param name="value">The e-mail or annotation value.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    ValueTask<DirectoryUser?> FindUserAsync(string? annotation, string value, CancellationToken cancellationToken);

    /// <summary>The owner refs of an entity (<c>spec.owner</c> resolved to a full ref; for a Group, the group itself), empty when unknown.</summary>
    ValueTask<IReadOnlyList<string>> GetOwnersAsync(string entityRef, CancellationToken cancellationToken);

    /// <summary>Every user ref (for the local dev sign-in's user picker).</summary>
    ValueTask<IReadOnlyList<DirectoryUser>> ListUsersAsync(CancellationToken cancellationToken);
}
