using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Functions.Audit;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;
using IdpServerless.Tests.Identity;
using IdpServerless.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IdpServerless.Tests.Audit;

/// <summary>The audit log: what is recorded, querying and export, and the hash chain catching tampering in storage.</summary>
[Collection("azurite")]
public class AuditLogTests(AzuriteFixture azurite)
{
    private static InMemoryCatalogDirectory Directory() => new InMemoryCatalogDirectory()
        .AddGroup("team-a").AddUser("vera", "vera@example.com").AddUser("dana", "dana@example.com", ["team-a"]);

    private static readonly Dictionary<string, string?> RootAdmin = new() { ["IDP_BOOTSTRAP_ADMINS"] = "user:default/root" };

    [Fact]
    public async Task State_changes_and_denials_are_recorded_with_who_what_outcome_correlation_and_address_and_reads_are_not()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), RootAdmin);
        using var root = await host.SignInAsync("user:default/root");
        using var vera = await host.SignInAsync("user:default/vera");
        using (var created = await root.PostAsJsonAsync("/api/rbac/bindings", new { subject = "group:default/team-a", role = "application-owner" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var denied = await vera.GetAsync("/api/rbac/bindings"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        using (var anonymous = await host.Client.PostAsJsonAsync("/api/rbac/bindings", new { subject = "user:default/vera", role = "platform-admin" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var read = await vera.GetAsync("/api/rbac/roles"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        var page = await root.GetFromJsonAsync<JsonElement>("/api/audit?limit=100");
        var items = page.GetProperty("items").EnumerateArray().ToArray();
        var created1 = Assert.Single(items, i => i.GetProperty("action").GetString() == "CreateRoleBinding" && i.GetProperty("outcome").GetString() == "success");
        Assert.Equal("user:default/root", created1.GetProperty("actor").GetString());
        Assert.Equal("api", created1.GetProperty("channel").GetString());
        Assert.Equal("group:default/team-a", created1.GetProperty("target").GetString());
        Assert.Matches("^[0-9a-f]{32}$", created1.GetProperty("correlationId").GetString());
        Assert.False(string.IsNullOrEmpty(created1.GetProperty("sourceIp").GetString()));
        Assert.Contains("role=application-owner", created1.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(DateTimeOffset.Parse(created1.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(-5));

        var denial = Assert.Single(items, i => i.GetProperty("action").GetString() == "ListRoleBindings");
        Assert.Equal("denied", denial.GetProperty("outcome").GetString());
        Assert.Equal("user:default/vera", denial.GetProperty("actor").GetString());
        Assert.Contains("permission=rbac.admin", denial.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var unauthenticated = Assert.Single(items, i => i.GetProperty("action").GetString() == "CreateRoleBinding" && i.GetProperty("outcome").GetString() == "denied");
        Assert.Equal("user:default/anonymous", unauthenticated.GetProperty("actor").GetString());
        Assert.DoesNotContain(items, i => i.GetProperty("action").GetString() == "ListRoles");
        Assert.Contains(items, i => i.GetProperty("action").GetString() == "IssueDevToken" && i.GetProperty("target").GetString() == "user:default/vera");
    }

    [Fact]
    public async Task Queries_filter_by_actor_target_action_and_time_and_page_with_a_cursor()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), RootAdmin);
        var log = host.App.Services.GetRequiredService<IAuditLog>();
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        await Task.WhenAll(Enumerable.Range(0, 130).Select(i => log.RecordAsync(new AuditEvent(
            i % 2 == 0 ? "Deploy" : "Rollback", $"component:default/svc-{i % 3}", AuditOutcomes.Success,
            new Caller(i % 5 == 0 ? "user:default/dana" : "user:default/vera", null, null, [], Channels.Chat, true)), default)));
        using var root = await host.SignInAsync("user:default/root");

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await root.GetFromJsonAsync<JsonElement>($"/api/audit?action=Deploy&limit=20{(cursor is null ? string.Empty : "&cursor=" + cursor)}");
            var ids = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray();
            Assert.True(ids.Length <= 20);
            seen.AddRange(ids);
            cursor = page.GetProperty("pageInfo").GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 20);

        Assert.Equal(65, seen.Count);
        Assert.Equal(65, seen.Distinct().Count());
        Assert.True(pages >= 4);

        var dana = await root.GetFromJsonAsync<JsonElement>("/api/audit?actor=user:dana&target=component:default/svc-0&limit=1000");
        var danaItems = dana.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(Enumerable.Range(0, 130).Count(i => i % 5 == 0 && i % 3 == 0), danaItems.Length);
        Assert.All(danaItems, i => Assert.Equal("chat", i.GetProperty("channel").GetString()));

        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        var none = await root.GetFromJsonAsync<JsonElement>($"/api/audit?from={future}");
        Assert.Empty(none.GetProperty("items").EnumerateArray());
        var since = await root.GetFromJsonAsync<JsonElement>($"/api/audit?from={Uri.EscapeDataString(started.ToString("O"))}&action=Rollback&limit=1000");
        Assert.Equal(65, since.GetProperty("items").GetArrayLength());

        using var bad = await root.GetAsync("/api/audit?from=yesterday&limit=5000");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("from", out _));
    }

    [Fact]
    public async Task The_export_streams_every_record_as_json_lines_with_its_chain_hashes()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), RootAdmin);
        var log = host.App.Services.GetRequiredService<IAuditLog>();
        for (var i = 0; i < 30; i++)
        {
            await log.RecordAsync(new AuditEvent("Export" + i, null, AuditOutcomes.Success, Caller.SystemFor("test")), default);
        }

        using var root = await host.SignInAsync("user:default/root");
        using var r = await root.GetAsync("/api/audit/export");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/x-ndjson", r.Content.Headers.ContentType?.MediaType);
        var lines = (await r.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var exported = lines.Where(l => l.GetProperty("action").GetString()!.StartsWith("Export", StringComparison.Ordinal)).ToArray();
        Assert.Equal(30, exported.Length);
        // Newest first: each line's prevHash is the hash of the line after it.
        var chain = lines.Select(l => (Seq: l.GetProperty("seq").GetInt64(), Hash: l.GetProperty("hash").GetString(), Prev: l.GetProperty("prevHash").GetString())).ToArray();
        for (var i = 0; i + 1 < chain.Length; i++)
        {
            Assert.Equal(chain[i].Seq - 1, chain[i + 1].Seq);
            Assert.Equal(chain[i + 1].Hash, chain[i].Prev);
        }
    }

    [Fact]
    public async Task Editing_one_row_in_storage_is_named_by_the_integrity_check()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), RootAdmin);
        var ids = await WriteAsync(host, 12);
        using var root = await host.SignInAsync("user:default/root");
        Assert.True((await IntegrityAsync(root)).GetProperty("intact").GetBoolean());

        // Someone with storage access turns a denial into a success.
        var table = azurite.CreateClient().GetTable(host.AuditTable);
        var (day, seq) = Split(ids[4]);
        var row = (await table.GetEntityAsync(AuditKeys.DayPartition(day), AuditKeys.RecordRow(seq)))!;
        Assert.Equal("denied", row.GetString("Outcome"));
        row["Outcome"] = "success";
        await table.UpdateEntityAsync(row, row.ETag!);

        var report = await IntegrityAsync(root);
        Assert.False(report.GetProperty("intact").GetBoolean());
        var problem = Assert.Single(report.GetProperty("problems").EnumerateArray());
        Assert.Equal("edited", problem.GetProperty("kind").GetString());
        Assert.Equal(ids[4], problem.GetProperty("id").GetString());
        Assert.Equal(AuditKeys.RecordRow(seq), problem.GetProperty("rowKey").GetString());
    }

    [Fact]
    public async Task A_deleted_row_a_removed_tail_and_a_rewritten_row_with_a_recomputed_hash_are_detected()
    {
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), RootAdmin);
        var ids = await WriteAsync(host, 10);
        using var root = await host.SignInAsync("user:default/root");
        var table = azurite.CreateClient().GetTable(host.AuditTable);
        var (day, _) = Split(ids[0]);
        var pk = AuditKeys.DayPartition(day);

        // Delete record 4, delete the last two (9, 10), and rewrite record 7 recomputing its own hash (no key is set).
        await table.DeleteEntityAsync(pk, AuditKeys.RecordRow(Split(ids[3]).Seq));
        await table.DeleteEntityAsync(pk, AuditKeys.RecordRow(Split(ids[8]).Seq));
        await table.DeleteEntityAsync(pk, AuditKeys.RecordRow(Split(ids[9]).Seq));
        var seven = (await table.GetEntityAsync(pk, AuditKeys.RecordRow(Split(ids[6]).Seq)))!;
        var forged = AuditRecord.FromEntity(seven) with { Actor = "user:default/someone-else" };
        forged = forged with { Hash = new AuditHasher(null).Hash(forged.Canonical()) };
        var forgedRow = forged.ToEntity();
        await table.UpdateEntityAsync(forgedRow, seven.ETag!);

        var problems = (await IntegrityAsync(root)).GetProperty("problems").EnumerateArray()
            .Select(p => (Kind: p.GetProperty("kind").GetString(), Id: p.GetProperty("id").GetString())).ToArray();
        Assert.Contains(("deleted", ids[3]), problems);
        Assert.Contains(("deleted", $"{ids[8]}..{Split(ids[9]).Seq}"), problems);
        Assert.Contains(("edited", ids[6]), problems);
        Assert.Equal(3, problems.Length);
    }

    [Fact]
    public async Task Two_instances_appending_at_once_keep_one_unbroken_chain()
    {
        var shared = new Dictionary<string, string?>(RootAdmin) { ["IDP_AUDIT_TABLE"] = "auditshared" + Guid.NewGuid().ToString("N")[..10] };
        await using var one = await IdentityTestHost.StartAsync(azurite, Directory(), shared);
        await using var two = await IdentityTestHost.StartAsync(azurite, Directory(), shared);
        var logs = new[] { one, two }.Select(h => h.App.Services.GetRequiredService<IAuditLog>()).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            logs[i % 2].RecordAsync(new AuditEvent("Concurrent", $"n{i}", AuditOutcomes.Success, Caller.SystemFor("instance" + (i % 2))), default)));

        using var root = await one.SignInAsync("user:default/root");
        var report = await IntegrityAsync(root);
        Assert.True(report.GetProperty("intact").GetBoolean(), report.ToString());
        var rows = await azurite.CreateClient().GetTable(one.AuditTable)
            .QueryAsync(TableFilter.Eq("Action", "Concurrent")).Select(e => e.GetInt64("Seq")!.Value).ToListAsync();
        Assert.Equal(300, rows.Count);
        Assert.Equal(rows.Count, rows.Distinct().Count());
    }

    [Fact]
    public async Task Days_link_to_each_other_so_a_whole_deleted_day_is_detected()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 20, 23, 59, 0, TimeSpan.Zero));
        await using var host = await IdentityTestHost.StartAsync(azurite, Directory(), RootAdmin, services: s => s.AddSingleton<TimeProvider>(clock));
        var log = host.App.Services.GetRequiredService<IAuditLog>();
        for (var i = 0; i < 3; i++)
        {
            await log.RecordAsync(new AuditEvent("BeforeMidnight", null, AuditOutcomes.Success, Caller.SystemFor("test")), default);
        }

        clock.Advance(TimeSpan.FromMinutes(2));
        for (var i = 0; i < 3; i++)
        {
            await log.RecordAsync(new AuditEvent("AfterMidnight", null, AuditOutcomes.Success, Caller.SystemFor("test")), default);
        }

        using var root = await host.SignInAsync("user:default/root");
        var report = await IntegrityAsync(root);
        Assert.True(report.GetProperty("intact").GetBoolean(), report.ToString());
        Assert.Equal(2, report.GetProperty("checkedDays").GetInt32());

        var table = azurite.CreateClient().GetTable(host.AuditTable);
        var firstOfNextDay = (await table.GetEntityAsync(AuditKeys.DayPartition("20261121"), AuditKeys.RecordRow(1)))!;
        Assert.Equal("20261120-3", firstOfNextDay.GetString("PrevRef"));

        // Remove the whole of the first day, head row and index entry included.
        await foreach (var e in table.QueryAsync(TableFilter.Eq("PartitionKey", AuditKeys.DayPartition("20261120"))))
        {
            await table.DeleteEntityAsync(e.PartitionKey, e.RowKey);
        }

        await table.DeleteEntityAsync(AuditKeys.IndexPartition, AuditKeys.DayPartition("20261120"));
        var problems = (await IntegrityAsync(root)).GetProperty("problems").EnumerateArray().ToArray();
        var deleted = Assert.Single(problems);
        Assert.Equal("deleted", deleted.GetProperty("kind").GetString());
        Assert.Equal("20261120-3", deleted.GetProperty("id").GetString());
    }

    private static async Task<string[]> WriteAsync(IdentityTestHost host, int count)
    {
        var log = host.App.Services.GetRequiredService<IAuditLog>();
        for (var i = 0; i < count; i++)
        {
            await log.RecordAsync(new AuditEvent("Write", $"component:default/c{i}", i % 2 == 0 ? AuditOutcomes.Denied : AuditOutcomes.Success, Caller.SystemFor("test")), default);
        }

        var table = host.App.Services.GetRequiredService<AuditChainStore>().Table;
        var ids = await table.QueryAsync(TableFilter.Eq("Action", "Write")).Select(e => AuditRecord.FromEntity(e)).OrderBy(r => r.Seq).Select(r => r.Id).ToArrayAsync();
        Assert.Equal(count, ids.Length);
        return ids;
    }

    private static (string Day, long Seq) Split(string id)
    {
        Assert.True(AuditKeys.TryParseId(id, out var day, out var seq));
        return (day, seq);
    }

    private static async Task<JsonElement> IntegrityAsync(HttpClient client)
    {
        using var r = await client.GetAsync("/api/audit/integrity");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await r.Content.ReadFromJsonAsync<JsonElement>();
    }
}
