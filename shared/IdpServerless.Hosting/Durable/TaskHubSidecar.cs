using System.Net.Sockets;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using IdpServerless.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdpServerless.Hosting.Durable;

/// <summary>
/// The backend half of the engine in standalone mode: DurableTask.AzureStorage's orchestration service (Durable
/// Functions' own provider and task hub layout) behind the Durable Task gRPC API (<c>TaskHubGrpcServer</c>), the same API
/// the Functions host's DurableTask extension offers an isolated worker. It listens on a Unix domain socket in a
/// directory only this user can open, so nothing outside the process's user can reach the task hub through it. The
/// Durable Task worker and <c>DurableTaskClient</c> of the app talk to it through <see cref="Channel"/>.
/// Started before the worker (registration order) and stopped after it.
/// </summary>
public sealed class TaskHubSidecar : IHostedService, IAsyncDisposable
{
    private readonly DurableTaskOptions _options;
    private readonly StorageClient _storage;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly string _directory;
    private readonly DurableDispatch _dispatch;
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _server;
    private AzureStorageOrchestrationService? _service;
    private StopObservedOrchestrationService? _observed;
    private TimeSpan _leaseInterval;
    private Task? _retrying;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SidecarLifetime _lifetime = new();
    private readonly WorkerConnection _worker = new();

    public TaskHubSidecar(IOptions<DurableTaskOptions> options, StorageClient storage, ILoggerFactory loggers, DurableDispatch dispatch)
    {
        _dispatch = dispatch;
        _options = options.Value;
        _storage = storage;
        _loggers = loggers;
        _log = loggers.CreateLogger<TaskHubSidecar>();
        _directory = Path.Combine(Path.GetTempPath(), $"idp-durable-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        SocketPath = Path.Combine(_directory, "taskhub.sock");
        Channel = GrpcChannel.ForAddress("http://taskhub", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = ConnectAsync,
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            },
            // Orchestration inputs, outputs and histories travel whole; the storage provider offloads large ones to blobs.
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            MaxSendMessageSize = 64 * 1024 * 1024,
        });
    }

    /// <summary>The channel the worker and the client use (created up front; it connects on first use).</summary>
    public GrpcChannel Channel { get; }

    /// <summary>Where the gRPC API listens while the app runs.</summary>
    public string SocketPath { get; }

    /// <summary>The orchestration service once started (null before).</summary>
    public AzureStorageOrchestrationService? Service => _service;

    /// <summary>
    /// Creates the task hub (queues, tables, containers) and starts serving, in the background so the app answers HTTP at
    /// once: calls to the task hub wait until it serves (at most <see cref="ReadyTimeout"/>, then they fail as
    /// unavailable: 503). When storage cannot be reached the hub is retried with back-off.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = Settings();
        _leaseInterval = settings.LeaseInterval;
        _service = new AzureStorageOrchestrationService(settings);
        _observed = new StopObservedOrchestrationService(_service, _log, _options.TaskHub);
        _retrying = Task.Run(() => ServeUntilReadyAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>How long a call to the task hub waits for it to start serving.</summary>
    public static TimeSpan ReadyTimeout { get; } = TimeSpan.FromSeconds(30);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_retrying is not null)
        {
            await _retrying.ConfigureAwait(false);
        }

        // The gRPC server starts the provider (and its partition leases) only once a worker has connected, and stops it
        // (releasing the leases, so another instance takes them over at once) when told the app is stopping. Telling it
        // before a worker connected would make it stop a provider that never started, which throws on a thread of its own.
        if (_worker.Connected)
        {
            _lifetime.Stop();
            await AwaitProviderStopAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken).ConfigureAwait(false);
            await _server.DisposeAsync().ConfigureAwait(false);
            _server = null;
        }

        TryDeleteDirectory();
    }

    /// <summary>
    /// Waits until the provider has drained its control queues and released its partition leases (normally a second or
    /// two), so another instance takes the partitions over at once and nothing of this one still talks to storage once the
    /// app reports stopped. Bounded by the host's shutdown timeout: a work item whose worker never answers keeps the
    /// dispatchers (and so the provider's stop) waiting; then the leases simply expire.
    /// </summary>
    private async Task AwaitProviderStopAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await _observed!.Stopped.WaitAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                Logs.Stopped(_log, _options.TaskHub);
            }
        }
        catch (OperationCanceledException)
        {
            Logs.StopUnfinished(_log, _options.TaskHub, _leaseInterval.TotalSeconds);
        }
    }

    private async Task ServeUntilReadyAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(2);
        for (var attempt = 1; !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                await ServeAsync(ct).ConfigureAwait(false);
                _ready.TrySetResult();
                if (attempt > 1)
                {
                    Logs.Recovered(_log, _options.TaskHub);
                }

                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Logs.Unreachable(_log, _options.TaskHub, e.GetType().Name, e.Message);
            }

            try
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
        }
    }

    private async Task ServeAsync(CancellationToken cancellationToken)
    {
        await _service!.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(_directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(SocketPath, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton(_worker);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = 64 * 1024 * 1024;
            o.MaxSendMessageSize = 64 * 1024 * 1024;
            o.Interceptors.Add<WorkerConnection>();
        });
        var service = _service;
        var observed = _observed!;
        var loggers = _loggers;
        var lifetime = _lifetime;
        // Without a worker in this process (Dispatch:Enabled=false) it only answers the management calls.
        var mode = _dispatch.Enabled ? TaskHubGrpcServerMode.ApiServerAndDispatcher : TaskHubGrpcServerMode.ApiServerOnly;
        builder.Services.AddSingleton(_ => new TaskHubGrpcServer(lifetime, loggers, observed, service, Options.Create(new TaskHubGrpcServerOptions { Mode = mode })));
        var server = builder.Build();
        server.MapGrpcService<TaskHubGrpcServer>();
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
        _server = server;
        _lifetime.Started();
        Logs.Started(_log, _options.TaskHub, _options.PartitionCount, SocketPath);
    }

    private AzureStorageOrchestrationServiceSettings Settings() => new()
    {
        TaskHubName = _options.TaskHub,
        PartitionCount = _options.PartitionCount,
        ControlQueueVisibilityTimeout = _options.ControlQueueVisibilityTimeout,
        WorkItemQueueVisibilityTimeout = _options.WorkItemQueueVisibilityTimeout,
        MaxQueuePollingInterval = _options.MaxQueuePollingInterval,
        MaxConcurrentTaskActivityWorkItems = _options.MaxConcurrentActivities,
        MaxConcurrentTaskOrchestrationWorkItems = _options.MaxConcurrentOrchestrations,
        ExtendedSessionsEnabled = _options.ExtendedSessions,
        LeaseAcquireInterval = _options.LeaseAcquireInterval,
        StorageAccountClientProvider = new StorageAccountClientProvider(
            new SdkClientProvider<Azure.Storage.Blobs.BlobServiceClient, Azure.Storage.Blobs.BlobClientOptions>(() => Patient(_storage.NewBlobOptions()), _storage.CreateBlobService),
            new SdkClientProvider<Azure.Storage.Queues.QueueServiceClient, Azure.Storage.Queues.QueueClientOptions>(() => Patient(_storage.NewQueueOptions()), _storage.CreateQueueService),
            new SdkClientProvider<Azure.Data.Tables.TableServiceClient, Azure.Data.Tables.TableClientOptions>(() => Patient(_storage.NewTableOptions()), _storage.CreateTableService)),
        LoggerFactory = _loggers,
        // Refuse (rather than silently drop) a start whose id has an unfinished instance: callers get 409.
        ThrowExceptionOnInvalidDedupeStatus = true,
    };

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        Channel.Dispose();
        _stopping.Dispose();
        TryDeleteDirectory();
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await _ready.Task.WaitAsync(ReadyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new HttpRequestException($"The task hub {_options.TaskHub} is not serving yet (storage unreachable?).", e);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void TryDeleteDirectory()
    {
        try
        {
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaning.
        }
    }

    /// <summary>
    /// The provider's storage calls retry for about two minutes (the app's own, a few seconds): a work item whose
    /// completion fails is never released by the gRPC server, so after a storage outage it would stay stuck; retrying
    /// rides the outage out instead.
    /// </summary>
    private static T Patient<T>(T options)
        where T : Azure.Core.ClientOptions
    {
        options.Retry.Mode = Azure.Core.RetryMode.Exponential;
        options.Retry.MaxRetries = 12;
        options.Retry.Delay = TimeSpan.FromSeconds(1);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(15);
        return options;
    }

    /// <summary>
    /// The gRPC server's view of the app's life: started once it listens, stopping only when we say so. The tokens are
    /// taken once and the sources are not disposed: the server's hosted services read <see cref="ApplicationStopping"/>
    /// while they shut down, which can be after the sidecar is disposed (reading a disposed source's token threw
    /// ObjectDisposedException on a thread of its own and crashed the process at exit). Disposing them here would only
    /// have freed what they do not hold (no timer, no wait handle); cancelling them at disposal would stop a provider that
    /// may never have started.
    /// </summary>
    private sealed class SidecarLifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource _started = new();
        private readonly CancellationTokenSource _stopping = new();
        private readonly CancellationTokenSource _stopped = new();

        public SidecarLifetime()
        {
            ApplicationStarted = _started.Token;
            ApplicationStopping = _stopping.Token;
            ApplicationStopped = _stopped.Token;
        }

        public CancellationToken ApplicationStarted { get; }

        public CancellationToken ApplicationStopping { get; }

        public CancellationToken ApplicationStopped { get; }

        public void Started() => _started.Cancel();

        public void Stop() => _stopping.Cancel();

        public void StopApplication() => Stop();
    }

    /// <summary>Notes when a worker opens the work-item stream (from then on the provider runs).</summary>
    private sealed class WorkerConnection : Grpc.Core.Interceptors.Interceptor
    {
        private volatile bool _connected;

        public bool Connected => _connected;

        public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, Grpc.Core.IServerStreamWriter<TResponse> responseStream,
            Grpc.Core.ServerCallContext context, Grpc.Core.ServerStreamingServerMethod<TRequest, TResponse> continuation)
        {
            if (context.Method.EndsWith("/GetWorkItems", StringComparison.Ordinal))
            {
                _connected = true;
            }

            return continuation(request, responseStream, context);
        }
    }

    /// <summary>Hands DurableTask.AzureStorage clients built like the app's own: same credential, retries and pinned API version.</summary>
    private sealed class SdkClientProvider<TClient, TOptions>(Func<TOptions> options, Func<TOptions, TClient> create) : IStorageServiceClientProvider<TClient, TOptions>
        where TOptions : Azure.Core.ClientOptions
    {
        public TOptions CreateOptions() => options();

        public TClient CreateClient(TOptions clientOptions) => create(clientOptions);
    }
}

/// <summary>Whether this process runs a Durable Task worker (false: it only starts and manages instances).</summary>
public sealed record DurableDispatch(bool Enabled);

internal static partial class Logs
{
    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Task hub {TaskHub} cannot be reached ({Error}: {Message}); orchestration calls answer 503 and it is retried")]
    public static partial void Unreachable(ILogger logger, string taskHub, string error, string message);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Information, Message = "Task hub {TaskHub} reached: serving")]
    public static partial void Recovered(ILogger logger, string taskHub);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, Message = "Task hub {TaskHub} was still draining when the shutdown timeout ran out; its partition leases expire within {LeaseSeconds} s")]
    public static partial void StopUnfinished(ILogger logger, string taskHub, double leaseSeconds);

    [LoggerMessage(EventId = 1506, Level = LogLevel.Information, Message = "Task hub {TaskHub} stopped: control queues drained, partition leases released")]
    public static partial void Stopped(ILogger logger, string taskHub);

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Durable Task on Azure Storage: task hub {TaskHub}, {Partitions} partitions, gRPC API on {Socket}")]
    public static partial void Started(ILogger logger, string taskHub, int partitions, string socket);
}
