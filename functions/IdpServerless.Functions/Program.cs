using Azure.Core.Serialization;
using IdpServerless.Functions.Infrastructure;
using IdpServerless.Hosting.Configuration;
using IdpServerless.Hosting.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;

// One assembly, two hosts (docs/architecture.md, "Hosting"): started by the Azure Functions host it is an isolated
// worker whose triggers the host runs; started on its own it serves Kestrel and runs queues, timers and
// orchestrations itself. Both build the same services and the same HTTP pipeline.
if (HostingModeDetector.Detect(args) == HostingMode.FunctionsWorker)
{
    var worker = FunctionsApplication.CreateBuilder(args);
    worker.ConfigureFunctionsWebApplication();
    // Orchestration payloads and activity inputs in the one JSON convention both modes use (web defaults), so that
    // instances started by either are read alike.
    worker.Services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(DurableTaskServiceCollectionExtensions.Json));
    AppComposition.AddServices(worker);
    worker.Build().Run();
    return 0;
}

var builder = WebApplication.CreateSlimBuilder(args);
AppComposition.AddServices(builder);
var app = builder.Build();
AppComposition.MapEndpoints(app);
app.Run();
return 0;

/// <summary>The program, visible to tests and tools that boot it in-process.</summary>
public partial class Program;
