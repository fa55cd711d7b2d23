using IdpServerless.Functions.Docs;
using IdpServerless.Functions.Docs.Building;
using IdpServerless.Functions.Docs.Sources;
using IdpServerless.Functions.Git;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IdpServerless.Tests.Docs;

/// <summary>Temporary folders of docs and the pieces that build from them, without a running app.</summary>
public sealed class DocsFolder : IDisposable
{
    public DocsFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "idp-docs-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Write(string relative, string content) => Write(relative, System.Text.Encoding.UTF8.GetBytes(content));

    public string Write(string relative, byte[] content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static DocsEntity Entity(string name, IDictionary<string, string> annotations, string fingerprint = "f1") =>
        new("Component", "default", name, new Dictionary<string, string>(annotations), fingerprint);

    public static DocsSiteBuilder Builder(DocsOptions? options = null) => new(Options.Create(options ?? new DocsOptions()), TimeProvider.System);

    public static DocsSourceResolver Resolver(IGitProvider? git = null)
    {
        var services = new ServiceCollection();
        if (git is not null)
        {
            services.AddSingleton(git);
        }

        return new DocsSourceResolver(services.BuildServiceProvider());
    }

    /// <summary>A small site: mkdocs.yml with a nav, three pages linking each other and an image.</summary>
    public void WriteSite(string folder = "")
    {
        string P(string p) => folder.Length == 0 ? p : folder + "/" + p;
        Write(P("mkdocs.yml"), "site_name: Payments Docs\nnav:\n  - Overview: index.md\n  - Architecture: architecture.md\n  - Operations:\n      - Runbook: ops/runbook.md\n");
        Write(P("docs/index.md"), "# Payments\n\nThe payments service authorizes cards. See the [runbook](ops/runbook.md#restart).\n\n![diagram](img/arch.png)\n");
        Write(P("docs/architecture.md"), "# Architecture\n\n## Components\n\nA gRPC front end and a ledger.\n");
        Write(P("docs/ops/runbook.md"), "# Runbook\n\n## Restart\n\nRestart the ledger with `kubectl rollout restart`. Back to [home](../index.md).\n");
        Write(P("docs/unlisted.md"), "# Unlisted\n\nNot in the nav.\n");
        Write(P("docs/img/arch.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]);
    }
}
