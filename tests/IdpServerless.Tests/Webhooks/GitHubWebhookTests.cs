using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IdpServerless.Functions.Webhooks;
using IdpServerless.Hosting.Dispatch;
using IdpServerless.Hosting.Security;
using IdpServerless.Storage;
using IdpServerless.Tests.Events;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Webhooks;

/// <summary>GitHub deliveries, signed as GitHub signs them, through the real intake and queue processing.</summary>
[Collection("azurite")]
public class GitHubWebhookTests(AzuriteFixture azurite)
{
    private const string DefaultSecret = "default-webhook-secret";
    private const string SpecialSecret = "special-webhook-secret";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public static Dictionary<string, string?> Settings(string specialRepo = "acme/special") => new()
    {
        ["Webhooks__GitHub__DefaultSecret"] = "local:gh-default",
        ["Secrets__gh-default"] = DefaultSecret,
        [$"Webhooks__GitHub__Secrets__{specialRepo.Replace("/", "__", StringComparison.Ordinal)}"] = "local:gh-special",
        ["Secrets__gh-special"] = SpecialSecret,
    };

    [Fact]
    public async Task A_signed_push_touching_a_registered_catalog_file_refreshes_that_location_only()
    {
        var settings = Settings();
        settings["Logging:LogLevel:IdpServerless.Functions.Catalog"] = "Debug";
        await using var host = await EventsAppHost.StartAsync(azurite, settings);
        var repo = Unique();
        var touched = $"https://github.com/acme/{repo}/blob/main/catalog-info.yaml";
        var untouched = $"git:acme/{repo}/docs/catalog-info.yaml";
        host.Catalog.Locations.Add(touched);
        host.Catalog.Locations.Add(untouched);
        var body = ProviderPayloads.GitHubPush("acme", repo, "main", Sha(), ["catalog-info.yaml", "src/Program.cs"]);

        using var response = await host.Client.SendAsync(Signing.GitHubRequest(body, "push", Guid.NewGuid().ToString(), Signing.GitHub(DefaultSecret, body)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var audit = await Eventually.ValueAsync(() => Task.FromResult(host.Audit.Events.FirstOrDefault(a => a.Action == "webhook.catalog-refresh" && a.Target!.Contains(repo, StringComparison.Ordinal))), Wait, "the refresh");
        Assert.Equal(touched, audit.Target);
        Assert.Equal(Channels.Webhook, audit.Caller.Channel);
        // The catalog's own refresh function took the message (the location is not registered in the real catalog here).
        await Eventually.TrueAsync(() => Task.FromResult(host.Logs.Entries.Any(e => e.EventId == 3202 && e.Message.Contains(touched, StringComparison.Ordinal))), Wait, "the catalog's refresh function");
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains(untouched, StringComparison.Ordinal));
        Assert.DoesNotContain(host.Deployments.Started, s => s.Request.Component.Contains(repo, StringComparison.Ordinal)); // no component opted in
    }

    [Fact]
    public async Task A_push_to_the_default_branch_deploys_opted_in_components_of_the_repository_with_the_commit_sha()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        var repo = Unique();
        host.Catalog.AddComponent(repo + "-api", (EventAnnotations.GitHubProjectSlug, $"acme/{repo}"), (EventAnnotations.AutoDeploy, "true"));
        host.Catalog.AddComponent(repo + "-worker", (EventAnnotations.GitHubProjectSlug, $"acme/{repo}"));
        var sha = Sha();
        var body = ProviderPayloads.GitHubPush("acme", repo, "main", sha, ["src/Program.cs"]);

        using var response = await host.Client.SendAsync(Signing.GitHubRequest(body, "push", Guid.NewGuid().ToString(), Signing.GitHub(DefaultSecret, body)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = await Eventually.ValueAsync(() => Task.FromResult<Functions.Deployments.DeploymentRequest?>(host.Deployments.Started.FirstOrDefault(s => s.Request.Component.Contains(repo, StringComparison.Ordinal)).Request), Wait, "the deployment");
        Assert.Equal($"component:default/{repo}-api", started.Component);
        Assert.Equal(sha, started.Version);
        Assert.Equal((sha, DateTimeOffset.Parse("2024-05-02T08:15:00Z", System.Globalization.CultureInfo.InvariantCulture)), (started.SourceCommit, started.CommittedAt));
        Assert.Equal("dev", started.Environment);
        var caller = host.Deployments.Started.Single(s => s.Request.Component.Contains(repo, StringComparison.Ordinal)).Caller;
        Assert.Equal($"system:github:acme/{repo}", caller.UserRef);
        Assert.Equal(Channels.Webhook, caller.Channel);
        await Eventually.TrueAsync(() => Task.FromResult(host.Audit.Events.Any(a => a.Action == "webhook.auto-deploy" && a.Target == started.Component && a.Outcome == AuditOutcomes.Success)), Wait, "the audit entry");
    }

    [Fact]
    public async Task A_published_release_and_a_published_image_deploy_their_tags()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        var repo = Unique();
        host.Catalog.AddComponent(repo, (EventAnnotations.GitHubProjectSlug, $"acme/{repo}"), (EventAnnotations.AutoDeploy, "true"));

        var release = ProviderPayloads.GitHubRelease("acme", repo, "v1.4.0");
        var draft = ProviderPayloads.GitHubRelease("acme", repo, "v9.9.9", action: "created");
        var image = ProviderPayloads.GitHubRegistryPackage("acme", repo, "1.4.1");
        foreach (var (body, name) in new[] { (release, "release"), (draft, "release"), (image, "registry_package") })
        {
            using var r = await host.Client.SendAsync(Signing.GitHubRequest(body, name, Guid.NewGuid().ToString(), Signing.GitHub(DefaultSecret, body)));
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }

        var versions = await Eventually.ValueAsync(() =>
        {
            var v = host.Deployments.Started.Where(s => s.Request.Component == $"component:default/{repo}").Select(s => s.Request.Version).Order(StringComparer.Ordinal).ToList();
            return Task.FromResult(v.Count >= 2 ? v : null);
        }, Wait, "two deployments");
        Assert.Equal(["1.4.1", "v1.4.0"], versions);
    }

    [Fact]
    public async Task Pull_request_events_keep_the_open_count_and_a_late_older_event_changes_nothing()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        var repo = Unique();
        host.Catalog.AddComponent(repo, (EventAnnotations.GitHubProjectSlug, $"acme/{repo}"));
        host.Directory.AddUser("reader-" + repo, []);
        var t0 = new DateTimeOffset(2024, 5, 2, 10, 0, 0, TimeSpan.Zero);
        var events = new[]
        {
            ProviderPayloads.GitHubPullRequest("acme", repo, 1, "opened", "open", t0),
            ProviderPayloads.GitHubPullRequest("acme", repo, 2, "opened", "open", t0.AddMinutes(1)),
            ProviderPayloads.GitHubPullRequest("acme", repo, 3, "opened", "open", t0.AddMinutes(2)),
            ProviderPayloads.GitHubPullRequest("acme", repo, 2, "closed", "closed", t0.AddMinutes(5)),
            ProviderPayloads.GitHubPullRequest("acme", repo, 2, "synchronize", "open", t0.AddMinutes(3)), // arrives late
        };
        foreach (var body in events)
        {
            using var r = await host.Client.SendAsync(Signing.GitHubRequest(body, "pull_request", Guid.NewGuid().ToString(), Signing.GitHub(DefaultSecret, body)));
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            await Eventually.TrueAsync(async () => await host.Storage.GetQueue(WebhookEnvelope.QueueName).GetApproximateCountAsync() == 0, Wait, "the webhook queue to drain");
        }

        var count = await Eventually.ValueAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/components/default/{repo}/pull-requests");
            request.Headers.Add(EventsAppHost.TestUserHeader, $"user:default/reader-{repo}");
            using var r = await host.Client.SendAsync(request);
            var c = await r.Content.ReadFromJsonAsync<PullRequestCount>();
            return c?.UpdatedAt == t0.AddMinutes(5) ? c : null;
        }, Wait, "the pull-request count");
        Assert.Equal(2, count.Open);
        using var missingRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/components/default/{repo}-nope/pull-requests");
        missingRequest.Headers.Add(EventsAppHost.TestUserHeader, $"user:default/reader-{repo}");
        using var missing = await host.Client.SendAsync(missingRequest);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Unsigned_wrongly_signed_and_wrong_secret_deliveries_get_401_and_have_no_effect()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        var repo = Unique();
        host.Catalog.AddComponent(repo, (EventAnnotations.GitHubProjectSlug, $"acme/{repo}"), (EventAnnotations.AutoDeploy, "true"));
        var body = ProviderPayloads.GitHubPush("acme", repo, "main", Sha(), ["src/a.cs"]);
        var tampered = body.Replace("src/a.cs", "src/b.cs", StringComparison.Ordinal);
        var deliveries = new List<string>();
        foreach (var signature in new string?[] { null, "sha256=" + new string('0', 64), Signing.GitHub("not-the-secret", body), Signing.GitHub(DefaultSecret, tampered), "sha1=abc" })
        {
            var id = Guid.NewGuid().ToString();
            deliveries.Add(id);
            using var r = await host.Client.SendAsync(Signing.GitHubRequest(body, "push", id, signature));
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            Assert.Contains("unauthenticated", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A valid delivery after them is processed, proving the processing pipeline ran meanwhile.
        var marker = Guid.NewGuid().ToString();
        var valid = ProviderPayloads.GitHubPush("acme", repo + "-other", "main", Sha(), ["x"]);
        using (var ok = await host.Client.SendAsync(Signing.GitHubRequest(valid, "push", marker, Signing.GitHub(DefaultSecret, valid))))
        {
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        }

        await Eventually.TrueAsync(async () => await host.Storage.GetQueue(WebhookEnvelope.QueueName).GetApproximateCountAsync() == 0, Wait, "the webhook queue to drain");
        Assert.DoesNotContain(host.Deployments.Started, s => s.Request.Component == $"component:default/{repo}");
        var table = host.Storage.GetTable(ReceiveWebhook.DeliveriesTable);
        foreach (var id in deliveries)
        {
            Assert.Null(await table.GetEntityAsync("github", id));
        }
    }

    [Fact]
    public async Task A_repository_with_its_own_secret_refuses_the_default_secret()
    {
        var repo = Unique();
        await using var host = await EventsAppHost.StartAsync(azurite, Settings($"acme/{repo}"));
        var body = ProviderPayloads.GitHubRelease("acme", repo, "v1.0.0");

        using var withDefault = await host.Client.SendAsync(Signing.GitHubRequest(body, "release", Guid.NewGuid().ToString(), Signing.GitHub(DefaultSecret, body)));
        using var withOwn = await host.Client.SendAsync(Signing.GitHubRequest(body, "release", Guid.NewGuid().ToString(), Signing.GitHub(SpecialSecret, body)));

        Assert.Equal(HttpStatusCode.Unauthorized, withDefault.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, withOwn.StatusCode);
    }

    [Fact]
    public async Task The_same_delivery_sent_ten_times_has_one_effect()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        var repo = Unique();
        host.Catalog.AddComponent(repo, (EventAnnotations.GitHubProjectSlug, $"acme/{repo}"), (EventAnnotations.AutoDeploy, "true"));
        var body = ProviderPayloads.GitHubRelease("acme", repo, "v2.0.0");
        var delivery = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var r = await host.Client.SendAsync(Signing.GitHubRequest(body, "release", delivery, Signing.GitHub(DefaultSecret, body)));
            return (r.StatusCode, Receipt: await r.Content.ReadFromJsonAsync<WebhookReceipt>());
        }));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted && r.Receipt!.Queued);
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.OK && r.Receipt!.Duplicate));
        await Eventually.TrueAsync(() => Task.FromResult(host.Deployments.Started.Any(s => s.Request.Component == $"component:default/{repo}")), Wait, "the deployment");
        await Eventually.TrueAsync(async () => await host.Storage.GetQueue(WebhookEnvelope.QueueName).GetApproximateCountAsync() == 0, Wait, "the webhook queue to drain");
        Assert.Single(host.Deployments.Started, s => s.Request.Component == $"component:default/{repo}");
    }

    [Fact]
    public async Task A_payload_larger_than_a_queue_message_travels_through_a_blob_and_is_processed()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        host.Policy.Grant(WebhookCaller.Group, Permissions.DeploymentCreate);
        var repo = Unique();
        host.Catalog.AddComponent(repo, (EventAnnotations.GitHubProjectSlug, $"acme/{repo}"), (EventAnnotations.AutoDeploy, "true"));
        var files = Enumerable.Range(0, 400).Select(i => $"src/generated/module-{i:D4}/a-rather-long-file-name-to-make-the-payload-big-{i}.cs").ToArray();
        var sha = Sha();
        var body = ProviderPayloads.GitHubPush("acme", repo, "main", sha, files, files, files);
        Assert.True(body.Length > 100_000);

        using var response = await host.Client.SendAsync(Signing.GitHubRequest(body, "push", Guid.NewGuid().ToString(), Signing.GitHub(DefaultSecret, body)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = await Eventually.ValueAsync(() => Task.FromResult<Functions.Deployments.DeploymentRequest?>(host.Deployments.Started.FirstOrDefault(s => s.Request.Component == $"component:default/{repo}").Request), Wait, "the deployment");
        Assert.Equal(sha, started.Version);
    }

    [Fact]
    public async Task A_deployment_the_policy_refuses_goes_to_the_poison_queue_with_the_reason_and_is_audited_as_denied()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        var repo = Unique();
        host.Catalog.AddComponent(repo, (EventAnnotations.GitHubProjectSlug, $"acme/{repo}"), (EventAnnotations.AutoDeploy, "true"));
        var body = ProviderPayloads.GitHubRelease("acme", repo, "v3.0.0");
        var delivery = Guid.NewGuid().ToString();

        using var response = await host.Client.SendAsync(Signing.GitHubRequest(body, "release", delivery, Signing.GitHub(DefaultSecret, body)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var poison = host.Storage.GetQueue(WebhookEnvelope.QueueName + "-poison");
        var record = await Eventually.ValueAsync(async () =>
        {
            await poison.CreateIfNotExistsAsync();
            return (await poison.PeekAsync(32)).Select(m => PoisonRecord.TryParse(m.Body)).FirstOrDefault(p => p?.Body.Contains(delivery, StringComparison.Ordinal) == true);
        }, Wait, "the poison record");
        Assert.Contains("refused (403)", record.Reason, StringComparison.Ordinal);
        Assert.Contains(Permissions.DeploymentCreate, record.Reason, StringComparison.Ordinal);
        Assert.Contains(host.Audit.Events, a => a.Action == "webhook.auto-deploy" && a.Outcome == AuditOutcomes.Denied && a.Target == $"component:default/{repo}");
        Assert.DoesNotContain(host.Deployments.Started, s => s.Request.Component == $"component:default/{repo}");
    }

    [Fact]
    public async Task A_ping_is_answered_and_queues_nothing()
    {
        await using var host = await EventsAppHost.StartAsync(azurite, Settings());
        var body = JsonSerializer.Serialize(new { zen = "Keep it logically awesome.", hook_id = 1, repository = new { full_name = "acme/" + Unique() } });

        using var r = await host.Client.SendAsync(Signing.GitHubRequest(body, "ping", Guid.NewGuid().ToString(), Signing.GitHub(DefaultSecret, body)));

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var receipt = await r.Content.ReadFromJsonAsync<WebhookReceipt>();
        Assert.False(receipt!.Queued);
        Assert.Equal("pong", receipt.Note);
    }

    internal static string Unique() => "svc-" + Guid.NewGuid().ToString("N")[..10];

    internal static string Sha() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + "abcdef01";
}
