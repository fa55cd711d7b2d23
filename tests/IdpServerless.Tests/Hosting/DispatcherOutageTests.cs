using Microsoft.Azure.Functions.Worker;
using System.Collections.Concurrent;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Functions;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdpServerless.Tests.Hosting;

/// <summary>
/// The standalone dispatchers ride out a storage outage: whatever exception storage calls raise meanwhile (a client
/// timeout surfaces as a <see cref="TaskCanceledException"/>, not a storage error), neither dispatcher dies and the host
/// keeps running; when storage is back, queued messages are handled and timers fire again.
/// </summary>
[Collection("azurite")]
public class DispatcherOutageTests(AzuriteFixture azurite)
{
    /// <summary>Passes requests to Azurite, or, during an outage, fails them the way a timed-out HttpClient does.</summary>
    private sealed class OutageHandler : DelegatingHandler
    {
        private int _failed;

        public OutageHandler() : base(new SocketsHttpHandler())
        {
        }

        public volatile bool Down;

        public int Failed => Volatile.Read(ref _failed);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Down)
            {
                Interlocked.Increment(ref _failed);
                return Task.FromException<HttpResponseMessage>(
                    new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout.", new TimeoutException()));
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    public sealed class Recorder
    {
        public ConcurrentBag<string> Messages { get; } = [];

        public ConcurrentQueue<DateTimeOffset> Ticks { get; } = new();
    }

    public sealed class RecordingQueueHandler(Recorder recorder, FunctionInvoker invoker) : IQueueHandler
    {
        [Function("OutageProbe")]
        public Task RunAsync([QueueTrigger("%Outage:Queue%")] Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken) =>
            invoker.RunQueueAsync("OutageProbe", message, this, cancellationToken);

        public Task HandleAsync(QueueMessageContext message, CancellationToken cancellationToken)
        {
            recorder.Messages.Add(message.Body);
            return Task.CompletedTask;
        }
    }

    public sealed class RecordingTimerHandler(Recorder recorder, FunctionInvoker invoker) : ITimerHandler
    {
        [Function("OutageTick")]
        public Task RunAsync([TimerTrigger("* * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
            invoker.RunTimerAsync("OutageTick", timer, this, cancellationToken);

        public Task HandleAsync(TimerContext timer, CancellationToken cancellationToken)
        {
            recorder.Ticks.Enqueue(timer.ScheduledTime);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Dispatchers_survive_a_storage_outage_and_resume_when_storage_returns()
    {
        var queueName = AzuriteFixture.UniqueName("outage");
        var outage = new OutageHandler();
        var recorder = new Recorder();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var services = builder.Services;
        services.AddSingleton(recorder);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new StorageClient(azurite.Account, new HttpClient(outage) { Timeout = Timeout.InfiniteTimeSpan },
            options: new StorageClientOptions { MaxRetryAttempts = 0, RequestTimeout = TimeSpan.FromSeconds(5) }));
        builder.Configuration["Outage:Queue"] = queueName;
        services.AddFunctions(FunctionRegistry.Discover([typeof(RecordingQueueHandler), typeof(RecordingTimerHandler)], builder.Configuration));
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<QueueWakeup>();
        services.Configure<DispatchOptions>(o =>
        {
            o.MinPollingInterval = TimeSpan.FromMilliseconds(20);
            o.MaxPollingInterval = TimeSpan.FromMilliseconds(100);
            o.RetryDelay = TimeSpan.FromMilliseconds(50);
        });
        services.AddHostedService<QueueDispatcher>();
        services.AddHostedService<TimerDispatcher>();
        using var host = builder.Build();
        await host.StartAsync();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var dispatchers = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
        Assert.Equal(2, dispatchers.Count);
        try
        {
            var direct = azurite.CreateClient();
            await direct.GetQueue(queueName).CreateIfNotExistsAsync();
            await Eventually.TrueAsync(() => Task.FromResult(!recorder.Ticks.IsEmpty), TimeSpan.FromSeconds(30), "the timer fires before the outage");

            // Storage goes away long enough for several polls and at least one timer occurrence to fail.
            outage.Down = true;
            var failedAtStart = outage.Failed;
            await Eventually.TrueAsync(() =>
            {
                var dead = dispatchers.FirstOrDefault(d => d.ExecuteTask?.IsCompleted ?? true);
                Assert.True(dead is null, $"{dead?.GetType().Name} stopped during the outage: {dead?.ExecuteTask?.Exception?.GetBaseException().Message}");
                return Task.FromResult(outage.Failed >= failedAtStart + 10);
            }, TimeSpan.FromSeconds(30), "calls fail during the outage");
            var ticksBefore = recorder.Ticks.Count;
            await Eventually.TrueAsync(
                () => Task.FromResult(DateTimeOffset.UtcNow - recorder.Ticks.Last() > TimeSpan.FromSeconds(2.5)),
                TimeSpan.FromSeconds(30), "timer occurrences are skipped while storage is down");
            Assert.Equal(ticksBefore, recorder.Ticks.Count);
            await direct.GetQueue(queueName).SendAsync("sent during the outage");
            Assert.All(dispatchers, d => Assert.False(d.ExecuteTask?.IsCompleted ?? true, "a dispatcher stopped during the outage"));
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the outage stopped the host");

            outage.Down = false;
            await Eventually.TrueAsync(() => Task.FromResult(recorder.Messages.Contains("sent during the outage")), TimeSpan.FromSeconds(30),
                "the message queued during the outage is handled once storage is back");
            var ticksAfterOutage = recorder.Ticks.Count;
            await Eventually.TrueAsync(() => Task.FromResult(recorder.Ticks.Count > ticksAfterOutage), TimeSpan.FromSeconds(30),
                "the timer fires again once storage is back");
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
            Assert.All(dispatchers, d => Assert.False(d.ExecuteTask?.IsCompleted ?? true));
            // Handled messages are deleted: nothing is left to deliver again.
            await Eventually.TrueAsync(async () => (await direct.GetQueue(queueName).PeekAsync(32)).Count == 0, TimeSpan.FromSeconds(30), "the queue drains");
        }
        finally
        {
            outage.Down = false;
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await host.StopAsync(stop.Token);
        }
    }
}
