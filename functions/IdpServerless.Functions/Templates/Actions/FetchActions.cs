using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Templates.Expressions;

namespace IdpServerless.Functions.Templates.Actions;

/// <summary><c>fetch:plain</c>: copies a skeleton folder into the workspace unchanged.</summary>
public sealed class FetchPlainAction(SkeletonSource source) : IScaffolderAction
{
    public string Id => "fetch:plain";

    public string Description => "Copies files from a folder (relative to the template, or a git location) into the workspace without templating.";

    public JsonObject InputSchema { get; } = Schemas.Object(
        ["url"],
        ("url", Schemas.String("Folder to copy: ./relative to the template, git:owner/repo/path or https://github.com/owner/repo/tree/branch/path.")),
        ("targetPath", Schemas.String("Folder in the workspace to copy into (default: the workspace root).")));

    public JsonObject OutputSchema { get; } = Schemas.Object([], ("files", Schemas.Integer("How many files were copied.")));

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var url = context.RequireString("url");
        var target = context.GetString("targetPath");
        var files = await source.ReadAsync(context.Template, url, cancellationToken);
        foreach (var (path, file) in files)
        {
            context.Workspace.Write(Paths.Combine(target, path), file.Content, file.Executable);
        }

        await context.LogAsync($"Fetched {files.Count} file(s) from {url}{(target is null ? string.Empty : $" into {target}")}.");
        context.Output("files", files.Count);
    }
}

/// <summary>
/// <c>fetch:template</c>: copies a skeleton folder into the workspace, rendering file contents and file paths with
/// <c>${{ values.x }}</c>, <c>{% if %}</c> and <c>{% for %}</c>. A path that renders empty drops the file (conditional
/// files); binary files and <c>copyWithoutTemplating</c> globs are copied as they are.
/// </summary>
public sealed class FetchTemplateAction(SkeletonSource source) : IScaffolderAction
{
    public string Id => "fetch:template";

    public string Description => "Renders a skeleton folder (file contents and paths) with the given values into the workspace.";

    public JsonObject InputSchema { get; } = Schemas.Object(
        ["url"],
        ("url", Schemas.String("Skeleton folder: ./relative to the template, git:owner/repo/path or https://github.com/owner/repo/tree/branch/path.")),
        ("targetPath", Schemas.String("Folder in the workspace to render into (default: the workspace root).")),
        ("values", new JsonObject { ["type"] = "object", ["description"] = "Values visible to the skeleton as ${{ values.x }}." }),
        ("copyWithoutTemplating", Schemas.StringList("Globs (relative to the skeleton) of files copied without rendering their contents (paths are still rendered).")),
        ("templateFileExtension", new JsonObject { ["type"] = new JsonArray("boolean", "string"), ["description"] = "Only files with this extension (true = .njk) are rendered; the extension is removed." }),
        ("replace", Schemas.Boolean("Overwrite files already in the workspace (default true).")));

    public JsonObject OutputSchema { get; } = Schemas.Object([], ("files", Schemas.Integer("How many files were written.")));

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var url = context.RequireString("url");
        var target = context.GetString("targetPath");
        var values = context.Input["values"] as JsonObject ?? [];
        var scope = new ExpressionScope(new JsonObject { ["values"] = values.DeepClone() });
        var verbatim = context.GetStrings("copyWithoutTemplating").Select(Glob.ToRegex).ToList();
        var extension = context.Input["templateFileExtension"] switch
        {
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? ".njk" : null,
            JsonValue v when v.TryGetValue<string>(out var s) && s.Length > 0 => s.StartsWith('.') ? s : "." + s,
            _ => null,
        };
        var replace = context.GetBool("replace", true);
        var renderer = new SkeletonRenderer();
        var files = await source.ReadAsync(context.Template, url, cancellationToken);
        var written = 0;
        foreach (var (path, file) in files)
        {
            var isTemplate = extension is null || path.EndsWith(extension, StringComparison.Ordinal);
            var sourcePath = extension is not null && isTemplate ? path[..^extension.Length] : path;
            var renderedPath = renderer.Render(sourcePath, scope, $"path '{path}'").Trim();
            if (renderedPath.Length == 0 || renderedPath.EndsWith('/') || renderedPath.Split('/').Any(p => p.Length == 0))
            {
                continue;
            }

            var finalPath = Paths.Combine(target, renderedPath);
            if (!replace && context.Workspace.Files.ContainsKey(finalPath))
            {
                continue;
            }

            var content = file.Content;
            if (isTemplate && !verbatim.Any(g => g.IsMatch(path)) && TryDecodeText(content, out var text))
            {
                content = Encoding.UTF8.GetBytes(renderer.Render(text, scope, path));
            }

            context.Workspace.Write(finalPath, content, file.Executable);
            written++;
        }

        await context.LogAsync($"Rendered {written} file(s) from {url}{(target is null ? string.Empty : $" into {target}")}.");
        context.Output("files", written);
    }

    private static bool TryDecodeText(byte[] content, out string text)
    {
        text = string.Empty;
        if (Array.IndexOf(content, (byte)0) >= 0)
        {
            return false;
        }

        try
        {
            text = new UTF8Encoding(false, true).GetString(content);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}

/// <summary>Path helpers for the workspace.</summary>
internal static class Paths
{
    public static string Combine(string? folder, string path) =>
        TaskWorkspace.NormalizePath(string.IsNullOrWhiteSpace(folder) || folder.Trim() is "." or "./" ? path : $"{folder.TrimEnd('/')}/{path}");
}

/// <summary>Minimal globs: <c>**</c> any path, <c>*</c> any name part, <c>?</c> one character.</summary>
internal static class Glob
{
    public static Regex ToRegex(string glob)
    {
        var sb = new StringBuilder("^");
        var g = glob.Trim();
        while (g.StartsWith("./", StringComparison.Ordinal))
        {
            g = g[2..];
        }

        for (var i = 0; i < g.Length; i++)
        {
            var c = g[i];
            if (c == '*' && i + 1 < g.Length && g[i + 1] == '*')
            {
                sb.Append(".*");
                i++;
                if (i + 1 < g.Length && g[i + 1] == '/')
                {
                    i++;
                    sb.Append("/?");
                }
            }
            else if (c == '*')
            {
                sb.Append("[^/]*");
            }
            else if (c == '?')
            {
                sb.Append("[^/]");
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
    }
}
