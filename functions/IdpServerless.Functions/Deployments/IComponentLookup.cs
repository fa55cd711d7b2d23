namespace IdpServerless.Functions.Deployments;

/// <summary>A catalog Component as deployments need it.</summary>
/// <param name="Ref">Full ref, <c>component:{namespace}/{name}</c>.</param>
/// <param name="Owner">spec.owner as a full ref, when known.</param>
/// <param name="Annotations">metadata.annotations (the delivery configuration lives there).</param>
public sealed record ComponentInfo(string Ref, string? Owner, IReadOnlyDictionary<string, string> Annotations);

/// <summary>Reads components from the software catalog (implemented over the catalog's index).</summary>
public interface IComponentLookup
{
    /// <summary>The component with this full ref, or null.</summary>
    ValueTask<ComponentInfo?> FindAsync(string componentRef, CancellationToken cancellationToken);
}
