using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace IdpServerless.Hosting.Problems;

/// <summary>
/// The one error shape: RFC 7807 ProblemDetails with a stable <c>type</c> URI per kind of problem, so clients can
/// branch on it. Field errors go in <c>errors</c> keyed by the field's path (e.g. <c>metadata.name</c>).
/// </summary>
public static class ProblemTypes
{
    public const string Base = "https://idpserverless.dev/problems/";
    public const string Validation = Base + "validation";
    public const string BadRequest = Base + "bad-request";
    public const string NotFound = Base + "not-found";
    public const string Conflict = Base + "conflict";
    public const string Gone = Base + "gone";
    public const string PayloadTooLarge = Base + "payload-too-large";
    public const string Unauthenticated = Base + "unauthenticated";
    public const string Forbidden = Base + "forbidden";
    public const string RateLimited = Base + "rate-limited";
    public const string Unavailable = Base + "unavailable";
    public const string Upstream = Base + "upstream";
    public const string Internal = Base + "internal";
    public const string PreconditionFailed = Base + "precondition-failed";
    public const string MethodNotAllowed = Base + "method-not-allowed";
    public const string NotConfigured = Base + "not-configured";
}

/// <summary>An error a handler throws to answer the caller with a ProblemDetails (mapped by the error middleware).</summary>
public class ProblemException : Exception
{
    public ProblemException(int status, string type, string title, string? detail = null, IDictionary<string, string[]>? errors = null)
        : base(detail ?? title)
    {
        Status = status;
        Type = type;
        Title = title;
        Detail = detail;
        Errors = errors;
    }

    public int Status { get; }

    public string Type { get; }

    public string Title { get; }

    public string? Detail { get; }

    public IDictionary<string, string[]>? Errors { get; }

    /// <summary>Extra members written into the problem body (e.g. <c>permission</c>).</summary>
    public IDictionary<string, object?> Extensions { get; } = new Dictionary<string, object?>();

    public static ProblemException Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemException Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        new(StatusCodes.Status422UnprocessableEntity, ProblemTypes.Validation, "One or more fields are invalid.",
            detail ?? string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join("; ", e.Value)}")), errors);

    public static ProblemException BadRequest(string field, string message) =>
        new(StatusCodes.Status400BadRequest, ProblemTypes.BadRequest, "The request is malformed.", $"{field}: {message}",
            new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemException NotFound(string what) =>
        new(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found.", what);

    public static ProblemException Conflict(string detail) =>
        new(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "Conflict.", detail);

    public static ProblemException Gone(string detail) =>
        new(StatusCodes.Status410Gone, ProblemTypes.Gone, "Gone.", detail);

    public static ProblemException TooLarge(string detail) =>
        new(StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge, "Payload too large.", detail);

    /// <summary>
    /// 503: a feature cannot answer because the operator has not configured it. The detail is <paramref name="reason"/>
    /// followed by the settings to set ("Set A or B."), which the <c>settings</c> member lists too; never a value.
    /// </summary>
    public static ProblemException NotConfigured(string feature, string reason, IReadOnlyCollection<string> settings)
    {
        var e = new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.NotConfigured, $"Not configured on this installation: {feature}.",
            $"{reason} Set {string.Join(" or ", settings)}.");
        e.Extensions["settings"] = settings.ToArray();
        return e;
    }

    public static ProblemException Forbidden(string permission, string reason)
    {
        var e = new ProblemException(StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Forbidden.", reason);
        e.Extensions["permission"] = permission;
        return e;
    }

    /// <summary>The ProblemDetails body for this error.</summary>
    public ProblemDetails ToProblemDetails(string? instance = null)
    {
        ProblemDetails p = Errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(Errors);
        p.Status = Status;
        p.Type = Type;
        p.Title = Title;
        p.Detail = Detail;
        p.Instance = instance;
        foreach (var (k, v) in Extensions)
        {
            p.Extensions[k] = v;
        }

        return p;
    }
}
