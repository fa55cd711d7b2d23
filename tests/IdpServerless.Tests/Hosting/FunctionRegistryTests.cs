using Azure.Storage.Queues.Models;
using IdpServerless.Hosting.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;

namespace IdpServerless.Tests.Hosting;

/// <summary>Reading the app's functions from their <c>[Function]</c> methods, as the Worker SDK reads them.</summary>
public class FunctionRegistryTests
{
    private static readonly IConfiguration Settings = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["Work:Queue"] = "work-items", ["Work:Schedule"] = "0 */5 * * * *" })
        .Build();

    public sealed class Good
    {
        [Function("Work")]
        [QueueHandling(MaxDequeueCount = 3, MaxConcurrency = 2, VisibilityTimeoutSeconds = 120)]
        public Task WorkAsync([QueueTrigger("%Work:Queue%")] QueueMessage message, CancellationToken cancellationToken) => Task.CompletedTask;

        [Function("Tick")]
        public Task TickAsync([TimerTrigger("%Work:Schedule%", RunOnStartup = true)] TimerInfo timer) => Task.CompletedTask;

        [Function("Fixed")]
        public Task FixedAsync([QueueTrigger("fixed-items")] QueueMessage message) => Task.CompletedTask;

        [Function("Flow")]
        [OrchestrationInput(typeof(int))]
        public static Task<int> FlowAsync([OrchestrationTrigger] TaskOrchestrationContext context) => Task.FromResult(1);

        [Function("Step")]
        public Task<int> StepAsync([ActivityTrigger] int input) => Task.FromResult(input);

        [Function("Front")]
        public Task FrontAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "{*path}")] Microsoft.AspNetCore.Http.HttpRequest request) => Task.CompletedTask;
    }

    public sealed class TakesTheBody
    {
        [Function("Body")]
        public Task RunAsync([QueueTrigger("body-items")] string body) => Task.CompletedTask;
    }

    public sealed class BadName
    {
        [Function("Bad.Name")]
        public Task RunAsync([QueueTrigger("bad-items")] QueueMessage message) => Task.CompletedTask;
    }

    public sealed class BadQueue
    {
        [Function("Fine")]
        public Task RunAsync([QueueTrigger("Upper-Case")] QueueMessage message) => Task.CompletedTask;
    }

    public sealed class MissingSetting
    {
        [Function("Needs")]
        public Task RunAsync([QueueTrigger("%Not:Set%")] QueueMessage message) => Task.CompletedTask;
    }

    public sealed class SameQueueTwice
    {
        [Function("One")]
        public Task OneAsync([QueueTrigger("shared-items")] QueueMessage message) => Task.CompletedTask;

        [Function("Two")]
        public Task TwoAsync([QueueTrigger("shared-items")] QueueMessage message) => Task.CompletedTask;
    }

    public sealed class BadSchedule
    {
        [Function("Sometimes")]
        public Task RunAsync([TimerTrigger("every minute")] TimerInfo timer) => Task.CompletedTask;
    }

    public sealed class UndeclaredInput
    {
        [Function("Flow")]
        public static Task<int> FlowAsync([OrchestrationTrigger] TaskOrchestrationContext context) => Task.FromResult(1);
    }

    public sealed class InstanceOrchestrator
    {
        [Function("Flow")]
        public Task<int> FlowAsync([OrchestrationTrigger] TaskOrchestrationContext context) => Task.FromResult(1);
    }

    [Fact]
    public void Every_trigger_kind_is_read_with_settings_resolved_and_the_declared_form_kept()
    {
        var r = FunctionRegistry.Discover([typeof(Good)], Settings);
        Assert.True(r.TryGetQueue("work", out var q));
        Assert.Equal("work-items", q.QueueName);
        Assert.Equal("%Work:Queue%", q.DeclaredQueue);
        Assert.Equal("work-items-poison", q.PoisonQueueName);
        Assert.Equal((3, 2, TimeSpan.FromMinutes(2)), (q.MaxDequeueCount, q.MaxConcurrency, q.VisibilityTimeout));
        Assert.Equal(typeof(Good), q.HandlerType);
        Assert.Equal(QueueHandlingAttribute.DefaultMaxDequeueCount, r.GetQueue("Fixed").MaxDequeueCount);

        var t = r.GetTimer("TICK");
        Assert.Equal(("0 */5 * * * *", "%Work:Schedule%", true), (t.Schedule, t.DeclaredSchedule, t.RunOnStartup));
        Assert.Equal([("Flow", true, typeof(int)), ("Step", false, typeof(int))], r.DurableFunctions.Select(d => (d.Name, d.IsOrchestrator, d.InputType)).ToArray());
        Assert.Equal("{*path}", Assert.Single(r.HttpFunctions).Route);
        Assert.False(r.TryGetQueue("Tick", out _));
    }

    [Theory]
    [InlineData(typeof(BadName), "not a valid function name")]
    [InlineData(typeof(BadQueue), "not a valid queue name")]
    [InlineData(typeof(MissingSetting), "needs the app setting 'Not:Set'")]
    [InlineData(typeof(SameQueueTwice), "read by more than one function")]
    [InlineData(typeof(TakesTheBody), "may take only its QueueMessage")]
    [InlineData(typeof(InstanceOrchestrator), "must be static")]
    [InlineData(typeof(UndeclaredInput), "must declare [OrchestrationInput")]
    public void A_function_standalone_mode_could_not_run_as_the_host_does_is_refused_at_start_naming_why(Type type, string why)
    {
        var e = Assert.Throws<InvalidOperationException>(() => FunctionRegistry.Discover([type], Settings));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_schedule_is_refused_at_start()
    {
        Assert.Throws<FormatException>(() => FunctionRegistry.Discover([typeof(BadSchedule)], Settings));
    }

    [Fact]
    public void The_app_declares_its_functions_once_each()
    {
        var r = FunctionRegistry.Discover([typeof(IdpServerless.Functions.Infrastructure.AppComposition).Assembly],
            new ConfigurationBuilder().AddInMemoryCollection(IdpServerless.Functions.Infrastructure.FunctionSettings.Defaults).Build());
        Assert.Contains(r.QueueFunctions, q => q.Name == "DiagnosticsProbe" && q.QueueName == "diagnostics-probe");
        Assert.Contains(r.TimerFunctions, t => t.Name == "DurableHealthCheck" && t.Schedule == "0 */5 * * * *");
        Assert.Contains(r.DurableFunctions, d => d.Name == "Deployment" && d.IsOrchestrator);
        Assert.Equal("HttpFrontDoor", Assert.Single(r.HttpFunctions).Name);
    }
}
