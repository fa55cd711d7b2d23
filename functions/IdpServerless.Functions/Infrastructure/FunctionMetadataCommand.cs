using IdpServerless.Hosting.CustomHandler;
using IdpServerless.Hosting.Functions;

namespace IdpServerless.Functions.Infrastructure;

/// <summary>
/// <c>IdpServerless.Functions --emit-function-metadata DIR</c>: writes one <c>function.json</c> per function into the
/// app root from the code's registry. The publish target runs it, so the files cannot drift from the code.
/// </summary>
public static class FunctionMetadataCommand
{
    public static bool TryRun(string[] args, out int exitCode)
    {
        var i = Array.IndexOf(args, "--emit-function-metadata");
        if (i < 0)
        {
            exitCode = 0;
            return false;
        }

        if (i + 1 >= args.Length)
        {
            Console.Error.WriteLine("usage: IdpServerless.Functions --emit-function-metadata <app-root>");
            exitCode = 2;
            return true;
        }

        var registry = BuildRegistry();
        FunctionMetadataWriter.Write(registry, args[i + 1]);
        Console.WriteLine($"Wrote function.json for {registry.QueueFunctions.Count} queue, {registry.TimerFunctions.Count} timer and 1 HTTP front-door function to {args[i + 1]}.");
        exitCode = 0;
        return true;
    }

    /// <summary>The registry exactly as the running app builds it (same registrations, nothing started).</summary>
    public static FunctionRegistry BuildRegistry()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration["AzureWebJobsStorage"] ??= "UseDevelopmentStorage=true";
        builder.Configuration["Dispatch:Enabled"] = "false";
        AppComposition.AddServices(builder);
        using var app = builder.Build();
        return app.Services.GetRequiredService<FunctionRegistry>();
    }
}
