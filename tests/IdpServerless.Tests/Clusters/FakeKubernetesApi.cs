using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IdpServerless.Tests.Clusters;

/// <summary>One request the fake received.</summary>
public sealed record KubernetesRequest(string Path, string? LabelSelector, string? Authorization);

/// <summary>
/// A fake Kubernetes API server on 127.0.0.1 (Kestrel: KubernetesClient needs a real HTTP endpoint), answering the
/// subset the cluster provider reads with the documented shapes: <c>NodeList</c>, <c>DeploymentList</c>,
/// <c>PodList</c>, <c>EventList</c>, and a <c>Status</c> object (kind, apiVersion, status Failure, message, reason,
/// code) for every error, as the API server does. Bearer tokens other than the accepted ones answer 401.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly HashSet<string> _tokens;
    private readonly ConcurrentQueue<KubernetesRequest> _requests = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _stalledPaths = [];
    private readonly List<(string Path, TaskCompletionSource Arrived)> _stallWaiters = [];
    private WebApplication? _app;
    private volatile Fault? _fault;
    private volatile bool _stall;

    private FakeKubernetesApi(IEnumerable<string> tokens) => _tokens = new HashSet<string>(tokens, StringComparer.Ordinal);

    /// <summary><c>http://127.0.0.1:{port}</c>.</summary>
    public string Url { get; private set; } = string.Empty;

    public IReadOnlyList<KubernetesRequest> Requests => _requests.ToArray();

    /// <summary>Completes when a request for <paramref name="path"/> has reached the fake while it stalls.</summary>
    public Task StalledRequestAsync(string path)
    {
        lock (_stallWaiters)
        {
            if (_stalledPaths.Contains(path))
            {
                return Task.CompletedTask;
            }

            var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _stallWaiters.Add((path, arrived));
            return arrived.Task;
        }
    }

    public static Task<FakeKubernetesApi> StartAsync(params string[] tokens) => StartAsync(null, tokens);

    /// <summary>On https with <paramref name="certificate"/> when given (as API servers serve), else on http.</summary>
    public static async Task<FakeKubernetesApi> StartAsync(X509Certificate2? certificate, params string[] tokens)
    {
        var fake = new FakeKubernetesApi(tokens);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (certificate is null)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        }

        var app = builder.Build();
        app.Use(fake.GuardAsync);
        Map(app);
        await app.StartAsync();
        fake.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        fake._app = app;
        return fake;
    }

    /// <summary>Every later request answers <paramref name="status"/> with a Status body (and Retry-After when given).</summary>
    public void FailWith(int status, int? retryAfterSeconds = null) => _fault = new Fault(status, retryAfterSeconds);

    /// <summary>Every later request gets no answer until the client gives up (or the fake is disposed).</summary>
    public void Stall() => _stall = true;

    public async ValueTask DisposeAsync()
    {
        _released.TrySetResult();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task GuardAsync(HttpContext http, RequestDelegate next)
    {
        string? authorization = http.Request.Headers.Authorization;
        _requests.Enqueue(new KubernetesRequest(http.Request.Path, http.Request.Query["labelSelector"], authorization));
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal) || !_tokens.Contains(authorization["Bearer ".Length..]))
        {
            await StatusAsync(http, 401, "Unauthorized", "Unauthorized");
            return;
        }

        if (_stall)
        {
            lock (_stallWaiters)
            {
                _stalledPaths.Add(http.Request.Path);
                foreach (var waiter in _stallWaiters.Where(w => w.Path == http.Request.Path).ToList())
                {
                    waiter.Arrived.TrySetResult();
                    _stallWaiters.Remove(waiter);
                }
            }

            var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var registration = http.RequestAborted.Register(() => aborted.TrySetResult());
            await Task.WhenAny(aborted.Task, _released.Task);
            return;
        }

        if (_fault is { } fault)
        {
            var resource = http.Request.Path.Value!.Split('/')[^1];
            var (reason, message) = fault.Status switch
            {
                403 => ("Forbidden", $"{resource} is forbidden: User \"system:serviceaccount:idp:portal\" cannot list resource \"{resource}\" in API group \"\" at the cluster scope"),
                404 => ("NotFound", "the server could not find the requested resource"),
                429 => ("TooManyRequests", "Too many requests, please try again later."),
                _ => ("InternalError", "Internal error occurred"),
            };
            if (fault.RetryAfterSeconds is { } seconds)
            {
                http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            await StatusAsync(http, fault.Status, reason, message);
            return;
        }

        await next(http);
    }

    private static Task StatusAsync(HttpContext http, int code, string reason, string message)
    {
        http.Response.StatusCode = code;
        return http.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", metadata = new { }, status = "Failure", message, reason, code });
    }

    private static void Map(WebApplication app)
    {
        app.MapGet("/api/v1/nodes", () => Results.Json(new
        {
            kind = "NodeList",
            apiVersion = "v1",
            metadata = new { resourceVersion = "1001" },
            items = new[]
            {
                Node("node-a", ready: true, memoryCapacity: "16Gi"),
                Node("node-b", ready: false, memoryCapacity: "16777216Ki"),
            },
        }));
        app.MapGet("/apis/apps/v1/namespaces/{ns}/deployments", (string ns) => Results.Json(new
        {
            kind = "DeploymentList",
            apiVersion = "apps/v1",
            metadata = new { resourceVersion = "1002" },
            items = ns != "shop" ? [] : new object[]
            {
                Deployment("web-stable", "stable", "1.0.0", replicas: 3, ready: 3, updated: 3, deadlineExceeded: false),
                Deployment("web-canary", "canary", "2.0.0", replicas: 1, ready: 0, updated: 1, deadlineExceeded: false),
                Deployment("web-preview", "preview", "3.0.0", replicas: 2, ready: 1, updated: 2, deadlineExceeded: true),
            },
        }));
        app.MapGet("/api/v1/namespaces/{ns}/pods", (string ns) => Results.Json(new
        {
            kind = "PodList",
            apiVersion = "v1",
            metadata = new { resourceVersion = "1003" },
            items = ns != "shop" ? [] : new[]
            {
                new
                {
                    metadata = new { name = "web-canary-7d9f-abcde", @namespace = ns, labels = new Dictionary<string, string> { ["app"] = "web", ["track"] = "canary" } },
                    status = new { phase = "Running", containerStatuses = new[] { new { name = "app", image = "registry.local/web:2.0.0", imageID = "", ready = false, restartCount = 4, state = new { waiting = new { reason = "CrashLoopBackOff", message = "back-off 40s restarting failed container" } } } } },
                },
            },
        }));
        app.MapGet("/api/v1/namespaces/{ns}/events", (string ns) => Results.Json(new
        {
            kind = "EventList",
            apiVersion = "v1",
            metadata = new { resourceVersion = "1004" },
            items = new object[]
            {
                new { metadata = new { name = "web-canary-7d9f-abcde.1", @namespace = ns }, type = "Warning", reason = "BackOff", message = "Back-off restarting failed container", lastTimestamp = "2026-11-21T10:05:00Z", involvedObject = new { kind = "Pod", name = "web-canary-7d9f-abcde", @namespace = ns } },
                new { metadata = new { name = "web-stable.2", @namespace = ns }, type = "Normal", reason = "ScalingReplicaSet", message = "Scaled up replica set web-stable-5c4 to 3", eventTime = "2026-11-21T10:01:00.123456Z", involvedObject = new { kind = "Deployment", name = "web-stable", @namespace = ns } },
                new { metadata = new { name = "other-1.3", @namespace = ns }, type = "Normal", reason = "Scheduled", message = "Successfully assigned", lastTimestamp = "2026-11-21T10:00:00Z", involvedObject = new { kind = "Pod", name = "other-1", @namespace = ns } },
            },
        }));
    }

    private static object Node(string name, bool ready, string memoryCapacity) => new
    {
        metadata = new { name, labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
        status = new
        {
            capacity = new Dictionary<string, string> { ["cpu"] = "4", ["memory"] = memoryCapacity, ["pods"] = "110" },
            allocatable = new Dictionary<string, string> { ["cpu"] = "3500m", ["memory"] = "15Gi", ["pods"] = "110" },
            conditions = new[]
            {
                new { type = "MemoryPressure", status = "False", reason = "KubeletHasSufficientMemory", message = "kubelet has sufficient memory available" },
                new { type = "Ready", status = ready ? "True" : "False", reason = ready ? "KubeletReady" : "KubeletNotReady", message = ready ? "kubelet is posting ready status" : "container runtime network not ready" },
            },
        },
    };

    private static object Deployment(string name, string track, string version, int replicas, int ready, int updated, bool deadlineExceeded) => new
    {
        metadata = new { name, @namespace = "shop", labels = new Dictionary<string, string> { ["app"] = "web", ["track"] = track, ["version"] = version } },
        spec = new
        {
            replicas,
            selector = new { matchLabels = new Dictionary<string, string> { ["app"] = "web", ["track"] = track } },
            template = new { metadata = new { labels = new Dictionary<string, string> { ["app"] = "web", ["track"] = track } }, spec = new { containers = new[] { new { name = "app", image = $"registry.local/web:{version}" } } } },
        },
        status = new
        {
            replicas,
            readyReplicas = ready,
            updatedReplicas = updated,
            conditions = new[]
            {
                deadlineExceeded
                    ? new { type = "Progressing", status = "False", reason = "ProgressDeadlineExceeded", message = $"ReplicaSet \"{name}-6b7\" has timed out progressing." }
                    : new { type = "Progressing", status = "True", reason = "NewReplicaSetAvailable", message = $"ReplicaSet \"{name}-6b7\" has successfully progressed." },
            },
        },
    };

    /// <summary>A self-signed serving certificate for 127.0.0.1 (its own CA, as a test cluster's often is).</summary>
    public static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=kube-apiserver", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    private sealed record Fault(int Status, int? RetryAfterSeconds);
}
