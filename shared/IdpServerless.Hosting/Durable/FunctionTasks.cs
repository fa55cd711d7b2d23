using System.Reflection;
using IdpServerless.Hosting.Functions;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Hosting.Durable;

/// <summary>
/// Standalone mode's bridge from the app's function-based orchestrators and activities (<c>[OrchestrationTrigger]</c>,
/// <c>[ActivityTrigger]</c>: what the Functions host's DurableTask extension invokes) to the Durable Task worker, so
/// both modes run the very same methods.
/// </summary>
internal static class FunctionTasks
{
    public static void Register(DurableTaskRegistry registry, IEnumerable<DurableFunction> functions)
    {
        foreach (var f in functions)
        {
            var function = f;
            if (function.IsOrchestrator)
            {
                registry.AddOrchestrator(function.Name, () => new MethodOrchestrator(function.Method, function.InputType));
            }
            else
            {
                registry.AddActivity(function.Name, sp => new MethodActivity(function.Method, sp));
            }
        }
    }

    /// <summary>
    /// A static <c>Task&lt;T&gt; Run([OrchestrationTrigger] TaskOrchestrationContext)</c> method; it reads its own input,
    /// which the worker deserializes beforehand as <paramref name="inputType"/>.
    /// </summary>
    private sealed class MethodOrchestrator(MethodInfo method, Type inputType) : ITaskOrchestrator
    {
        public Type InputType => inputType;

        public Type OutputType => FunctionMethods.OutputType(method) ?? typeof(object);

        public async Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
        {
            var result = method.Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, [context], culture: null);
            if (result is not Task task)
            {
                return result;
            }

            await task;
            return FunctionMethods.ResultOf(task);
        }
    }

    /// <summary>An activity method: its class created from the work item's services, its input converted to the parameter's type.</summary>
    private sealed class MethodActivity(MethodInfo method, IServiceProvider services) : ITaskActivity
    {
        private readonly ParameterInfo _input = method.GetParameters().Single(p => p.ParameterType != typeof(CancellationToken));

        public Type InputType => _input.ParameterType;

        public Type OutputType => FunctionMethods.OutputType(method) ?? typeof(object);

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            var target = method.IsStatic ? null : ActivatorUtilities.GetServiceOrCreateInstance(services, method.DeclaringType!);
            var parameters = method.GetParameters();
            var arguments = new object?[parameters.Length];
            for (var i = 0; i < parameters.Length; i++)
            {
                arguments[i] = parameters[i] == _input ? input : CancellationToken.None;
            }

            var result = method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
            if (result is not Task task)
            {
                return result;
            }

            await task.ConfigureAwait(false);
            return FunctionMethods.ResultOf(task);
        }
    }
}
