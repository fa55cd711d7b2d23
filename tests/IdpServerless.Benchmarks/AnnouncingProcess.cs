using System.Diagnostics;
using System.Text.RegularExpressions;

namespace IdpServerless.Benchmarks;

/// <summary>Starts a process that announces where it listens on stdout or stderr (the first group of a pattern).</summary>
public static class AnnouncingProcess
{
    /// <summary>
    /// Starts <paramref name="psi"/> with both streams read (and drained), and returns the process with a task for the
    /// URL its first line matching <paramref name="announcement"/> names.
    /// </summary>
    public static (Process Process, Task<Uri> Url) Start(ProcessStartInfo psi, Regex announcement)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        DataReceivedEventHandler watch = (_, e) =>
        {
            if (e.Data is { } line && announcement.Match(line) is { Success: true } m)
            {
                url.TrySetResult(new Uri(m.Groups[1].Value));
            }
        };
        process.OutputDataReceived += watch;
        process.ErrorDataReceived += watch;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, url.Task);
    }
}
