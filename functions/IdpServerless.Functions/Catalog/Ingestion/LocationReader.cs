using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using IdpServerless.Functions.Git;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Catalog.Ingestion;

/// <summary>
/// Reads catalog files from the three location types, resolves targets relative to the file that names them, and
/// expands globs. <c>file</c> targets must lie under a configured root; <c>url</c> targets on a git host
/// (<c>https://github.com/owner/repo/blob/ref/path</c>) and <c>git</c> targets go through <see cref="IGitProvider"/>.
/// </summary>
public sealed class LocationReader(IHttpClientFactory httpFactory, IServiceProvider services, IOptions<CatalogOptions> options, IConfiguration config)
{
    public const string HttpClientName = "catalog-locations";
    private const int MaxGlobMatches = 10_000;

    private readonly CatalogOptions _options = options.Value;
    private readonly string[] _roots = FileRootsFrom(options.Value, config);

    /// <summary>Throws <see cref="LocationReadException"/> when the spec's type is unknown or its target is malformed or refused.</summary>
    public void Validate(LocationSpec spec) => Validate(spec, mustExist: true);

    /// <summary>As <see cref="Validate(LocationSpec)"/>; a file target may be missing when <paramref name="mustExist"/> is false (it must still be under a file root).</summary>
    public void Validate(LocationSpec spec, bool mustExist)
    {
        switch (spec.Type)
        {
            case LocationSpec.File:
                CheckFile(spec.Target, mustExist);
                break;
            case LocationSpec.Url:
                CheckUrl(spec.Target);
                break;
            case LocationSpec.Git:
                _ = ParseGit(spec.Target);
                break;
            default:
                throw new LocationReadException($"unknown location type \"{spec.Type}\"; expected file, url or git");
        }
    }

    /// <summary>The spec a Location entity's <paramref name="target"/> names, relative to the file it was found in.</summary>
    public LocationSpec Resolve(LocationSpec parent, string? type, string target)
    {
        type = string.IsNullOrEmpty(type) ? parent.Type : type;
        if (type != parent.Type)
        {
            return new LocationSpec(type, target);
        }

        switch (type)
        {
            case LocationSpec.File:
                return new LocationSpec(type, Path.IsPathRooted(target) ? Path.GetFullPath(target) : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(parent.Target)!, target)));
            case LocationSpec.Url:
                return Uri.TryCreate(new Uri(parent.Target), target, out var resolved)
                    ? new LocationSpec(type, resolved.AbsoluteUri)
                    : throw new LocationReadException($"\"{target}\" is not a URL relative to {parent.Target}");
            case LocationSpec.Git when target.StartsWith("./", StringComparison.Ordinal) || target.StartsWith("../", StringComparison.Ordinal):
                var (repo, path, gitRef) = ParseGit(parent.Target);
                var dir = path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : string.Empty;
                var combined = NormalizeRepoPath(dir.Length == 0 ? target : dir + "/" + target, parent.Target);
                return new LocationSpec(type, $"{repo}/{combined}" + (gitRef is null ? string.Empty : "?ref=" + gitRef));
            default:
                return new LocationSpec(type, target);
        }
    }

    /// <summary>The files a (possibly globbed) spec names.</summary>
    public async Task<IReadOnlyList<LocationSpec>> ExpandAsync(LocationSpec spec, CancellationToken ct)
    {
        if (!spec.Target.Contains('*', StringComparison.Ordinal) || spec.Type == LocationSpec.Url)
        {
            return [spec];
        }

        if (spec.Type == LocationSpec.File)
        {
            var full = CheckFile(spec.Target, mustExist: false);
            var (baseDir, pattern) = SplitGlob(full.Replace('\\', '/'));
            if (!Directory.Exists(baseDir))
            {
                return [];
            }

            var regex = GlobRegex(pattern);
            return Directory.EnumerateFiles(baseDir, "*", SearchOption.AllDirectories)
                .Select(f => (File: f, Relative: Path.GetRelativePath(baseDir, f).Replace('\\', '/')))
                .Where(f => regex.IsMatch(f.Relative))
                .Take(MaxGlobMatches)
                .OrderBy(f => f.File, StringComparer.Ordinal)
                .Select(f => new LocationSpec(LocationSpec.File, f.File))
                .ToList();
        }

        var (repo, path, gitRef) = ParseGit(spec.Target);
        var (prefix, gitPattern) = SplitGlob(path);
        var files = await Git().ListFilesAsync(repo, prefix.Length == 0 ? null : prefix, gitRef, ct).ConfigureAwait(false);
        var gitRegex = GlobRegex(gitPattern);
        return files
            .Where(f => gitRegex.IsMatch(prefix.Length == 0 ? f : f.StartsWith(prefix + "/", StringComparison.Ordinal) ? f[(prefix.Length + 1)..] : "\0"))
            .Take(MaxGlobMatches)
            .Order(StringComparer.Ordinal)
            .Select(f => new LocationSpec(LocationSpec.Git, $"{repo}/{f}" + (gitRef is null ? string.Empty : "?ref=" + gitRef)))
            .ToList();
    }

    /// <summary>The file's bytes; <see cref="LocationReadException"/> when it is missing, refused, unreachable or too large.</summary>
    public async Task<byte[]> ReadAsync(LocationSpec spec, CancellationToken ct)
    {
        switch (spec.Type)
        {
            case LocationSpec.File:
                var full = CheckFile(spec.Target);
                var info = new FileInfo(full);
                TooLarge(spec, info.Length);
                return await File.ReadAllBytesAsync(full, ct).ConfigureAwait(false);
            case LocationSpec.Url:
                var uri = CheckUrl(spec.Target);
                return TryGitUrl(uri) is { } git ? await ReadGitAsync(spec, git, ct).ConfigureAwait(false) : await ReadUrlAsync(spec, uri, ct).ConfigureAwait(false);
            case LocationSpec.Git:
                return await ReadGitAsync(spec, ParseGit(spec.Target), ct).ConfigureAwait(false);
            default:
                throw new LocationReadException($"unknown location type \"{spec.Type}\"; expected file, url or git");
        }
    }

    private async Task<byte[]> ReadUrlAsync(LocationSpec spec, Uri uri, CancellationToken ct)
    {
        var http = httpFactory.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new LocationReadException($"{spec} could not be read: {e.Message}");
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new LocationReadException($"{spec} does not exist (the server answered 404)");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new LocationReadException($"{spec} could not be read: the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength is { } length)
            {
                TooLarge(spec, length);
            }

            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk, 0, read);
                TooLarge(spec, buffer.Length);
            }

            return buffer.ToArray();
        }
    }

    private async Task<byte[]> ReadGitAsync(LocationSpec spec, (RepoRef Repo, string Path, string? Ref) git, CancellationToken ct)
    {
        byte[]? bytes;
        try
        {
            bytes = await Git().ReadFileAsync(git.Repo, git.Path, git.Ref, ct).ConfigureAwait(false);
        }
        catch (GitNotFoundException)
        {
            bytes = null;
        }

        if (bytes is null)
        {
            throw new LocationReadException($"{spec} does not exist");
        }

        TooLarge(spec, bytes.Length);
        return bytes;
    }

    private IGitProvider Git() =>
        services.GetService<IGitProvider>() ?? throw new LocationReadException("git locations need a git provider, and none is configured");

    private (RepoRef, string, string?)? TryGitUrl(Uri uri)
    {
        if (!_options.GitHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase) || services.GetService<IGitProvider>() is null)
        {
            return null;
        }

        var segments = uri.AbsolutePath.Trim('/').Split('/');
        if (segments.Length < 5 || segments[2] is not ("blob" or "tree" or "raw"))
        {
            return null;
        }

        return (new RepoRef(segments[0], segments[1]), string.Join('/', segments.Skip(4).Select(Uri.UnescapeDataString)), segments[3]);
    }

    private static (RepoRef Repo, string Path, string? Ref) ParseGit(string target)
    {
        var git = GitTarget.TryParse(target);
        if (git is null || git.Path.Length == 0)
        {
            throw new LocationReadException($"git target \"{git?.Location ?? target.Split("?ref=")[0]}\" is not of the form owner/repo/path/to/catalog-info.yaml[?ref=branch]");
        }

        try
        {
            return (RepoRef.Parse(git.Owner + "/" + git.Name), NormalizeRepoPath(git.Path, git.Location), git.Ref);
        }
        catch (FormatException e)
        {
            throw new LocationReadException(e.Message);
        }
    }

    private static string NormalizeRepoPath(string path, string target)
    {
        var stack = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            switch (segment)
            {
                case "" or ".":
                    continue;
                case "..":
                    if (stack.Count == 0)
                    {
                        throw new LocationReadException($"\"{target}\" points outside its repository");
                    }

                    stack.RemoveAt(stack.Count - 1);
                    break;
                default:
                    stack.Add(segment);
                    break;
            }
        }

        return string.Join('/', stack);
    }

    private string CheckFile(string target, bool mustExist = true)
    {
        if (!Path.IsPathRooted(target))
        {
            throw new LocationReadException($"file target \"{target}\" must be an absolute path");
        }

        var full = Path.GetFullPath(target);
        if (!_roots.Any(r => full.StartsWith(r, StringComparison.Ordinal)))
        {
            throw new LocationReadException(
                $"file target \"{full}\" is outside the folders file locations may read ({(_roots.Length == 0 ? "none are configured" : string.Join(", ", _roots))}); set Catalog__FileRoots__N to allow one");
        }

        if (!mustExist)
        {
            return full;
        }

        var info = new FileInfo(full);
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } real && !_roots.Any(r => real.FullName.StartsWith(r, StringComparison.Ordinal)))
        {
            throw new LocationReadException($"file target \"{full}\" links outside the allowed folders");
        }

        if (!info.Exists)
        {
            throw new LocationReadException($"file:{full} does not exist");
        }

        return full;
    }

    private Uri CheckUrl(string target)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new LocationReadException($"url target \"{target}\" must be an absolute http or https URL");
        }

        if (_options.AllowedUrlHosts.Count > 0 && !_options.AllowedUrlHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
        {
            throw new LocationReadException($"url host \"{uri.Host}\" is not in Catalog:AllowedUrlHosts");
        }

        return uri;
    }

    private void TooLarge(LocationSpec spec, long length)
    {
        if (length > _options.MaxDocumentBytes)
        {
            throw new LocationReadException(
                $"{spec} is {length / 1048576.0:0.0} MiB; the catalog reads files of at most {_options.MaxDocumentBytes / 1048576.0:0.##} MiB", 413);
        }
    }

    private static (string Base, string Pattern) SplitGlob(string path)
    {
        var segments = path.Split('/');
        var first = Array.FindIndex(segments, s => s.Contains('*', StringComparison.Ordinal) || s.Contains('?', StringComparison.Ordinal));
        return (string.Join('/', segments.Take(first)), string.Join('/', segments.Skip(first)));
    }

    private static Regex GlobRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                sb.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                sb.Append(c switch { '*' => "[^/]*", '?' => "[^/]", _ => Regex.Escape(c.ToString()) });
            }
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static string[] FileRootsFrom(CatalogOptions options, IConfiguration config)
    {
        var roots = new List<string>(options.FileRoots);
        if (config["IDP_DEMO_DIR"] is { Length: > 0 } demo)
        {
            roots.Add(demo);
        }

        if (config["IDP_DATA_DIR"] is { Length: > 0 } data)
        {
            roots.Add(Path.Combine(data, "catalog"));
        }

        return roots.Where(r => Path.IsPathRooted(r))
            .Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r)) + Path.DirectorySeparatorChar)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
    }
}
