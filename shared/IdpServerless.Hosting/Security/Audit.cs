namespace IdpServerless.Hosting.Security;

/// <summary>Outcomes recorded in the audit log.</summary>
public static class AuditOutcomes
{
    public const string Success = "success";
    public const string Denied = "denied";
    public const string Failed = "failed";
}

/// <summary>One audited action. Never carries secret values.</summary>
public sealed record AuditEvent(
    string Action,
    string? Target,
    string Outcome,
    Caller Caller,
    string? CorrelationId = null,
    string? SourceAddress = null,
    IReadOnlyDictionary<string, string>? Detail = null);

/// <summary>The one audit writer: append-only.</summary>
public interface IAuditLog
{
    Task RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken);
}
