using System.Net;
using System.Net.Sockets;

namespace IdpServerless.Benchmarks;

/// <summary>Small things every benchmark needs: reading <c>--name value</c> options, and a free loopback port.</summary>
internal static class BenchmarkArgs
{
    /// <summary>The value after <paramref name="name"/> in <paramref name="args"/>, or null when it is absent.</summary>
    public static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>A loopback port nothing listens on right now (the OS picks it), for a process the benchmark starts.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
