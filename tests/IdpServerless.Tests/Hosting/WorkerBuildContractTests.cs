using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Infrastructure;
using IdpServerless.Hosting.Durable;
using IdpServerless.Hosting.Functions;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace IdpServerless.Tests.Hosting;

/// <summary>
/// What the Functions host will read, checked against the code's own list of functions: the Worker SDK's output of a
/// real <c>dotnet publish</c> (<c>functions.metadata</c>, <c>extensions.json</c>, <c>worker.config.json</c>), host.json
/// and the settings every <c>%setting%</c> needs in local.settings.sample.json and infra/main.bicep.
/// </summary>
public sealed partial class WorkerBuildContractTests(PublishedApp app) : IClassFixture<PublishedApp>
{
    private static readonly string[] AllMethods = ["get", "post", "put", "patch", "delete", "head", "options"];
    private readonly string _output = app.Output;
    private readonly FunctionRegistry _code = app.Code;

    [Fact]
    public void Functions_metadata_lists_every_function_of_the_code_with_its_trigger_and_binding()
    {
        var published = ReadJson("functions.metadata").EnumerateArray()
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("bindings").EnumerateArray().ToList(), StringComparer.Ordinal);
        var expected = _code.QueueFunctions.Select(q => q.Name).Concat(_code.TimerFunctions.Select(t => t.Name))
            .Concat(_code.DurableFunctions.Select(d => d.Name)).Concat(_code.HttpFunctions.Select(h => h.Name));
        Assert.Equal(expected.Order(StringComparer.Ordinal), published.Keys.Order(StringComparer.Ordinal));

        foreach (var q in _code.QueueFunctions)
        {
            var trigger = Trigger(published[q.Name], "queueTrigger");
            Assert.Equal(q.DeclaredQueue, trigger.GetProperty("queueName").GetString());
        }

        foreach (var t in _code.TimerFunctions)
        {
            var trigger = Trigger(published[t.Name], "timerTrigger");
            Assert.Equal(t.DeclaredSchedule, trigger.GetProperty("schedule").GetString());
            Assert.Equal(t.RunOnStartup, trigger.TryGetProperty("runOnStartup", out var r) && r.GetBoolean());
        }

        foreach (var d in _code.DurableFunctions)
        {
            Trigger(published[d.Name], d.IsOrchestrator ? "orchestrationTrigger" : "activityTrigger");
        }

        var http = Trigger(published[HttpFrontDoor.FunctionName], "httpTrigger");
        Assert.Equal("{*path}", http.GetProperty("route").GetString());
        Assert.Equal("Anonymous", http.GetProperty("authLevel").GetString());
        Assert.Equal(AllMethods, http.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).ToArray());

        // The flows the code starts and calls exist as functions of the right kind.
        string[] orchestrators = ["Deployment", "ScaffolderTask", "SelfTest"];
        Assert.All(orchestrators, o => Trigger(published[o], "orchestrationTrigger"));
        Assert.All(typeof(IdpServerless.Functions.Deployments.Orchestrations.DeploymentFunctions).GetFields().Select(f => (string)f.GetRawConstantValue()!),
            name => Assert.True(published.ContainsKey(name), $"{name} is not a published function"));
    }

    [Fact]
    public void The_worker_and_its_extensions_are_what_the_host_loads()
    {
        var worker = ReadJson("worker.config.json").GetProperty("description");
        Assert.Equal("dotnet-isolated", worker.GetProperty("language").GetString());
        Assert.Equal("IdpServerless.Functions.dll", worker.GetProperty("defaultWorkerPath").GetString());
        Assert.True(File.Exists(Path.Combine(_output, "IdpServerless.Functions.dll")));

        var extensions = ReadJson("extensions.json").GetProperty("extensions").EnumerateArray()
            .Select(e => (Name: e.GetProperty("name").GetString()!, Hint: e.GetProperty("hintPath").GetString()!)).ToList();
        Assert.Contains(extensions, e => e.Name == "DurableTask");
        Assert.Contains(extensions, e => e.Name == "AzureStorageQueues");
        Assert.All(extensions, e => Assert.True(File.Exists(Path.Combine(_output, e.Hint)), $"{e.Name}: {e.Hint} is not in the publish folder"));
    }

    [Fact]
    public void Host_json_configures_the_isolated_app_as_the_code_expects()
    {
        var host = ReadJson("host.json");
        Assert.Equal("2.0", host.GetProperty("version").GetString());
        Assert.False(host.TryGetProperty("customHandler", out _));
        Assert.False(host.TryGetProperty("extensionBundle", out _), "an isolated app brings its extensions; a bundle would load others");
        var extensions = host.GetProperty("extensions");
        Assert.Equal(string.Empty, extensions.GetProperty("http").GetProperty("routePrefix").GetString());

        var queues = extensions.GetProperty("queues");
        Assert.Equal("none", queues.GetProperty("messageEncoding").GetString());
        Assert.Equal(QueueHandlingAttribute.DefaultMaxDequeueCount, queues.GetProperty("maxDequeueCount").GetInt32());
        Assert.All(_code.QueueFunctions, q => Assert.True(q.MaxDequeueCount <= QueueHandlingAttribute.DefaultMaxDequeueCount, $"{q.Name} asks for more attempts than host.json allows"));

        var durable = extensions.GetProperty("durableTask");
        Assert.Equal("%" + FunctionSettings.DurableTaskHub + "%", durable.GetProperty("hubName").GetString());
        var provider = durable.GetProperty("storageProvider");
        var engine = new DurableTaskOptions();
        Assert.Equal("azureStorage", provider.GetProperty("type").GetString());
        Assert.Equal(engine.PartitionCount, provider.GetProperty("partitionCount").GetInt32());
        Assert.Equal(engine.ControlQueueVisibilityTimeout, TimeSpan.Parse(provider.GetProperty("controlQueueVisibilityTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(engine.WorkItemQueueVisibilityTimeout, TimeSpan.Parse(provider.GetProperty("workItemQueueVisibilityTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(engine.MaxQueuePollingInterval, TimeSpan.Parse(provider.GetProperty("maxQueuePollingInterval").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(engine.MaxConcurrentActivities, durable.GetProperty("maxConcurrentActivityFunctions").GetInt32());
        Assert.Equal(engine.MaxConcurrentOrchestrations, durable.GetProperty("maxConcurrentOrchestratorFunctions").GetInt32());
    }

    [Fact]
    public void Every_setting_a_trigger_names_is_set_in_the_sample_settings_and_in_azure()
    {
        var metadata = File.ReadAllText(Path.Combine(_output, "functions.metadata")) + File.ReadAllText(Path.Combine(_output, "host.json"));
        var named = SettingExpression().Matches(metadata).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(FunctionSettings.Defaults.Keys.Order(StringComparer.Ordinal), named.Order(StringComparer.Ordinal));

        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "local.settings.sample.json")));
        var values = sample.RootElement.GetProperty("Values");
        Assert.Equal("dotnet-isolated", values.GetProperty("FUNCTIONS_WORKER_RUNTIME").GetString());
        var bicep = File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "main.bicep"));
        foreach (var key in named)
        {
            var setting = FunctionSettings.AppSetting(key);
            Assert.True(values.TryGetProperty(setting, out var v), $"local.settings.sample.json lacks {setting}");
            Assert.Equal(FunctionSettings.Defaults[key], v.GetString());
            Assert.Contains($"name: '{setting}'", bicep, StringComparison.Ordinal);
        }
    }

    private JsonElement ReadJson(string file)
    {
        var path = Path.Combine(_output, file);
        Assert.True(File.Exists(path), $"{file} is not in the publish folder");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    private static JsonElement Trigger(List<JsonElement> bindings, string type)
    {
        var trigger = Assert.Single(bindings, b => b.GetProperty("type").GetString() == type);
        Assert.Equal("In", trigger.GetProperty("direction").GetString());
        return trigger;
    }

    [GeneratedRegex("%([A-Za-z0-9_:]+)%")]
    private static partial Regex SettingExpression();
}

/// <summary>One <c>dotnet publish</c> of the app for the contract tests, and the code's own list of functions.</summary>
public sealed class PublishedApp : IAsyncLifetime
{
    public string Output { get; } = Path.Combine(Path.GetTempPath(), "idp-publish-" + Guid.NewGuid().ToString("N"));

    public FunctionRegistry Code { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var psi = new ProcessStartInfo("dotnet", $"publish \"{Path.Combine(RepoPaths.Root, "functions", "IdpServerless.Functions")}\" -c {RepoPaths.Configuration} --no-restore --nologo -v quiet -o \"{Output}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(p.ExitCode == 0, $"publish failed:\n{await stdout}\n{await stderr}");
        Code = FunctionRegistry.Discover([typeof(AppComposition).Assembly], new ConfigurationBuilder().AddInMemoryCollection(FunctionSettings.Defaults).Build());
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(Output))
        {
            Directory.Delete(Output, recursive: true);
        }

        return Task.CompletedTask;
    }
}
