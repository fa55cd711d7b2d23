using System.Security.Cryptography;
using System.Text;

namespace IdpServerless.Tests.Git.Fakes;

/// <summary>A commit as the fake GitHub stores it.</summary>
public sealed record FakeCommit(string Sha, string Tree, IReadOnlyList<string> Parents, string Message, string AuthorName, string AuthorEmail, DateTimeOffset Date);

/// <summary>
/// The object database of one fake repository, with ids computed the way git computes them (SHA-1 over
/// <c>"{type} {size}\0{content}"</c>, trees hierarchical and sorted as git sorts them), so shas the fake hands out are
/// the shas GitHub would hand out for the same content.
/// </summary>
public sealed class FakeGitObjects
{
    private readonly Dictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);

    // Trees are kept flattened (path -> blob id) under the id of their root tree object.
    private readonly Dictionary<string, SortedDictionary<string, string>> _trees = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeCommit> _commits = new(StringComparer.Ordinal);

    public string PutBlob(byte[] content)
    {
        var sha = Hash("blob", content);
        _blobs[sha] = content;
        return sha;
    }

    public byte[]? Blob(string sha) => _blobs.GetValueOrDefault(sha);

    public bool IsBlob(string sha) => _blobs.ContainsKey(sha);

    public string PutTree(IDictionary<string, string> files)
    {
        var flat = new SortedDictionary<string, string>(files, StringComparer.Ordinal);
        var sha = HashTree(flat, prefix: string.Empty);
        _trees[sha] = flat;
        return sha;
    }

    public SortedDictionary<string, string>? Tree(string sha) => _trees.GetValueOrDefault(sha);

    /// <summary>The id of the folder <paramref name="folder"/> (no trailing '/') within the flattened tree <paramref name="files"/>.</summary>
    public string FolderId(SortedDictionary<string, string> files, string folder) => HashTree(files, folder + "/");

    public FakeCommit PutCommit(string tree, IReadOnlyList<string> parents, string message, string name, string email, DateTimeOffset date)
    {
        var text = new StringBuilder().Append("tree ").Append(tree).Append('\n');
        foreach (var p in parents)
        {
            text.Append("parent ").Append(p).Append('\n');
        }

        var stamp = $"{date.ToUnixTimeSeconds()} +0000";
        text.Append($"author {name} <{email}> {stamp}\ncommitter {name} <{email}> {stamp}\n\n{message}");
        var commit = new FakeCommit(Hash("commit", Encoding.UTF8.GetBytes(text.ToString())), tree, parents, message, name, email, date);
        _commits[commit.Sha] = commit;
        return commit;
    }

    public FakeCommit? Commit(string sha) => _commits.GetValueOrDefault(sha);

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="descendant"/> or reachable from it through parents.</summary>
    public bool IsAncestor(string ancestor, string descendant)
    {
        var todo = new Stack<string>([descendant]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (todo.TryPop(out var sha))
        {
            if (sha == ancestor)
            {
                return true;
            }

            if (seen.Add(sha) && _commits.TryGetValue(sha, out var c))
            {
                foreach (var p in c.Parents)
                {
                    todo.Push(p);
                }
            }
        }

        return false;
    }

    private string HashTree(SortedDictionary<string, string> files, string prefix)
    {
        // Direct children of this folder: files, and folders (whose own trees are hashed recursively).
        var entries = new List<(string Name, string Mode, string Sha)>();
        foreach (var group in files.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal))
                     .GroupBy(p => p[prefix.Length..].Split('/')[0]))
        {
            var name = group.Key;
            var full = prefix + name;
            entries.Add(files.TryGetValue(full, out var blob) && group.Count() == 1
                ? (name, "100644", blob)
                : (name, "40000", HashTree(files, full + "/")));
        }

        // git orders entries by name, comparing a folder as if its name ended in '/'.
        entries.Sort((a, b) => string.CompareOrdinal(a.Mode == "40000" ? a.Name + "/" : a.Name, b.Mode == "40000" ? b.Name + "/" : b.Name));
        using var content = new MemoryStream();
        foreach (var (name, mode, sha) in entries)
        {
            content.Write(Encoding.UTF8.GetBytes($"{mode} {name}\0"));
            content.Write(Convert.FromHexString(sha));
        }

        return Hash("tree", content.ToArray());
    }

    private static string Hash(string type, byte[] content)
    {
        var header = Encoding.ASCII.GetBytes($"{type} {content.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. content]));
    }
}
