using IdpServerless.Functions.Webhooks;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Webhooks;

/// <summary>The daily prune deletes delivery rows older than the retention and keeps newer ones.</summary>
[Collection("azurite")]
public class PruneWebhookDeliveriesTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Rows_written_before_the_cutoff_are_deleted_and_later_ones_kept()
    {
        var table = azurite.CreateClient().GetTable(AzuriteFixture.UniqueName("deliveries"));
        await table.CreateIfNotExistsAsync();
        for (var i = 0; i < 3; i++)
        {
            await table.AddEntityAsync(new TableEntity("github", "old-" + i) { ["Event"] = "push" });
        }

        // Nothing is older than an hour ago: nothing goes.
        Assert.Equal(0, await PruneWebhookDeliveries.PruneAsync(table, DateTimeOffset.UtcNow.AddHours(-1), CancellationToken.None));

        var cutoff = DateTimeOffset.UtcNow.AddSeconds(1);
        await Eventually.TrueAsync(() => Task.FromResult(DateTimeOffset.UtcNow > cutoff), TimeSpan.FromSeconds(10), "the cutoff to pass");
        await table.AddEntityAsync(new TableEntity("github", "new") { ["Event"] = "push" });

        Assert.Equal(3, await PruneWebhookDeliveries.PruneAsync(table, cutoff, CancellationToken.None));
        var left = new List<string>();
        await foreach (var row in table.QueryAsync())
        {
            left.Add(row.RowKey);
        }

        Assert.Equal(["new"], left);
    }
}
