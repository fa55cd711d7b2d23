using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using IdpServerless.Storage;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Secrets;

/// <summary>
/// Reads everything an Azurite holds as text: every entity of every table, the visible messages of every queue and
/// every blob of every container. The list operations are signed here (SharedKey / SharedKeyLite with the emulator's
/// published key) because the app's storage client has no reason to list accounts.
/// </summary>
public sealed class StorageScanner(AzuriteFixture azurite)
{
    private const string Version = "2021-12-02";
    private readonly HttpClient _http = new();

    public async Task<(string Text, int Tables, int Queues, int Blobs)> DumpAsync()
    {
        var storage = azurite.CreateClient();
        var sb = new StringBuilder();
        var tables = await ListTablesAsync();
        foreach (var name in tables)
        {
            await foreach (var e in storage.GetTable(name).QueryAsync())
            {
                sb.Append(name).Append('|').Append(e.PartitionKey).Append('|').Append(e.RowKey);
                foreach (var (k, v) in e.Properties)
                {
                    sb.Append('|').Append(k).Append('=').Append(v is byte[] b ? Encoding.UTF8.GetString(b) : Convert.ToString(v, CultureInfo.InvariantCulture));
                }

                sb.AppendLine();
            }
        }

        var queues = await ListAsync(azurite.Account.QueueEndpoint, "Queue");
        foreach (var name in queues)
        {
            foreach (var m in await storage.GetQueue(name).PeekAsync(32))
            {
                sb.Append(name).Append('|').AppendLine(m.Body);
            }
        }

        var blobs = 0;
        foreach (var container in await ListAsync(azurite.Account.BlobEndpoint, "Container"))
        {
            var client = storage.GetContainer(container);
            await foreach (var item in client.ListAsync())
            {
                var content = await client.DownloadAsync(item.Name);
                if (content is not null)
                {
                    blobs++;
                    sb.Append(container).Append('/').Append(item.Name).Append('|').AppendLine(Encoding.UTF8.GetString(content.Content));
                }
            }
        }

        return (sb.ToString(), tables.Count, queues.Count, blobs);
    }

    private async Task<List<string>> ListTablesAsync()
    {
        var names = new List<string>();
        string? next = null;
        do
        {
            var endpoint = azurite.Account.TableEndpoint.AbsoluteUri.TrimEnd('/');
            using var request = new HttpRequestMessage(HttpMethod.Get, endpoint + "/Tables" + (next is null ? string.Empty : "?NextTableName=" + Uri.EscapeDataString(next)));
            var date = DateTime.UtcNow.ToString("R", CultureInfo.InvariantCulture);
            request.Headers.Add("x-ms-date", date);
            request.Headers.Add("x-ms-version", Version);
            request.Headers.Add("Accept", "application/json;odata=nometadata");
            var resource = "/" + StorageAccount.DevelopmentAccountName + new Uri(endpoint + "/Tables").AbsolutePath;
            request.Headers.TryAddWithoutValidation("Authorization", $"SharedKeyLite {StorageAccount.DevelopmentAccountName}:{Sign(date + "\n" + resource)}");
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"listing tables: {(int)response.StatusCode} {body}");
            names.AddRange(JsonDocument.Parse(body).RootElement.GetProperty("value").EnumerateArray().Select(t => t.GetProperty("TableName").GetString()!));
            next = response.Headers.TryGetValues("x-ms-continuation-NextTableName", out var v) ? v.FirstOrDefault() : null;
        }
        while (next is not null);

        return names;
    }

    private async Task<List<string>> ListAsync(Uri endpoint, string element)
    {
        var names = new List<string>();
        string? marker = null;
        do
        {
            var url = endpoint.AbsoluteUri.TrimEnd('/') + "?comp=list" + (marker is null ? string.Empty : "&marker=" + Uri.EscapeDataString(marker));
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            var date = DateTime.UtcNow.ToString("R", CultureInfo.InvariantCulture);
            request.Headers.Add("x-ms-date", date);
            request.Headers.Add("x-ms-version", Version);
            var resource = "/" + StorageAccount.DevelopmentAccountName + new Uri(url).AbsolutePath + "\ncomp:list" + (marker is null ? string.Empty : "\nmarker:" + marker);
            var toSign = "GET\n\n\n\n\n\n\n\n\n\n\n\n" + $"x-ms-date:{date}\nx-ms-version:{Version}\n" + resource;
            request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {StorageAccount.DevelopmentAccountName}:{Sign(toSign)}");
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"listing {element}s: {(int)response.StatusCode} {body}");
            var xml = XDocument.Parse(body);
            names.AddRange(xml.Descendants(element).Select(e => e.Element("Name")!.Value));
            marker = xml.Root?.Element("NextMarker")?.Value is { Length: > 0 } m ? m : null;
        }
        while (marker is not null);

        return names;
    }

    private static string Sign(string text) =>
        Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(IdpServerless.Storage.StorageAccount.DevelopmentAccountKey), Encoding.UTF8.GetBytes(text)));
}
