namespace IdpServerless.Hosting.Problems;

/// <summary>
/// An exception from a service the portal depends on (GitHub, a Kubernetes API server, ...) that failed or refused a
/// call. Not the caller's mistake and not our bug: the error middleware answers it 503 with <c>Retry-After</c> when the
/// service named a wait, 504 when it did not answer in time, else 502, each naming the service, and logs it as a
/// warning instead of an unhandled error.
/// </summary>
public interface IUpstreamFailure
{
    /// <summary>The service, as a person reads it ("GitHub", "cluster prod-east").</summary>
    string Upstream { get; }

    /// <summary>The service's HTTP status when it answered.</summary>
    int? UpstreamStatus { get; }

    /// <summary>How long the service asked the portal to wait (a rate limit).</summary>
    TimeSpan? RetryAfter { get; }

    /// <summary>True when the service did not answer in time.</summary>
    bool TimedOut { get; }
}
