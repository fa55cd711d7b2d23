using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IdpServerless.Storage;

namespace IdpServerless.Tests.Infrastructure;

/// <summary>
/// Starts a private in-memory Azurite (blob, queue, table) on three free loopback ports and stops exactly that
/// process tree on dispose. Azurite comes from <c>node_modules/.bin/azurite</c> at the repository root
/// (<c>npm ci</c> there; the test project's build does it when missing). Share one instance per test
/// collection with <c>[Collection(AzuriteCollection.Name)]</c>; give each test its own table/queue/container names.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(60);
    private readonly StringBuilder _output = new();
    private readonly List<HttpClient> _clients = [];
    private Process? _process;
    private string? _workDir;
    private bool _persistent;

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    public StorageAccount Account { get; private set; } = null!;

    /// <summary>Explicit-endpoints connection string (devstoreaccount1, well-known key).</summary>
    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=" + StorageAccount.DevelopmentAccountName
        + ";AccountKey=" + StorageAccount.DevelopmentAccountKey
        + $";BlobEndpoint=http://127.0.0.1:{BlobPort}/{StorageAccount.DevelopmentAccountName}"
        + $";QueueEndpoint=http://127.0.0.1:{QueuePort}/{StorageAccount.DevelopmentAccountName}"
        + $";TableEndpoint=http://127.0.0.1:{TablePort}/{StorageAccount.DevelopmentAccountName};";

    /// <summary>A client on its own HttpClient (disposed with the fixture).</summary>
    public StorageClient CreateClient(StorageClientOptions? options = null)
    {
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 256 })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        lock (_clients)
        {
            _clients.Add(http);
        }

        return new StorageClient(Account, http, options: options);
    }

    /// <summary>A unique, valid resource name for one test: lowercase letters and digits, starting with a letter.</summary>
    public static string UniqueName(string prefix = "t") =>
        (prefix + Guid.NewGuid().ToString("N"))[..Math.Min(prefix.Length + 20, 63)].ToLowerInvariant();

    public async Task InitializeAsync()
    {
        var ports = FreePorts(3);
        (BlobPort, QueuePort, TablePort) = (ports[0], ports[1], ports[2]);
        _workDir = Directory.CreateTempSubdirectory("azurite-").FullName;
        await StartProcessAsync().ConfigureAwait(false);
        Account = StorageAccount.ForAzurite(BlobPort, QueuePort, TablePort);
    }

    /// <summary>
    /// A private Azurite that keeps its data on disk (its work folder), so it can be stopped and started again on the same
    /// ports (<see cref="StopAsync"/>, <see cref="StartAgainAsync"/>): for storage-outage tests. Dispose it when done.
    /// </summary>
    public static async Task<AzuriteFixture> StartPersistentAsync()
    {
        var fixture = new AzuriteFixture { _persistent = true };
        await fixture.InitializeAsync().ConfigureAwait(false);
        return fixture;
    }

    /// <summary>Stops Azurite cleanly (SIGTERM, as a service manager would) and waits until it has exited.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } p)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync().ConfigureAwait(false);
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
    }

    /// <summary>Starts the stopped Azurite again on the same ports and folder (a persistent one keeps its data).</summary>
    public Task StartAgainAsync() => StartProcessAsync();

    private async Task StartProcessAsync()
    {
        var azurite = FindAzurite();
        var start = new ProcessStartInfo(azurite)
        {
            WorkingDirectory = _workDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            "--silent", "--loose",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", BlobPort.ToString(), "--queuePort", QueuePort.ToString(), "--tablePort", TablePort.ToString(),
        }.Concat(_persistent ? ["--location", Path.Combine(_workDir!, "data")] : ["--inMemoryPersistence"]))
        {
            start.ArgumentList.Add(arg);
        }

        _process?.Dispose();
        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await WaitForPortsAsync().ConfigureAwait(false);
    }

    public Task DisposeAsync()
    {
        lock (_clients)
        {
            _clients.ForEach(c => c.Dispose());
        }

        if (_process is { } p)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            p.Dispose();
        }

        if (_workDir is not null)
        {
            try
            {
                Directory.Delete(_workDir, recursive: true);
            }
            catch (IOException)
            {
                // Temp dir cleanup is best effort.
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Walks up from the test binaries to the directory holding node_modules/.bin/azurite.</summary>
    public static string FindAzurite()
    {
        var name = OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "node_modules", ".bin", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "Azurite not found: run 'npm ci' at the repository root (package.json pins azurite 3.37.0).");
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    private async Task WaitForPortsAsync()
    {
        var deadline = DateTime.UtcNow + StartupDeadline;
        var pending = new HashSet<int> { BlobPort, QueuePort, TablePort };
        while (pending.Count > 0)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with {_process.ExitCode} during startup:\n{Output()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Azurite ports {string.Join(',', pending)} not open after {StartupDeadline}:\n{Output()}");
            }

            foreach (var port in pending.ToList())
            {
                using var tcp = new TcpClient();
                try
                {
                    using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                    await tcp.ConnectAsync(IPAddress.Loopback, port, attempt.Token).ConfigureAwait(false);
                    pending.Remove(port);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    // Not listening yet.
                }
            }

            if (pending.Count > 0)
            {
                await Task.Delay(50).ConfigureAwait(false); // poll interval, bounded by the deadline above
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }
}

/// <summary>
/// One Azurite per collection: mark test classes with <c>[Collection(AzuriteCollection.Name)]</c>. Tests of one
/// collection run one after another; the collections below run beside this one, each on its own Azurite, so the
/// suite's long waits (timers, leases, visibility timeouts) overlap instead of adding up.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}

/// <summary>Release orchestrations (canaries, blue/green, waves, analysis, judgement) on their own Azurite.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteReleasesCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite-releases";
}

/// <summary>
/// Crash, restart and scale-out tests (killed processes, stopped storage, hosts handing over a task hub) on their own
/// Azurite. They are the heaviest; kept in one collection, they never run at the same time as each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AzuriteRecoveryCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite-recovery";
}
