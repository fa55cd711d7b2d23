using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Hosting.Functions;

/// <summary>
/// Calls a <c>[Function]</c> method as the worker does: its class created from the invocation's DI scope, the trigger
/// value and the cancellation token passed in the parameters that ask for them.
/// </summary>
public static class FunctionMethods
{
    /// <summary>Creates <paramref name="method"/>'s class in <paramref name="scope"/> and calls it; exceptions surface unwrapped.</summary>
    public static async Task<object?> InvokeAsync(MethodInfo method, IServiceProvider scope, object? trigger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(scope);
        var target = method.IsStatic ? null : ActivatorUtilities.GetServiceOrCreateInstance(scope, method.DeclaringType!);
        var parameters = method.GetParameters();
        var arguments = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            arguments[i] = parameters[i].ParameterType == typeof(CancellationToken) ? cancellationToken : trigger;
        }

        var result = method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        if (result is not Task task)
        {
            return result;
        }

        await task.ConfigureAwait(false);
        return ResultOf(task);
    }

    /// <summary>The value of a finished <see cref="Task{TResult}"/>, or null for a plain <see cref="Task"/>.</summary>
    public static object? ResultOf(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var type = task.GetType();
        return type.IsGenericType && type.GetProperty("Result") is { } result && result.PropertyType.Name != "VoidTaskResult" ? result.GetValue(task) : null;
    }

    /// <summary>The value type a method produces: T of Task&lt;T&gt;, or the return type itself; null for Task/void.</summary>
    public static Type? OutputType(MethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var type = method.ReturnType;
        if (type == typeof(void) || type == typeof(Task) || type == typeof(ValueTask))
        {
            return null;
        }

        return type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            ? type.GetGenericArguments()[0]
            : type;
    }
}
