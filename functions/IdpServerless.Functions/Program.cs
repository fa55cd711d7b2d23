using IdpServerless.Functions.Infrastructure;

if (FunctionMetadataCommand.TryRun(args, out var exitCode))
{
    return exitCode;
}

var builder = WebApplication.CreateSlimBuilder(args);
AppComposition.AddServices(builder);
var app = builder.Build();
AppComposition.MapEndpoints(app);
app.Run();
return 0;

/// <summary>The program, visible to tests and tools that boot it in-process.</summary>
public partial class Program;
