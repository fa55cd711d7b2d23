using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using IdpServerless.Storage;

namespace IdpServerless.Benchmarks;

/// <summary>
/// A private in-memory Azurite on three free loopback ports (from node_modules/.bin at the repo root; run
/// <c>npm ci</c> there first). Disposing kills exactly this process tree.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private readonly Process _process;

    private AzuriteProcess(Process process, StorageAccount account)
    {
        _process = process;
        Account = account;
    }

    public StorageAccount Account { get; }

    /// <summary>An AzureWebJobsStorage connection string for this emulator (for app processes a benchmark starts).</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account.AccountName};AccountKey={StorageAccount.DevelopmentAccountKey};" +
        $"BlobEndpoint={Account.BlobEndpoint.ToString().TrimEnd('/')};QueueEndpoint={Account.QueueEndpoint.ToString().TrimEnd('/')};TableEndpoint={Account.TableEndpoint.ToString().TrimEnd('/')};";

    /// <summary>CPU time the emulator has used so far (to tell client cost from server cost).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<AzuriteProcess> StartAsync(TimeSpan deadline)
    {
        var exe = Find();
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());

        var info = new ProcessStartInfo(exe)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var a in new[]
        {
            "--inMemoryPersistence", "--silent", "--loose",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", ports[0].ToString(), "--queuePort", ports[1].ToString(), "--tablePort", ports[2].ToString(),
        })
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("azurite did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("azurite: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var until = DateTime.UtcNow + deadline;
        foreach (var port in ports)
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"azurite exited with {process.ExitCode}");
                }

                using var tcp = new TcpClient();
                try
                {
                    await tcp.ConnectAsync(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < until)
                {
                    await Task.Delay(50);
                }
            }
        }

        return new AzuriteProcess(process, StorageAccount.ForAzurite(ports[0], ports[1], ports[2]));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string Find()
    {
        var name = OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite";
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "node_modules", ".bin", name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException("azurite not found: run 'npm ci' at the repository root");
    }
}
