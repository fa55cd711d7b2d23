using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace IdpServerless.Functions.Deployments.Judgement;

/// <summary>What a two-sample rank-sum test found.</summary>
/// <param name="U">Mann-Whitney U of the first sample (the canary): the count of (canary, baseline) pairs where the canary's value is larger, ties counting one half.</param>
/// <param name="Z">The normal approximation's z (continuity- and tie-corrected); 0 when every value is equal.</param>
/// <param name="PValue">Two-sided p-value; 1 when every value is equal (nothing tells the samples apart).</param>
public sealed record RankSumResult(double U, double Z, double PValue);

/// <summary>
/// A two-sided Mann-Whitney U (Wilcoxon rank-sum) test. No package served here has one (MathNet.Numerics has the
/// normal distribution and the ranks, not the test), so <see cref="MannWhitneyU"/> is our own small code on top of
/// MathNet; it stands in for SciPy's <c>mannwhitneyu(method="asymptotic")</c> and is named in the README's table.
/// </summary>
public interface IRankSumTest
{
    RankSumResult Test(IReadOnlyList<double> first, IReadOnlyList<double> second);
}

/// <summary>
/// The normal approximation with tie correction and continuity correction, as SciPy computes it: ranks of the pooled
/// samples (ties get the average rank), <c>U1 = R1 - n1(n1+1)/2</c>, <c>mu = n1 n2 / 2</c>,
/// <c>sigma^2 = n1 n2 / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1)))</c>, <c>z = (|U1 - mu| - 1/2) / sigma</c>,
/// <c>p = 2 (1 - Phi(z))</c>, capped at 1.
/// </summary>
public sealed class MannWhitneyU : IRankSumTest
{
    public RankSumResult Test(IReadOnlyList<double> first, IReadOnlyList<double> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count == 0 || second.Count == 0)
        {
            throw new ArgumentException("both samples need at least one value");
        }

        var (n1, n2) = ((double)first.Count, (double)second.Count);
        var n = n1 + n2;
        var pooled = first.Concat(second).ToArray();
        var ranks = pooled.Ranks(RankDefinition.Average);
        var r1 = ranks.Take(first.Count).Sum();
        var u1 = r1 - (n1 * (n1 + 1) / 2);
        var ties = pooled.GroupBy(v => v).Select(g => (double)g.Count()).Sum(t => (t * t * t) - t);
        var mu = n1 * n2 / 2;
        var variance = n1 * n2 / 12 * ((n + 1) - (ties / (n * (n - 1))));
        if (variance <= 0 || n < 2)
        {
            return new RankSumResult(u1, 0, 1);
        }

        var z = Math.Max(0, Math.Abs(u1 - mu) - 0.5) / Math.Sqrt(variance);
        var p = Math.Min(1, 2 * (1 - Normal.CDF(0, 1, z)));
        return new RankSumResult(u1, Math.Sign(u1 - mu) * z, p);
    }
}
