namespace IdpServerless.Functions.Deployments.Analysis;

/// <summary>A condition could not be parsed or evaluated; the message says where and why.</summary>
public sealed class ConditionException(string message) : Exception(message);

/// <summary>
/// Evaluates Argo Rollouts' <c>successCondition</c> / <c>failureCondition</c> expressions over a measurement's
/// <c>result</c> (a number for a scalar query, a list of numbers for a vector). Argo writes them in expr-lang
/// (github.com/expr-lang/expr), which no .NET library implements: <see cref="ExprConditionEvaluator"/> is our own
/// subset of it, the only implementation, and the README's stand-ins table names it.
/// </summary>
public interface IConditionEvaluator
{
    /// <summary>Checks that <paramref name="expression"/> parses (at acceptance, so a typo is a 422, not a failed release).</summary>
    void Validate(string expression);

    /// <summary>The condition's truth for <paramref name="result"/> (a <see cref="double"/> or a list of them).</summary>
    bool Evaluate(string expression, object? result);
}
