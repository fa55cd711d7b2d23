using IdpServerless.Functions.Deployments.Judgement;

namespace IdpServerless.Tests.Deployments.Judgement;

public class MannWhitneyUTests
{
    private readonly MannWhitneyU _test = new();

    [Fact]
    public void The_SciPy_documentation_example_gives_SciPys_asymptotic_p_value()
    {
        // scipy.stats.mannwhitneyu docs (SciPy 1.7+), "males" and "females" ages: with method="asymptotic" SciPy
        // answers statistic=17.0, pvalue=0.11134688653314041 (two-sided, continuity-corrected).
        var males = new double[] { 19, 22, 16, 29, 24 };
        var females = new double[] { 20, 11, 17, 12 };

        var r = _test.Test(males, females);

        Assert.Equal(17, r.U);
        Assert.Equal(0.11134688653314041, r.PValue, 1e-12);
    }

    [Fact]
    public void Ties_get_average_ranks_and_shrink_the_variance()
    {
        // By hand (and checked with Python's math.erfc): pooled 1 2 2 2 3 3 3 4, ranks 1, 3 3 3, 6 6 6, 8.
        // R1 = 1 + 3 + 3 + 6 = 13, U1 = 13 - 4*5/2 = 3, mu = 8; ties sum(t^3 - t) = 24 + 24 = 48;
        // sigma^2 = 16/12 * (9 - 48/56) = 10.857142857142856; z = (|3 - 8| - 0.5) / sigma = 1.36569...;
        // p = erfc(z / sqrt 2) = 0.17203370892182296. Without the tie correction it would be 0.1939.
        var r = _test.Test([1, 2, 2, 3], [2, 3, 3, 4]);

        Assert.Equal(3, r.U);
        Assert.Equal(0.17203370892182296, r.PValue, 1e-12);
        Assert.True(r.Z < 0, "the first sample ranks lower, so z is negative");
    }

    [Fact]
    public void All_equal_samples_cannot_be_told_apart()
    {
        var r = _test.Test([0.01, 0.01, 0.01], [0.01, 0.01, 0.01, 0.01]);

        Assert.Equal(6, r.U);
        Assert.Equal(1, r.PValue);
        Assert.Equal(0, r.Z);
    }

    [Fact]
    public void Swapping_the_samples_mirrors_U_and_keeps_the_p_value()
    {
        double[] a = [3.1, 2.7, 4.4, 5.0, 3.3, 2.9, 4.1];
        double[] b = [1.2, 2.2, 3.0, 1.9, 2.5, 2.0];

        var ab = _test.Test(a, b);
        var ba = _test.Test(b, a);

        Assert.Equal(a.Length * b.Length, ab.U + ba.U);
        Assert.Equal(ab.PValue, ba.PValue, 1e-12);
        Assert.True(ab.PValue < 0.05, $"clearly shifted samples: p = {ab.PValue}");
    }

    [Fact]
    public void Empty_samples_are_refused()
    {
        Assert.Throws<ArgumentException>(() => _test.Test([], [1.0]));
    }
}
