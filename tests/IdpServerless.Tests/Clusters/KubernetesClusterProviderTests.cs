using System.Net;
using System.Net.Sockets;
using IdpServerless.Functions.Clusters;
using IdpServerless.Tests.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IdpServerless.Tests.Clusters;

/// <summary>
/// The Kubernetes cluster provider (KubernetesClient) against a loopback fake of the API server: what it reads, how
/// it authenticates (token, kubeconfig contexts, an exec credential plugin) and how every failure reads.
/// </summary>
public sealed class KubernetesClusterProviderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("idp-k8s-").FullName;
    private readonly CapturedLogs _logs = new();
    private readonly List<KubernetesClusterProvider> _providers = [];

    public void Dispose()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Kubernetes_workloads_nodes_and_events_are_read_from_its_API()
    {
        await using var fake = await FakeKubernetesApi.StartAsync("secret-token");
        var provider = Provider(("east", new KubernetesClusterOptions { Server = fake.Url, Token = "secret-token", Region = "eastus" }), grafana: "https://grafana.example/");

        var cluster = Assert.Single(await provider.ListClustersAsync(default));
        var workloads = (await provider.GetWorkloadsAsync("east", "shop", "web", default)).ToDictionary(w => w.Track);
        var events = await provider.GetEventsAsync("east", "shop", "web", default);
        var none = await provider.GetWorkloadsAsync("east", "empty", "web", default);

        Assert.Equal(("east", "kubernetes", "eastus", "Degraded", 2), (cluster.Name, cluster.Provider, cluster.Region, cluster.Status, cluster.Nodes));
        Assert.Equal((1, 8), (cluster.Cpu.Used, cluster.Cpu.Capacity)); // 2 × (4 - 3500m) of 2 × 4 cores
        Assert.Equal((2, 32), (cluster.Memory.Used, cluster.Memory.Capacity)); // 16Gi and 16777216Ki, 15Gi allocatable each
        Assert.Equal("https://grafana.example/d/cluster?var-cluster=east", cluster.GrafanaUrl);
        Assert.Equal(("1.0.0", "Healthy", 3, null), (workloads["stable"].Version, workloads["stable"].Status, workloads["stable"].Replicas.Ready, workloads["stable"].Message));
        Assert.Equal(("2.0.0", "Degraded", "pods of web-canary are crash-looping"), (workloads["canary"].Version, workloads["canary"].Status, workloads["canary"].Message));
        Assert.Equal(("Degraded", "ReplicaSet \"web-preview-6b7\" has timed out progressing."), (workloads["preview"].Status, workloads["preview"].Message));
        Assert.Empty(none);
        Assert.All(fake.Requests.Where(r => !r.Path.EndsWith("/events", StringComparison.Ordinal) && r.Path != "/api/v1/nodes"), r => Assert.Equal("app=web", r.LabelSelector));
        Assert.All(fake.Requests, r => Assert.Equal("Bearer secret-token", r.Authorization));
        Assert.Equal(
            [("Warning", "BackOff", "pod/web-canary-7d9f-abcde", new DateTimeOffset(2026, 11, 21, 10, 5, 0, TimeSpan.Zero)), ("Normal", "ScalingReplicaSet", "deployment/web-stable", new DateTimeOffset(2026, 11, 21, 10, 1, 0, 123, 456, TimeSpan.Zero))],
            events.Select(e => (e.Type, e.Reason, e.Object, e.At)));
        await Assert.ThrowsAsync<ClusterNotFoundException>(() => provider.GetWorkloadsAsync("west", "shop", "web", default));
    }

    [Fact]
    public async Task A_kubeconfig_with_two_contexts_uses_the_chosen_context_or_else_the_current_one()
    {
        await using var dev = await FakeKubernetesApi.StartAsync("dev-token");
        await using var prod = await FakeKubernetesApi.StartAsync("prod-token");
        var kubeconfig = Write("kubeconfig", $$"""
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters:
              - name: dev-cluster
                cluster: {server: "{{dev.Url}}"}
              - name: prod-cluster
                cluster: {server: "{{prod.Url}}"}
            contexts:
              - name: dev
                context: {cluster: dev-cluster, user: dev-user, namespace: shop}
              - name: prod
                context: {cluster: prod-cluster, user: prod-user}
            users:
              - name: dev-user
                user: {token: dev-token}
              - name: prod-user
                user: {token: prod-token}
            """);
        var provider = Provider(
            ("east", new KubernetesClusterOptions { Kubeconfig = kubeconfig, Context = "prod", Region = "eastus" }),
            ("west", new KubernetesClusterOptions { Kubeconfig = kubeconfig, Region = "westus" }));

        var clusters = await provider.ListClustersAsync(default);
        var east = await provider.GetWorkloadsAsync("east", "shop", "web", default);

        Assert.Equal([("east", 2), ("west", 2)], clusters.Select(c => (c.Name, c.Nodes)));
        Assert.Equal(3, east.Count);
        Assert.Equal(["/api/v1/namespaces/shop/pods", "/api/v1/nodes", "/apis/apps/v1/namespaces/shop/deployments"], prod.Requests.Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.All(prod.Requests, r => Assert.Equal("Bearer prod-token", r.Authorization));
        Assert.Equal(["/api/v1/nodes"], dev.Requests.Select(r => r.Path));
        Assert.All(dev.Requests, r => Assert.Equal("Bearer dev-token", r.Authorization));
    }

    [Fact]
    public async Task Server_and_Token_take_the_place_of_the_kubeconfigs_server_and_credentials()
    {
        await using var fake = await FakeKubernetesApi.StartAsync("override-token");
        var kubeconfig = Write("kubeconfig", """
            apiVersion: v1
            kind: Config
            current-context: only
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
            contexts: [{name: only, context: {cluster: c, user: u}}]
            users: [{name: u, user: {token: kubeconfig-token}}]
            """);
        var provider = Provider(("east", new KubernetesClusterOptions { Kubeconfig = kubeconfig, Server = fake.Url, Token = "override-token" }));

        var cluster = Assert.Single(await provider.ListClustersAsync(default));

        Assert.Equal(("Degraded", 2), (cluster.Status, cluster.Nodes));
        Assert.Equal("Bearer override-token", Assert.Single(fake.Requests).Authorization);
    }

    [Fact]
    public async Task A_kubeconfig_user_that_is_an_exec_credential_plugin_authenticates_with_the_plugins_token()
    {
        await using var fake = await FakeKubernetesApi.StartAsync("exec-token-4711");
        var info = Path.Combine(_dir, "exec-info.json");
        var plugin = WriteScript("credential-plugin.sh", $$"""
            #!/bin/sh
            # A client-go credential plugin: KUBERNETES_EXEC_INFO says what the client asks for; stdout is an ExecCredential.
            printf '%s' "$KUBERNETES_EXEC_INFO" > '{{info}}'
            cat <<'EOF'
            {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": "exec-token-4711", "expirationTimestamp": "2099-01-01T00:00:00Z"} }
            EOF
            """);
        var kubeconfig = Write("kubeconfig", $$"""
            apiVersion: v1
            kind: Config
            current-context: east
            clusters:
              - name: east
                cluster:
                  server: "{{fake.Url}}"
            contexts: [{name: east, context: {cluster: east, user: plugin-user} }]
            users:
              - name: plugin-user
                user:
                  exec:
                    apiVersion: client.authentication.k8s.io/v1
                    command: {{plugin}}
                    args: ["--cluster", "east"]
                    interactiveMode: Never
            """);
        var provider = Provider(("east", new KubernetesClusterOptions { Kubeconfig = kubeconfig }));

        var cluster = Assert.Single(await provider.ListClustersAsync(default));
        var workloads = await provider.GetWorkloadsAsync("east", "shop", "web", default);

        Assert.Equal(2, cluster.Nodes);
        Assert.Equal(3, workloads.Count);
        Assert.Equal(3, fake.Requests.Count);
        Assert.All(fake.Requests, r => Assert.Equal("Bearer exec-token-4711", r.Authorization));
        Assert.Contains("client.authentication.k8s.io/v1", await File.ReadAllTextAsync(info), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_is_verified_against_the_kubeconfigs_CA_and_Insecure_skips_the_verification()
    {
        using var certificate = FakeKubernetesApi.CreateCertificate();
        await using var fake = await FakeKubernetesApi.StartAsync(certificate, "secret-token");
        var ca = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
        var kubeconfig = Write("kubeconfig", $$"""
            apiVersion: v1
            kind: Config
            current-context: tls
            clusters:
              - name: tls
                cluster:
                  server: "{{fake.Url}}"
                  certificate-authority-data: {{ca}}
            contexts: [{name: tls, context: {cluster: tls, user: u} }]
            users: [{name: u, user: {token: secret-token} }]
            """);
        var provider = Provider(
            ("trusted", new KubernetesClusterOptions { Kubeconfig = kubeconfig }),
            ("insecure", new KubernetesClusterOptions { Server = fake.Url, Token = "secret-token", Insecure = true }),
            ("untrusted", new KubernetesClusterOptions { Server = fake.Url, Token = "secret-token" }));

        var clusters = (await provider.ListClustersAsync(default)).ToDictionary(c => c.Name);
        var untrusted = await Assert.ThrowsAsync<ClusterUnavailableException>(() => provider.GetWorkloadsAsync("untrusted", "shop", "web", default));

        Assert.StartsWith("https://127.0.0.1:", fake.Url, StringComparison.Ordinal);
        Assert.Equal((2, 2, "Unreachable"), (clusters["trusted"].Nodes, clusters["insecure"].Nodes, clusters["untrusted"].Status));
        Assert.StartsWith("Cluster 'untrusted': the Kubernetes API could not be reached: The SSL connection could not be established", untrusted.Message, StringComparison.Ordinal);
        Assert.Contains("certificate", untrusted.Message[untrusted.Message.IndexOf('(', StringComparison.Ordinal)..], StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(401, "Cluster 'east': the Kubernetes API refused the credentials (401 Unauthorized) for GET {0}; check its Token, kubeconfig user or credential plugin.")]
    [InlineData(403, "Cluster 'east': the portal's identity may not read GET {0} (403 Forbidden): {1} is forbidden: User \"system:serviceaccount:idp:portal\"")]
    [InlineData(404, "Cluster 'east': the Kubernetes API has no GET {0} (404 Not Found): the server could not find the requested resource; check that the server is the cluster's API server.")]
    [InlineData(429, "Cluster 'east': the Kubernetes API is throttling requests (429 Too Many Requests); retry after 7 s.")]
    public async Task An_error_answer_is_a_clear_message_not_an_unhandled_exception(int status, string expected)
    {
        await using var fake = await FakeKubernetesApi.StartAsync("secret-token");
        if (status != 401)
        {
            fake.FailWith(status, status == 429 ? 7 : null);
        }

        var token = status == 401 ? "expired-token" : "secret-token";
        var provider = Provider(("east", new KubernetesClusterOptions { Server = fake.Url, Token = token, Region = "eastus" }));

        var cluster = Assert.Single(await provider.ListClustersAsync(default));
        var workloads = await Assert.ThrowsAsync<ClusterUnavailableException>(() => provider.GetWorkloadsAsync("east", "shop", "web", default));
        var events = await Assert.ThrowsAsync<ClusterUnavailableException>(() => provider.GetEventsAsync("east", "shop", "web", default));

        Assert.Equal(("Unreachable", 0), (cluster.Status, cluster.Nodes));
        var logged = Assert.Single(_logs.Entries, e => e.EventId == 9101);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.StartsWith($"Cluster east is shown as unreachable. {Expected("/api/v1/nodes")}", logged.Message, StringComparison.Ordinal);
        Assert.StartsWith(Expected("/apis/apps/v1/namespaces/shop/deployments"), workloads.Message, StringComparison.Ordinal);
        Assert.StartsWith(Expected("/api/v1/namespaces/shop/events"), events.Message, StringComparison.Ordinal);
        Assert.Equal(("east", status), (workloads.Cluster, workloads.StatusCode));
        Assert.Equal(status == 429 ? TimeSpan.FromSeconds(7) : null, workloads.RetryAfter);
        Assert.All(new[] { workloads.Message, events.Message, logged.Message }, m => Assert.DoesNotContain(token, m, StringComparison.Ordinal));

        string Expected(string path) => string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, path, path.Split('/')[^1]);
    }

    [Fact]
    public async Task An_API_server_that_does_not_answer_in_time_is_a_clear_message_and_the_callers_own_cancellation_stays_a_cancellation()
    {
        await using var fake = await FakeKubernetesApi.StartAsync("secret-token");
        fake.Stall();
        var provider = Provider(
            ("east", new KubernetesClusterOptions { Server = fake.Url, Token = "secret-token", Timeout = TimeSpan.FromMilliseconds(250) }),
            ("patient", new KubernetesClusterOptions { Server = fake.Url, Token = "secret-token", Timeout = TimeSpan.FromMinutes(5) }));

        var east = await Assert.ThrowsAsync<ClusterUnavailableException>(() => provider.GetEventsAsync("east", "shop", "web", default));
        using var cts = new CancellationTokenSource();
        var patient = provider.GetWorkloadsAsync("patient", "shop", "web", cts.Token);
        await fake.StalledRequestAsync("/apis/apps/v1/namespaces/shop/deployments"); // waiting for an answer: the caller gives up
        await cts.CancelAsync();
        var listed = Assert.Single(await Provider(("east", new KubernetesClusterOptions { Server = fake.Url, Token = "secret-token", Timeout = TimeSpan.FromMilliseconds(250) })).ListClustersAsync(default));

        Assert.Equal("Cluster 'east': the Kubernetes API did not answer within 0.25 s (Clusters:Kubernetes:east:Timeout).", east.Message);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => patient);
        Assert.Equal("Unreachable", listed.Status);
        Assert.Contains(_logs.Entries, l => l.EventId == 9101 && l.Message == $"Cluster east is shown as unreachable. {east.Message}");
    }

    [Fact]
    public async Task A_cluster_that_cannot_be_reached_or_whose_configuration_cannot_be_used_is_a_clear_message()
    {
        var closedPort = ClosedPort();
        var badContext = Write("kubeconfig", """
            apiVersion: v1
            kind: Config
            current-context: only
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
            contexts: [{name: only, context: {cluster: c, user: u}}]
            users: [{name: u, user: {token: t}}]
            """);
        var failingPlugin = WriteScript("failing-plugin.sh", "#!/bin/sh\necho 'not signed in' >&2\nexit 1\n");
        var pluginConfig = Write("plugin-kubeconfig", $$"""
            apiVersion: v1
            kind: Config
            current-context: only
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"} }]
            contexts: [{name: only, context: {cluster: c, user: u} }]
            users:
              - name: u
                user:
                  exec:
                    apiVersion: client.authentication.k8s.io/v1
                    command: "{{failingPlugin}}"
            """);
        var provider = Provider(
            ("closed", new KubernetesClusterOptions { Server = $"http://127.0.0.1:{closedPort}", Token = "t" }),
            ("missing", new KubernetesClusterOptions { Kubeconfig = Path.Combine(_dir, "nowhere") }),
            ("context", new KubernetesClusterOptions { Kubeconfig = badContext, Context = "staging" }),
            ("plugin", new KubernetesClusterOptions { Kubeconfig = pluginConfig }),
            ("pod", new KubernetesClusterOptions { InCluster = true }));

        var clusters = await provider.ListClustersAsync(default);
        async Task<string> MessageAsync(string name) => (await Assert.ThrowsAsync<ClusterUnavailableException>(() => provider.GetWorkloadsAsync(name, "shop", "web", default))).Message;

        Assert.All(clusters, c => Assert.Equal("Unreachable", c.Status));
        Assert.Equal(5, _logs.Entries.Count(e => e.EventId == 9101));
        Assert.StartsWith("Cluster 'closed': the Kubernetes API could not be reached: ", await MessageAsync("closed"), StringComparison.Ordinal);
        Assert.StartsWith($"Cluster 'missing': the kubeconfig {Path.Combine(_dir, "nowhere")} could not be used: ", await MessageAsync("missing"), StringComparison.Ordinal);
        Assert.Equal($"Cluster 'context': the kubeconfig {badContext} could not be used: CurrentContext: staging not found in contexts in kubeconfig", await MessageAsync("context"));
        Assert.StartsWith($"Cluster 'plugin': the credential plugin of the kubeconfig {pluginConfig} failed: external exec failed", await MessageAsync("plugin"), StringComparison.Ordinal);
        Assert.StartsWith("Cluster 'pod': the in-cluster configuration could not be used: ", await MessageAsync("pod"), StringComparison.Ordinal);
    }

    [Fact]
    public void Start_up_checks_name_a_cluster_without_a_source_a_context_without_a_kubeconfig_and_conflicting_sources()
    {
        static IServiceCollection Add(params (string Key, string Value)[] settings)
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)).Append(KeyValuePair.Create("Clusters:Provider", (string?)"kubernetes")))
                .Build();
            return new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddClusters(configuration);
        }

        var none = Assert.Throws<InvalidOperationException>(() => Add(("Clusters:Kubernetes:east:Region", "eastus")));
        var context = Assert.Throws<InvalidOperationException>(() => Add(("Clusters:Kubernetes:east:Server", "https://k8s.example"), ("Clusters:Kubernetes:east:Context", "prod")));
        var both = Assert.Throws<InvalidOperationException>(() => Add(("Clusters:Kubernetes:east:Kubeconfig", "/etc/kube/config"), ("Clusters:Kubernetes:east:InCluster", "true")));
        var timeout = Assert.Throws<InvalidOperationException>(() => Add(("Clusters:Kubernetes:east:Server", "https://k8s.example"), ("Clusters:Kubernetes:east:Timeout", "soon")));
        using var services = Add(("Clusters:Kubernetes:east:Kubeconfig", "/etc/kube/config"), ("Clusters:Kubernetes:east:Context", "prod"), ("Clusters:Kubernetes:west:InCluster", "true")).BuildServiceProvider();

        Assert.Equal("Clusters:Kubernetes:east: Server (or Kubeconfig, or InCluster=true) is required.", none.Message);
        Assert.Equal("Clusters:Kubernetes:east: Context needs Kubeconfig.", context.Message);
        Assert.Equal("Clusters:Kubernetes:east: Kubeconfig and InCluster=true exclude each other.", both.Message);
        Assert.Equal("Clusters:Kubernetes:east: Timeout 'soon' is not a positive time span (e.g. 00:00:30).", timeout.Message);
        Assert.IsType<KubernetesClusterProvider>(services.GetRequiredService<IClusterProvider>());
        Assert.Equal(["east", "west"], services.GetRequiredService<IOptions<ClusterOptions>>().Value.Kubernetes.Keys.Order(StringComparer.Ordinal));
    }

    private KubernetesClusterProvider Provider(params (string Name, KubernetesClusterOptions Cluster)[] clusters) => Provider(clusters, null);

    private KubernetesClusterProvider Provider((string Name, KubernetesClusterOptions Cluster) cluster, string? grafana) => Provider([cluster], grafana);

    private KubernetesClusterProvider Provider((string Name, KubernetesClusterOptions Cluster)[] clusters, string? grafana)
    {
        var options = new ClusterOptions { Provider = "kubernetes", GrafanaUrl = grafana };
        foreach (var (name, cluster) in clusters)
        {
            options.Kubernetes[name] = cluster;
        }

        var provider = new KubernetesClusterProvider(Options.Create(options), new LoggerFactory([_logs]).CreateLogger<KubernetesClusterProvider>());
        _providers.Add(provider);
        return provider;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A shell script the credential-plugin tests run (this project's machines and CI are Linux).</summary>
    private string WriteScript(string name, string text)
    {
        var path = Write(name, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
