using System.Diagnostics;
using System.Globalization;

namespace IdpServerless.Benchmarks;

/// <summary>
/// Runs /usr/bin/wrk with a Lua script that sends URLs picked at random from a file, and reads back the percentiles
/// its <c>done</c> hook prints (wrk's own summary has no p95).
/// </summary>
public static class Wrk
{
    public sealed record Result(double RequestsPerSecond, double P50, double P95, double P99, long Non2xx, long SocketErrors);

    private const string Script = """
        local urls = {}
        init = function(args)
          for line in io.lines(args[1]) do urls[#urls + 1] = line end
          if args[2] and #args[2] > 0 then wrk.headers["Authorization"] = "Bearer " .. args[2] end
          math.randomseed(os.time() + math.floor(os.clock() * 1000000))
        end
        request = function()
          return wrk.format("GET", urls[math.random(#urls)])
        end
        done = function(summary, latency, requests)
          local e = summary.errors
          io.write(string.format("RESULT %d %d %.3f %.3f %.3f %d %d\n", summary.requests, summary.duration,
            latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
            e.status, e.connect + e.read + e.write + e.timeout))
        end
        """;

    public static async Task<Result> RunAsync(Uri baseAddress, string urlFile, int threads, int connections, int seconds, string? bearerToken = null)
    {
        var script = Path.Combine(Path.GetDirectoryName(urlFile)!, "pick.lua");
        await File.WriteAllTextAsync(script, Script);
        var psi = new ProcessStartInfo("/usr/bin/wrk") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"-t{threads}", $"-c{connections}", $"-d{seconds}s", "--timeout", "10s", "-s", script, baseAddress.ToString().TrimEnd('/'), "--", urlFile, bearerToken ?? string.Empty })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("wrk printed no result:\n" + output + await process.StandardError.ReadToEndAsync());
        var f = line.Split(' ');
        double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
        return new Result(D(1) / (D(2) / 1_000_000), D(3), D(4), D(5), long.Parse(f[6], CultureInfo.InvariantCulture), long.Parse(f[7], CultureInfo.InvariantCulture));
    }
}
