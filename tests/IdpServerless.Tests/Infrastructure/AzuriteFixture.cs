using System.Diagnostics;
using System.Net.Sockets;
using IdpServerless.Storage;

namespace IdpServerless.Tests.Infrastructure;

/// <summary>
/// A real Azurite (from the repo's node_modules) on three free loopback ports with in-memory persistence, shared by
/// the tests of the "azurite" collection. Tests isolate themselves with unique table/queue names or keys.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private Process? _process;
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 256 });

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    public StorageAccount Account => StorageAccount.ForAzurite(BlobPort, QueuePort, TablePort);

    /// <summary>Explicit-endpoints connection string for devstoreaccount1 on this fixture's ports.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    public StorageClient CreateClient() => new(Account, _http);

    public async Task InitializeAsync()
    {
        var azurite = Path.Combine(RepoPaths.Root, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed at {azurite}: run 'npm ci' at the repository root (scripts/test.sh does).");
        }

        BlobPort = FreePorts.Next();
        QueuePort = FreePorts.Next();
        TablePort = FreePorts.Next();
        var psi = new ProcessStartInfo(azurite)
        {
            ArgumentList =
            {
                "--inMemoryPersistence", "--silent", "--skipApiVersionCheck", "--loose",
                "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
                "--blobPort", BlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--queuePort", QueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--tablePort", TablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start Azurite");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        foreach (var port in new[] { BlobPort, QueuePort, TablePort })
        {
            await Eventually.TrueAsync(async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with {_process.ExitCode}");
                }

                using var c = new TcpClient();
                try
                {
                    await c.ConnectAsync("127.0.0.1", port);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), $"Azurite on port {port}");
        }
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}

[CollectionDefinition("azurite")]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>;
