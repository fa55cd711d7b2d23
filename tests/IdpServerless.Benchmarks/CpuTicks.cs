using System.Globalization;

namespace IdpServerless.Benchmarks;

/// <summary>
/// The machine's CPU counters from /proc/stat: how busy it was between two readings, and how much of its time the
/// hypervisor gave to other guests ("steal"). This VM shares its host, and when steal rises every latency figure rises
/// with it, so each benchmark prints this beside its results.
/// </summary>
internal sealed record CpuTicks(long Total, long Idle, long Steal)
{
    /// <summary>The counters now, or null where there is no /proc/stat (not Linux).</summary>
    public static CpuTicks? Read()
    {
        if (!File.Exists("/proc/stat"))
        {
            return null;
        }

        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
        return new CpuTicks(f.Sum(), f[3] + f[4], f[7]);
    }

    /// <summary>How busy the machine was from <paramref name="start"/> until now, and how much the hypervisor stole.</summary>
    public static string Since(CpuTicks? start, string during)
    {
        if (start is null || Read() is not { } now)
        {
            return $"{during}: CPU use unknown (no /proc/stat)";
        }

        var total = Math.Max(1, now.Total - start.Total);
        return string.Create(CultureInfo.InvariantCulture,
            $"{during}: CPU {100.0 * (total - (now.Idle - start.Idle)) / total:F0} % busy, of which {100.0 * (now.Steal - start.Steal) / total:F0} % stolen by the hypervisor ({Environment.ProcessorCount} cores)");
    }
}
