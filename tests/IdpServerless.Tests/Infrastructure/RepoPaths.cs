using System.Reflection;

namespace IdpServerless.Tests.Infrastructure;

/// <summary>Where things are in the repository, found from the test assembly's location.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Release or Debug, whichever this test assembly was built as.</summary>
    public static string Configuration { get; } =
        Assembly.GetExecutingAssembly().Location.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The built function app (the test project references it, so it is built first).</summary>
    public static string FunctionsDll => Path.Combine(Root, "functions", "IdpServerless.Functions", "bin", Configuration, "net10.0", "IdpServerless.Functions.dll");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "IdpServerless.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("IdpServerless.sln not found above " + AppContext.BaseDirectory);
    }
}
