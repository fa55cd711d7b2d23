using IdpServerless.Functions.Deployments.Model;
using IdpServerless.Hosting.Problems;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Deployments;

/// <summary>Turns a user-typed component name into its validated delivery configuration, answering 404/422 otherwise.</summary>
public sealed class ComponentDeliveryResolver(IComponentLookup components, IOptions<DeploymentOptions> options)
{
    public DeploymentOptions Options => options.Value;

    /// <summary>The component's delivery; 404 when the component is unknown, 422 when it declares no or invalid environments.</summary>
    public async Task<ComponentDelivery> ResolveAsync(string? component, string field, CancellationToken cancellationToken)
    {
        var componentRef = ComponentRefs.Normalize(component) ?? throw ProblemException.Validation(field, "must be a component name or ref such as payments-api or component:default/payments-api");
        var info = await components.FindAsync(componentRef, cancellationToken).ConfigureAwait(false)
                   ?? throw ProblemException.NotFound($"Component '{componentRef}' is not in the catalog.");
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var delivery = EnvironmentParser.Parse(info.Ref, info.Annotations, options.Value, errors);
        if (errors.Count > 0)
        {
            throw ProblemException.Validation(errors, $"Component '{info.Ref}' has an invalid delivery configuration.");
        }

        return delivery ?? throw ProblemException.Validation(field, $"Component '{info.Ref}' declares no environments (annotation {EnvironmentParser.EnvironmentsAnnotation}).");
    }

    /// <summary>The environment by name; 404 when the component has no such environment.</summary>
    public static DeliveryEnvironment Environment(ComponentDelivery delivery, string? environment) =>
        (environment is null ? delivery.Environments.FirstOrDefault() : delivery.Find(environment))
        ?? throw ProblemException.NotFound($"Component '{delivery.ComponentRef}' has no environment '{environment}'.");
}
