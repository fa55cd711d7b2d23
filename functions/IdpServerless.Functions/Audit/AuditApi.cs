using System.Text.Json;
using IdpServerless.Hosting.Features;
using IdpServerless.Hosting.Problems;
using IdpServerless.Hosting.Security;

namespace IdpServerless.Functions.Audit;

/// <summary>One audit record as the API shows it.</summary>
public sealed record AuditItem(string Id, string At, string Actor, string Channel, string Action, string Target, string Outcome, string? CorrelationId, string? SourceIp, string? Detail)
{
    public static AuditItem From(AuditRecord r) => new(
        r.Id, AuditKeys.FormatTime(r.At), r.Actor, r.Channel, r.Action, r.Target, r.Outcome,
        r.CorrelationId.Length == 0 ? null : r.CorrelationId, r.SourceIp.Length == 0 ? null : r.SourceIp, r.DetailText());
}

/// <summary>An exported line: the item plus what is needed to verify the chain offline.</summary>
public sealed record AuditExportLine(string Id, string At, string Actor, string Channel, string Action, string Target, string Outcome, string? CorrelationId, string? SourceIp, string? Detail, long Seq, string PrevRef, string PrevHash, string Hash);

public sealed record AuditPage(IReadOnlyList<AuditItem> Items, AuditPageInfo PageInfo);

public sealed record AuditPageInfo(string? NextCursor);

/// <summary><c>/api/audit</c>: query, export and integrity check of the audit log (platform-admins: <c>audit.read</c>).</summary>
public static class AuditApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;
    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").WithTags("Audit");
        group.MapGet("/", ListAsync).WithName("ListAuditRecords").RequirePermission(Permissions.AuditRead);
        group.MapGet("/export", ExportAsync).WithName("ExportAuditRecords").RequirePermission(Permissions.AuditRead);
        group.MapGet("/integrity", IntegrityAsync).WithName("CheckAuditIntegrity").RequirePermission(Permissions.AuditRead);
        return app;
    }

    private static async Task<AuditPage> ListAsync(HttpRequest request, AuditReader reader, CancellationToken ct)
    {
        var filter = AuditFilter.Parse(request);
        var limit = DefaultLimit;
        if (request.Query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, out limit) || limit is < 1 or > MaxLimit))
        {
            throw ProblemException.Validation("limit", $"must be a whole number from 1 to {MaxLimit}");
        }

        var cursor = request.Query["cursor"].ToString();
        var (items, next) = await reader.PageAsync(filter, limit, cursor.Length == 0 ? null : cursor, ct);
        return new AuditPage(items.Select(AuditItem.From).ToArray(), new AuditPageInfo(next));
    }

    private static async Task ExportAsync(HttpContext context, AuditReader reader, CancellationToken ct)
    {
        var filter = AuditFilter.Parse(context.Request);
        context.Response.ContentType = "application/x-ndjson; charset=utf-8";
        context.Response.Headers.ContentDisposition = "attachment; filename=\"audit.jsonl\"";
        var body = context.Response.Body;
        var lines = 0;
        await foreach (var r in reader.AllAsync(filter, ct))
        {
            var line = new AuditExportLine(r.Id, AuditKeys.FormatTime(r.At), r.Actor, r.Channel, r.Action, r.Target, r.Outcome,
                r.CorrelationId.Length == 0 ? null : r.CorrelationId, r.SourceIp.Length == 0 ? null : r.SourceIp, r.DetailText(),
                r.Seq, r.PrevRef, r.PrevHash, r.Hash);
            await JsonSerializer.SerializeAsync(body, line, JsonSerializerOptions.Web, ct);
            await body.WriteAsync(NewLine, ct);
            if (++lines % 500 == 0)
            {
                await body.FlushAsync(ct);
            }
        }
    }

    private static async Task<IntegrityReport> IntegrityAsync(HttpRequest request, AuditIntegrity integrity, CancellationToken ct)
    {
        var filter = AuditFilter.Parse(request);
        return await integrity.CheckAsync(filter.From, filter.To, ct);
    }
}

public static class AuditRegistration
{
    /// <summary>The hash-chained audit log: the app's <see cref="IAuditLog"/>, its reader and its integrity check.</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddSingleton<AuditChainStore>();
        services.AddSingleton<AuditChainWriter>();
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<AuditChainWriter>());
        services.AddSingleton<AuditReader>();
        services.AddSingleton<AuditIntegrity>();
        services.AddFeatureCheck(sp => AuditHasher.FeaturesOff(sp.GetRequiredService<IConfiguration>()));
        return services;
    }
}
