using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Delivery;

/// <summary>Settings of the CD provider (section <c>Delivery</c>).</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary><c>local</c> (default: the reconciler over the deployment repository) or <c>argocd</c>.</summary>
    public string Provider { get; set; } = "local";

    /// <summary>Argo CD base URL, e.g. <c>https://argocd.example.com</c>.</summary>
    public string? ArgoCdUrl { get; set; }

    /// <summary>Argo CD API token (a project or account token; never logged).</summary>
    public string? ArgoCdToken { get; set; }
}

/// <summary>The real CD provider over Argo CD's REST API: application sync and health, and sync requests.</summary>
public sealed class ArgoCdProvider(HttpClient http, IOptions<DeliveryOptions> options) : ICdProvider
{
    public async Task<CdApplicationStatus> GetStatusAsync(CdApplication application, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"api/v1/applications/{Uri.EscapeDataString(application.Name)}");
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return new CdApplicationStatus(SyncStatuses.Unknown, null, HealthStatuses.Missing, $"Argo CD has no application '{application.Name}'.");
        }

        await EnsureAsync(response, "get application", cancellationToken).ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        var status = doc.RootElement.TryGetProperty("status", out var s) ? s : default;
        string? Read(params string[] path)
        {
            var e = status;
            foreach (var p in path)
            {
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
                {
                    return null;
                }
            }

            return e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        }

        var message = Read("health", "message") ?? Read("operationState", "message");
        return new CdApplicationStatus(Read("sync", "status") ?? SyncStatuses.Unknown, Read("sync", "revision"), Read("health", "status") ?? HealthStatuses.Unknown, message);
    }

    public async Task SyncAsync(CdApplication application, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, $"api/v1/applications/{Uri.EscapeDataString(application.Name)}/sync");
        request.Content = JsonContent.Create(new { revision = application.Source.Branch, prune = false });
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);

        // 400 "another operation is already in progress" means a sync is running: that is what we asked for.
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (body.Contains("already in progress", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
        }

        await EnsureAsync(response, "sync application", cancellationToken).ConfigureAwait(false);
    }

    private HttpRequestMessage Request(HttpMethod method, string relative)
    {
        var baseUrl = options.Value.ArgoCdUrl ?? throw new InvalidOperationException("Delivery:ArgoCdUrl is not set.");
        var request = new HttpRequestMessage(method, new Uri(new Uri(baseUrl.TrimEnd('/') + "/"), relative));
        if (options.Value.ArgoCdToken is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            var message = body.Length > 300 ? body[..300] : body;
            throw new HttpRequestException($"Argo CD could not {what}: {(int)response.StatusCode} {message}", null, response.StatusCode);
        }
    }
}
