using System.Text;

namespace IdpServerless.Benchmarks;

/// <summary>What <see cref="CatalogGenerator"/> wrote.</summary>
public sealed record GeneratedCatalog(string RootFile, int Total, int Files, long Bytes, List<(string Kind, string Name)> Refs, List<string> Teams);

/// <summary>
/// Generates a large Backstage catalog with the proportions of a real organisation: ~1 % groups (departments with
/// teams), 10 % users, systems and domains, half components, a fifth APIs, the rest resources; every entity owned,
/// components in systems providing one API, consuming two and depending on resources. Deterministic (fixed seed).
/// Files of 1,000 entities, tied together by one Location entity.
/// </summary>
public static class CatalogGenerator
{
    public static readonly string[] Words =
    [
        "payments", "checkout", "inventory", "search", "billing", "shipping", "orders", "identity", "catalog", "pricing",
        "reviews", "recommendations", "notifications", "analytics", "ledger", "fraud", "loyalty", "returns", "tax", "media",
        "gateway", "profile", "session", "warehouse", "supplier", "invoice", "refund", "coupon", "cart", "wishlist",
    ];

    private static readonly string[] Suffixes = ["service", "worker", "api", "web", "processor", "engine", "store", "sync", "adapter", "portal"];
    private static readonly string[] Tags = ["java", "dotnet", "go", "python", "typescript", "react", "grpc", "rest", "kafka", "postgres", "redis", "pci", "gdpr", "critical", "internal"];
    private static readonly string[] Lifecycles = ["production", "production", "production", "experimental", "deprecated"];

    public static GeneratedCatalog Write(string folder, int total)
    {
        var random = new Random(42);
        var departments = Math.Max(2, total / 1000);
        var teams = Math.Max(4, total / 110);
        var users = total / 10;
        var domains = Math.Max(2, total / 2500);
        var systems = Math.Max(4, total / 100);
        var apis = total / 5;
        var resources = total / 6;
        var components = total - departments - teams - users - domains - systems - apis - resources;

        var refs = new List<(string Kind, string Name)>();
        var docs = new List<string>(total);
        string Pick(string[] from) => from[random.Next(from.Length)];
        string Name(int i) => $"{Pick(Words)}-{Pick(Suffixes)}-{i}";
        string Description() => $"Handles {Pick(Words)} and {Pick(Words)} for the {Pick(Words)} flow";
        string TagList() => "[" + string.Join(", ", Enumerable.Range(0, 1 + random.Next(3)).Select(_ => Pick(Tags)).Distinct()) + "]";

        var teamNames = Enumerable.Range(0, teams).Select(i => $"team-{Words[i % Words.Length]}-{i}").ToList();
        var departmentNames = Enumerable.Range(0, departments).Select(i => $"dept-{i}").ToList();
        var domainNames = Enumerable.Range(0, domains).Select(i => $"domain-{Words[i % Words.Length]}-{i}").ToList();
        var systemNames = Enumerable.Range(0, systems).Select(i => $"system-{Words[i % Words.Length]}-{i}").ToList();
        var apiNames = Enumerable.Range(0, apis).Select(i => $"{Name(i)}-api").ToList();
        var resourceNames = Enumerable.Range(0, resources).Select(i => $"{Pick(Words)}-db-{i}").ToList();
        var userNames = Enumerable.Range(0, users).Select(i => $"user-{i}").ToList();

        for (var d = 0; d < departments; d++)
        {
            var children = teamNames.Where((_, t) => t % departments == d);
            docs.Add(Entity("Group", departmentNames[d], $"Department {d}", null, $"  type: department\n  children: [{string.Join(", ", children)}]\n"));
            refs.Add(("group", departmentNames[d]));
        }

        for (var t = 0; t < teams; t++)
        {
            var members = userNames.Where((_, u) => u % teams == t).Take(5);
            docs.Add(Entity("Group", teamNames[t], Description(), null, $"  type: team\n  parent: {departmentNames[t % departments]}\n  children: []\n  members: [{string.Join(", ", members)}]\n"));
            refs.Add(("group", teamNames[t]));
        }

        for (var u = 0; u < users; u++)
        {
            var second = random.Next(4) == 0 ? $", {teamNames[random.Next(teams)]}" : string.Empty;
            docs.Add(Entity("User", userNames[u], null, null, $"  profile:\n    displayName: User {u}\n    email: user-{u}@example.com\n  memberOf: [{teamNames[u % teams]}{second}]\n",
                $"    slack.com/user-id: U{u:D7}\n"));
            refs.Add(("user", userNames[u]));
        }

        for (var d = 0; d < domains; d++)
        {
            docs.Add(Entity("Domain", domainNames[d], Description(), null, $"  owner: {departmentNames[d % departments]}\n"));
        }

        for (var s = 0; s < systems; s++)
        {
            docs.Add(Entity("System", systemNames[s], Description(), TagList(), $"  owner: {teamNames[s % teams]}\n  domain: {domainNames[s % domains]}\n"));
        }

        for (var a = 0; a < apis; a++)
        {
            docs.Add(Entity("API", apiNames[a], Description(), TagList(),
                $"  type: {(random.Next(5) == 0 ? "grpc" : "openapi")}\n  lifecycle: {Pick(Lifecycles)}\n  owner: {teamNames[a % teams]}\n  system: {systemNames[a % systems]}\n  definition: |\n    openapi: 3.0.3\n    info: {{title: {apiNames[a]}, version: 1.0.{a % 10}}}\n    paths: {{}}\n"));
            refs.Add(("api", apiNames[a]));
        }

        for (var r = 0; r < resources; r++)
        {
            docs.Add(Entity("Resource", resourceNames[r], Description(), TagList(), $"  type: {(r % 3 == 0 ? "queue" : "database")}\n  owner: {teamNames[r % teams]}\n  system: {systemNames[r % systems]}\n"));
        }

        for (var c = 0; c < components; c++)
        {
            var name = Name(apis + c);
            var consumes = string.Join(", ", Enumerable.Range(0, 2).Select(_ => apiNames[random.Next(apis)]).Distinct());
            var depends = string.Join(", ", Enumerable.Range(0, 1 + random.Next(2)).Select(_ => "resource:" + resourceNames[random.Next(resources)]).Distinct());
            docs.Add(Entity("Component", name, Description(), TagList(),
                $"  type: {(c % 4 == 0 ? "website" : c % 7 == 0 ? "library" : "service")}\n  lifecycle: {Pick(Lifecycles)}\n  owner: {teamNames[c % teams]}\n  system: {systemNames[c % systems]}\n" +
                $"  providesApis: [{apiNames[c % apis]}]\n  consumesApis: [{consumes}]\n  dependsOn: [{depends}]\n",
                $"    github.com/project-slug: example/{name}\n    backstage.io/techdocs-ref: dir:.\n"));
            refs.Add(("component", name));
        }

        var files = new List<string>();
        long bytes = 0;
        foreach (var chunk in docs.Chunk(1000))
        {
            var file = Path.Combine(folder, $"part-{files.Count:D3}.yaml");
            var text = string.Join("---\n", chunk);
            File.WriteAllText(file, text);
            bytes += Encoding.UTF8.GetByteCount(text);
            files.Add(file);
        }

        var rootFile = Path.Combine(folder, "catalog-info.yaml");
        File.WriteAllText(rootFile, "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: generated-catalog\nspec:\n  targets:\n" +
            string.Concat(files.Select(f => $"    - ./{Path.GetFileName(f)}\n")));
        return new GeneratedCatalog(rootFile, docs.Count + 1, files.Count + 1, bytes, refs, teamNames);
    }

    private static string Entity(string kind, string name, string? description, string? tags, string spec, string? annotations = null)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: backstage.io/v1alpha1\nkind: ").Append(kind).Append("\nmetadata:\n  name: ").Append(name).Append('\n');
        if (description is not null)
        {
            sb.Append("  description: ").Append(description).Append('\n');
        }

        if (tags is not null)
        {
            sb.Append("  tags: ").Append(tags).Append('\n');
        }

        if (annotations is not null)
        {
            sb.Append("  annotations:\n").Append(annotations);
        }

        return sb.Append("spec:\n").Append(spec).ToString();
    }
}
