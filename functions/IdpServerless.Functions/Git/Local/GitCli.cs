using System.Diagnostics;
using System.Text;

namespace IdpServerless.Functions.Git.Local;

/// <summary>What one git command did.</summary>
internal sealed record GitResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public bool Ok => ExitCode == 0;

    public string Text => Encoding.UTF8.GetString(Stdout).TrimEnd('\n');
}

/// <summary>A git command failed in a way the caller did not expect.</summary>
public sealed class GitCommandException(string message) : Exception(message);

/// <summary>
/// Runs the git CLI as a child process with an argument list (never a shell), isolated from the user's and the
/// system's git configuration and from any inherited <c>GIT_*</c> variables, with prompts and hooks off.
/// </summary>
internal static class GitCli
{
    private static readonly string[] CommonConfig =
    [
        "-c", "core.hooksPath=/dev/null",
        "-c", "gc.auto=0",
        "-c", "core.filesRefLockTimeout=2000",
        "-c", "core.packedRefsTimeout=2000",
        "-c", "protocol.file.allow=always",
        "-c", "core.quotePath=false",
    ];

    /// <summary>Runs <c>git --git-dir={gitDir} {args}</c> (no --git-dir when null) and returns its exit code and output.</summary>
    public static async Task<GitResult> RunAsync(
        string? gitDir,
        IEnumerable<string> args,
        CancellationToken cancellationToken,
        byte[]? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("GIT_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["GIT_LITERAL_PATHSPECS"] = "1";
        psi.Environment["GIT_ASKPASS"] = "/bin/false";
        psi.Environment["LC_ALL"] = "C";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        foreach (var a in CommonConfig)
        {
            psi.ArgumentList.Add(a);
        }

        if (gitDir is not null)
        {
            psi.ArgumentList.Add("--git-dir=" + gitDir);
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new GitCommandException("git could not be started; is it installed?");
        using var kill = cancellationToken.Register(() =>
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        });
        var stdoutTask = ReadAllAsync(process.StandardOutput.BaseStream);
        var stderrTask = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (stdin is { Length: > 0 })
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // git exited before reading all of stdin; its exit code and stderr say why.
        }
        finally
        {
            process.StandardInput.Close();
        }

        var stdout = await stdoutTask.ConfigureAwait(false);
        var stderr = await stderrTask.ConfigureAwait(false);
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return new GitResult(process.ExitCode, stdout, stderr);
    }

    /// <summary>Runs git and throws <see cref="GitCommandException"/> unless it exits 0.</summary>
    public static async Task<GitResult> RunCheckedAsync(
        string? gitDir,
        IEnumerable<string> args,
        CancellationToken cancellationToken,
        byte[]? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var list = args as IReadOnlyList<string> ?? args.ToList();
        var result = await RunAsync(gitDir, list, cancellationToken, stdin, environment).ConfigureAwait(false);
        if (!result.Ok)
        {
            throw new GitCommandException($"git {list.FirstOrDefault()} failed ({result.ExitCode}): {result.Stderr.Trim()}");
        }

        return result;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
