using IdpServerless.Functions.Deployments.GitOps;

namespace IdpServerless.Functions.Clusters.Simulated;

/// <summary>A fault injected into a simulated cluster for one version (of one app, or of every app when App is null).</summary>
/// <param name="Unhealthy">Pods of the version crash-loop and never become ready.</param>
/// <param name="ErrorRate">Share (0..1) of the version's requests that fail with 5xx.</param>
/// <param name="LatencySeconds">p99 latency of the version.</param>
public sealed record SimulatedFault(string Version, string? App, bool Unhealthy, double? ErrorRate, double? LatencySeconds);

/// <summary>Per-version request figures of one app in one simulated cluster.</summary>
public sealed record VersionTraffic(string App, string Namespace, string Version, double RequestsPerSecond, double ErrorRate, double LatencyP99Seconds, double TotalRequests, double TotalErrors);

/// <summary>
/// One simulated Kubernetes cluster: it applies desired state (as the reconciler hands it over), moves ready replicas
/// towards the desired count over the convergence time, crash-loops versions made unhealthy, and produces request
/// metrics per version from the route weights. State lives in memory and is rebuilt from Git by the reconciler.
/// </summary>
public sealed class SimulatedCluster(string name, string region, ClusterOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Ns, string App), AppState> _apps = [];
    private readonly List<SimulatedFault> _faults = [];
    private readonly List<ClusterEvent> _events = [];

    public string Name => name;

    public string Region => region;

    public int Nodes => 3;

    /// <summary>The revision last applied for the app, or null.</summary>
    public string? AppliedRevision(string ns, string app)
    {
        lock (_gate)
        {
            return _apps.TryGetValue((ns, app), out var a) ? a.Revision : null;
        }
    }

    /// <summary>Applies desired state at <paramref name="revision"/>: changed tracks start rolling out, removed ones go.</summary>
    public void Apply(string ns, DesiredState state, string revision)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Advance(now);
            var app = _apps.TryGetValue((ns, state.App), out var existing) ? existing : _apps[(ns, state.App)] = new AppState { CountedUntil = now };
            app.Revision = revision;
            foreach (var gone in app.Tracks.Keys.Where(k => state.Find(k) is null).ToList())
            {
                app.Tracks.Remove(gone);
                Event(now, "Normal", "Deleted", $"deployment/{state.App}-{gone}", "Deleted deployment");
            }

            foreach (var t in state.Tracks)
            {
                var obj = $"deployment/{state.App}-{t.Name}";
                if (!app.Tracks.TryGetValue(t.Name, out var track))
                {
                    app.Tracks[t.Name] = new TrackState(t.Version, t.Replicas, t.Weight, 0, now);
                    Event(now, "Normal", "ScalingReplicaSet", obj, $"Scaled up replica set {state.App}-{t.Name}-{t.Version} to {t.Replicas}");
                }
                else if (track.Version != t.Version)
                {
                    app.Tracks[t.Name] = new TrackState(t.Version, t.Replicas, t.Weight, 0, now);
                    Event(now, "Normal", "ScalingReplicaSet", obj, $"Rolling out {t.Version} (was {track.Version}) to {t.Replicas} replicas");
                }
                else
                {
                    var ready = ReadyOf(state.App, track, now);
                    app.Tracks[t.Name] = track.Desired == t.Replicas ? track with { Weight = t.Weight } : new TrackState(t.Version, t.Replicas, t.Weight, ready, now);
                    if (track.Desired != t.Replicas)
                    {
                        Event(now, "Normal", "ScalingReplicaSet", obj, $"Scaled replica set {state.App}-{t.Name}-{t.Version} from {track.Desired} to {t.Replicas}");
                    }
                }
            }
        }
    }

    public IReadOnlyList<Workload> Workloads(string ns, string app)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_apps.TryGetValue((ns, app), out var state))
            {
                return [];
            }

            return state.Tracks.OrderBy(t => t.Key, StringComparer.Ordinal).Select(kv =>
            {
                var (track, s) = (kv.Key, kv.Value);
                var ready = ReadyOf(app, s, now);
                var crashing = IsUnhealthy(app, s.Version) && s.Desired > 0;
                var status = crashing ? "Degraded" : ready >= s.Desired ? "Healthy" : "Progressing";
                var message = crashing ? $"Back-off restarting failed container app in pods of {app}-{track} ({s.Version}): CrashLoopBackOff" : null;
                var updated = crashing ? s.Desired : Math.Max(ready, s.Desired > 0 && now > s.ChangedAt ? Math.Min(s.Desired, ready + 1) : ready);
                return new Workload(name, ns, $"{app}-{track}", track, s.Version, new ReplicaCounts(s.Desired, ready, updated), status, message);
            }).ToList();
        }
    }

    public IReadOnlyList<(string Ns, string App)> Apps()
    {
        lock (_gate)
        {
            return _apps.Keys.ToList();
        }
    }

    public IReadOnlyList<ClusterEvent> Events(string app)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var list = _events.Where(e => e.Object.Contains($"/{app}-", StringComparison.Ordinal)).ToList();
            foreach (var ((ns, a), state) in _apps.Where(x => x.Key.App == app))
            {
                foreach (var (track, s) in state.Tracks.Where(t => IsUnhealthy(a, t.Value.Version) && t.Value.Desired > 0))
                {
                    list.Add(new ClusterEvent(now, "Warning", "BackOff", $"pod/{a}-{track}-{s.Version}", $"Back-off restarting failed container app in {ns}/{a}-{track} ({s.Version})"));
                }
            }

            return list.OrderByDescending(e => e.At).Take(50).ToList();
        }
    }

    public void AddFault(SimulatedFault fault)
    {
        lock (_gate)
        {
            Advance(time.GetUtcNow());
            _faults.RemoveAll(f => f.Version == fault.Version && f.App == fault.App);
            _faults.Add(fault);
        }
    }

    public void ClearFaults()
    {
        lock (_gate)
        {
            Advance(time.GetUtcNow());
            _faults.Clear();
        }
    }

    public IReadOnlyList<SimulatedFault> Faults()
    {
        lock (_gate)
        {
            return _faults.ToList();
        }
    }

    /// <summary>Traffic per version now (tracks with weight and ready pods), with cumulative counters.</summary>
    public IReadOnlyList<VersionTraffic> Traffic()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Advance(now);
            var result = new List<VersionTraffic>();
            foreach (var ((ns, app), state) in _apps)
            {
                foreach (var s in state.Tracks.Values)
                {
                    var rps = RateOf(app, s, now);
                    var totals = state.Totals.GetValueOrDefault(s.Version);
                    result.Add(new VersionTraffic(app, ns, s.Version, rps, ErrorRateOf(app, s.Version), LatencyOf(app, s.Version), totals.Requests, totals.Errors));
                }
            }

            return result;
        }
    }

    /// <summary>CPU and memory in use (each ready pod takes 0.25 core and 0.5 GiB).</summary>
    public (double Cpu, double Memory) Usage()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var pods = _apps.SelectMany(a => a.Value.Tracks.Values.Select(t => ReadyOf(a.Key.App, t, now))).Sum();
            return (0.6 + (0.25 * pods), 2 + (0.5 * pods));
        }
    }

    private void Advance(DateTimeOffset now)
    {
        // Integrate request counters up to now at the rates that held since the last call.
        foreach (var ((_, app), state) in _apps)
        {
            var seconds = (now - state.CountedUntil).TotalSeconds;
            state.CountedUntil = now;
            if (seconds <= 0)
            {
                continue;
            }

            foreach (var s in state.Tracks.Values)
            {
                var requests = RateOf(app, s, now) * seconds;
                var t = state.Totals.GetValueOrDefault(s.Version);
                state.Totals[s.Version] = (t.Requests + requests, t.Errors + (requests * ErrorRateOf(app, s.Version)));
            }
        }
    }

    private double RateOf(string app, TrackState s, DateTimeOffset now) =>
        s.Weight <= 0 || ReadyOf(app, s, now) == 0 || IsUnhealthy(app, s.Version) ? 0 : options.RequestsPerSecond * s.Weight / 100.0;

    private int ReadyOf(string app, TrackState s, DateTimeOffset now)
    {
        if (IsUnhealthy(app, s.Version))
        {
            return 0;
        }

        if (s.Desired <= s.ReadyAtChange)
        {
            return s.Desired;
        }

        var convergence = options.ConvergenceTime.TotalMilliseconds;
        var progress = convergence <= 0 ? 1 : Math.Clamp((now - s.ChangedAt).TotalMilliseconds / convergence, 0, 1);
        return s.ReadyAtChange + (int)Math.Floor((s.Desired - s.ReadyAtChange) * progress);
    }

    private SimulatedFault? FaultOf(string app, string version) =>
        _faults.LastOrDefault(f => f.Version == version && (f.App is null || f.App == app));

    private bool IsUnhealthy(string app, string version) => FaultOf(app, version)?.Unhealthy == true;

    private double ErrorRateOf(string app, string version) => FaultOf(app, version)?.ErrorRate ?? options.BaselineErrorRate;

    private double LatencyOf(string app, string version) => FaultOf(app, version)?.LatencySeconds ?? options.BaselineLatencySeconds;

    private void Event(DateTimeOffset at, string type, string reason, string obj, string message)
    {
        _events.Add(new ClusterEvent(at, type, reason, obj, message));
        if (_events.Count > 500)
        {
            _events.RemoveRange(0, 100);
        }
    }

    private sealed class AppState
    {
        public string? Revision { get; set; }

        public Dictionary<string, TrackState> Tracks { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, (double Requests, double Errors)> Totals { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset CountedUntil { get; set; }
    }

    private sealed record TrackState(string Version, int Desired, int Weight, int ReadyAtChange, DateTimeOffset ChangedAt);
}
