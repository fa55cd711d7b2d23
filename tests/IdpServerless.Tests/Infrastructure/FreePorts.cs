using System.Net;
using System.Net.Sockets;

namespace IdpServerless.Tests.Infrastructure;

/// <summary>Free loopback TCP ports, never the well-known ones.</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
