using System.Net.Sockets;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public class AzuriteFixtureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Connection_string_parses_to_the_running_emulator()
    {
        var account = StorageAccount.Parse(azurite.ConnectionString);
        using var http = new HttpClient();
        var client = new StorageClient(account, http);
        var table = client.GetTable(AzuriteFixture.UniqueName("t"));

        await table.CreateIfNotExistsAsync();
        await table.UpsertEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });

        Assert.Equal(azurite.Account.TableEndpoint, account.TableEndpoint);
        Assert.Equal(1, (await table.GetEntityAsync("p", "r"))!.GetInt32("V"));
    }

    [Fact]
    public async Task Ports_are_distinct_loopback_listeners()
    {
        int[] ports = [azurite.BlobPort, azurite.QueuePort, azurite.TablePort];
        Assert.Equal(3, ports.Distinct().Count());
        foreach (var port in ports)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", port);
            Assert.True(tcp.Connected);
        }
    }
}
