namespace IdpServerless.Functions.Identity.Access;

/// <summary>
/// What a handler adds to its request's audit record (the record itself is written by the access middleware, after
/// the fact, for every state-changing call and every denial). Never put secret values here.
/// </summary>
public sealed class HttpAuditFeature
{
    public string? Target { get; set; }

    public Dictionary<string, string> Detail { get; } = new(StringComparer.Ordinal);
}

public static class HttpAuditExtensions
{
    /// <summary>This request's audit additions (created on first use).</summary>
    public static HttpAuditFeature Audit(this HttpContext context)
    {
        var f = context.Features.Get<HttpAuditFeature>();
        if (f is null)
        {
            f = new HttpAuditFeature();
            context.Features.Set(f);
        }

        return f;
    }
}
