using IdpServerless.Functions.Deployments.Analysis;

namespace IdpServerless.Tests.Deployments.Analysis;

/// <summary>Argo Rollouts' condition expressions (expr-lang) over scalar and vector results, table-driven.</summary>
public class ConditionEvaluatorTests
{
    private static readonly ExprConditionEvaluator Conditions = new();

    public static TheoryData<string, object?, bool> Cases => new()
    {
        { "result >= 0.95", 0.97, true },
        { "result >= 0.95", 0.9, false },
        { "result[0] >= 0.95", new[] { 0.99, 0.1 }, true },
        { "result[-1] < 0.5", new[] { 0.99, 0.1 }, true },
        { "result >= 0.95", new[] { 0.97 }, true }, // one-element vector compared as its value (older Argo examples)
        { "len(result) > 0", new double[0], false },
        { "len(result) == 2", new[] { 1.0, 2.0 }, true },
        { "isNaN(result)", double.NaN, true },
        { "isNaN(result)", 0.5, false },
        { "all(result, {# < 0.5})", new[] { 0.1, 0.4 }, true },
        { "all(result, {# < 0.5})", new[] { 0.1, 0.6 }, false },
        { "all(result, # < 1000)", new[] { 10.0, 999.0 }, true },
        { "any(result, {# > 0.5})", new[] { 0.1, 0.6 }, true },
        { "none(result, {# > 0.5})", new[] { 0.1, 0.6 }, false },
        { "one(result, {# > 0.5})", new[] { 0.1, 0.6 }, true },
        { "count(result, {# > 0.05}) >= 2", new[] { 0.1, 0.6, 0.01 }, true },
        { "len(filter(result, {# > 0.5})) == 1", new[] { 0.1, 0.6 }, true },
        { "default(result, 0) == 0", double.NaN, true },
        { "default(result, [1])[0] == 1", new double[0], true },
        { "default(result, 0) >= 0.9", 0.95, true },
        { "result[0] > 0.9 && result[0] < 1", new[] { 0.95 }, true },
        { "result[0] > 0.99 || result[0] < 0.5", new[] { 0.95 }, false },
        { "result > 1 and not (result > 5)", 3.0, true },
        { "!(result < 2) or false", 1.0, false },
        { "sum(result) / len(result) >= 0.5", new[] { 0.4, 0.8 }, true },
        { "mean(result) < 0.7 && max(result) == 0.8 && min(result) == 0.4", new[] { 0.4, 0.8 }, true },
        { "abs(result - 1) < 0.01", 0.995, true },
        { "result * 100 >= 95", 0.96, true },
        { "(result > 0.5 ? 'high' : 'low') == 'high'", 0.7, true },
        { "result in [1, 2, 3]", 2.0, true },
        { "asFloat('0.5') == 0.5", 0.0, true },
        { "result == nil", null, true },
        { "1e-3 < result", 0.01, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_condition_evaluates_as_expr_lang_does(string condition, object? result, bool expected) =>
        Assert.Equal(expected, Conditions.Evaluate(condition, result));

    [Theory]
    [InlineData("result[0] >= 0.95", 0.5, "needs a list")]
    [InlineData("result[0] >= 0.95", null, "needs a list")]
    [InlineData("result[3] > 1", "vector", "out of range")]
    [InlineData("result + ", 1.0, "ends too early")]
    [InlineData("result >= 0.95 )", 1.0, "unexpected ')'")]
    [InlineData("exec('rm')", 1.0, "unknown function 'exec'")]
    [InlineData("env == ''", 1.0, "unknown name 'env'")]
    [InlineData("result", 1.0, "not true or false")]
    [InlineData("# > 1", 1.0, "only meaningful inside a predicate")]
    [InlineData("'open", 1.0, "is not closed")]
    public void A_condition_that_cannot_be_evaluated_says_why(string condition, object? result, string why)
    {
        var value = result as string == "vector" ? new[] { 1.0 } : result;
        var e = Assert.Throws<ConditionException>(() => Conditions.Evaluate(condition, value));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_rejects_a_condition_that_does_not_parse_and_bounds_its_length()
    {
        Conditions.Validate("all(result, {# < 0.5}) && len(result) > 0");
        Assert.Throws<ConditionException>(() => Conditions.Validate("result >="));
        Assert.Throws<ConditionException>(() => Conditions.Validate(new string('(', 10) + "result" + new string(')', 10) + new string(' ', 3000)));
        Assert.Throws<ConditionException>(() => Conditions.Validate(string.Concat(Enumerable.Repeat("(", 100)) + "1" + string.Concat(Enumerable.Repeat(")", 100))));
    }
}
