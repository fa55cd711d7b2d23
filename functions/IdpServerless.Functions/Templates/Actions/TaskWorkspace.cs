using System.Text.Json;
using System.Text.Json.Serialization;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary>A file of the workspace.</summary>
public sealed record WorkspaceFile(byte[] Content, bool Executable = false);

/// <summary>
/// The files a task builds up step by step (Backstage's workspace folder). Steps may run on different instances, so
/// it is carried between them as one blob; it is bounded so a template cannot fill storage.
/// </summary>
public sealed class TaskWorkspace
{
    public const int MaxFiles = 2000;
    public const long MaxBytes = 20L * 1024 * 1024;
    private readonly SortedDictionary<string, WorkspaceFile> _files = new(StringComparer.Ordinal);
    private long _bytes;

    public IReadOnlyDictionary<string, WorkspaceFile> Files => _files;

    /// <summary>True when a step changed it (so it must be saved).</summary>
    public bool Changed { get; private set; }

    /// <summary>Adds or replaces a file; <paramref name="path"/> is normalised and must stay inside the workspace.</summary>
    public void Write(string path, byte[] content, bool executable = false)
    {
        var normal = NormalizePath(path);
        if (_files.TryGetValue(normal, out var old))
        {
            _bytes -= old.Content.Length;
        }
        else if (_files.Count >= MaxFiles)
        {
            throw new ActionFailedException($"The workspace would have more than {MaxFiles} files.");
        }

        if (_bytes + content.Length > MaxBytes)
        {
            throw new ActionFailedException($"The workspace would be larger than {MaxBytes / (1024 * 1024)} MiB.");
        }

        _files[normal] = new WorkspaceFile(content, executable);
        _bytes += content.Length;
        Changed = true;
    }

    /// <summary>Files under <paramref name="folder"/> ("" or "." for all), with paths relative to it.</summary>
    public IEnumerable<KeyValuePair<string, WorkspaceFile>> Under(string? folder)
    {
        var prefix = string.IsNullOrEmpty(folder) || folder is "." or "./" ? string.Empty : NormalizePath(folder) + "/";
        return _files.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(f => KeyValuePair.Create(f.Key[prefix.Length..], f.Value));
    }

    /// <summary>
    /// A relative, '/'-separated path without '.', '..', empty or '.git' segments; throws <see cref="ActionFailedException"/>
    /// otherwise, so no template can write outside its workspace or into a repository's metadata.
    /// </summary>
    public static string NormalizePath(string path)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Count == 0 || path.StartsWith('/') || parts.Any(p => p == ".." || p == ".git" || p.Any(char.IsControl)))
        {
            throw new ActionFailedException($"'{path}' is not a relative path inside the workspace.");
        }

        return string.Join('/', parts);
    }

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(
        _files.Select(f => new StoredFile(f.Key, Convert.ToBase64String(f.Value.Content), f.Value.Executable)).ToList(), JsonSerializerOptions.Web);

    public static TaskWorkspace Deserialize(ReadOnlySpan<byte> json)
    {
        var workspace = new TaskWorkspace();
        foreach (var f in JsonSerializer.Deserialize<List<StoredFile>>(json, JsonSerializerOptions.Web) ?? [])
        {
            workspace.Write(f.Path, Convert.FromBase64String(f.Base64Content), f.Executable);
        }

        workspace.Changed = false;
        return workspace;
    }

    /// <summary>The dry-run answer's <c>directoryContents</c>.</summary>
    public IReadOnlyList<StoredFile> ToDirectoryContents() =>
        _files.Select(f => new StoredFile(f.Key, Convert.ToBase64String(f.Value.Content), f.Value.Executable)).ToList();

    /// <summary>A file as the scaffolder API carries it.</summary>
    public sealed record StoredFile(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("base64Content")] string Base64Content,
        [property: JsonPropertyName("executable")] bool Executable = false);
}
