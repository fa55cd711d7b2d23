using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Functions.Deployments;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Insights.Scorecards;

/// <summary>
/// Current scorecard results on this instance, derived from its catalog index and the delivery history (so every
/// instance answers alike without a shared results store). The first read evaluates everything; afterwards a catalog
/// change (<see cref="CatalogIndex.Changed"/>) re-evaluates only the entities it touched, a changed Scorecard only
/// itself, and a finished deployment only its component's delivery rules. Reads catch up before answering, so they
/// never see results older than the index they answer from. History is written by <see cref="ScorecardSnapshotFunction"/>.
/// </summary>
public sealed partial class ScorecardService : IDisposable
{
    /// <summary>Above this many pending refs one full evaluation is cheaper than looking each up.</summary>
    private const int RebuildThreshold = 5000;
    private readonly CatalogIndex _index;
    private readonly DeliveryHistoryCache _deliveries;
    private readonly IOptions<DeploymentOptions> _deploymentOptions;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Lock _pendingGate = new();
    private readonly Dictionary<string, CardState> _cards = new(StringComparer.Ordinal);
    private HashSet<string> _pending = new(StringComparer.Ordinal);
    private HashSet<string> _pendingComponents = new(StringComparer.Ordinal);
    private bool _rebuild = true;
    private bool _deliveryRulesStale;

    public ScorecardService(CatalogIndex index, DeliveryHistoryCache deliveries, IOptions<DeploymentOptions> deploymentOptions, TimeProvider time)
    {
        _index = index;
        _deliveries = deliveries;
        _deploymentOptions = deploymentOptions;
        _time = time;
        index.Changed += OnCatalogChanged;
        deliveries.ComponentChanged += OnComponentChanged;
    }

    /// <summary>Evaluations run since start (full ones count every entity), for tests and benchmarks.</summary>
    public long Evaluations { get; private set; }

    public void Dispose()
    {
        _index.Changed -= OnCatalogChanged;
        _deliveries.ComponentChanged -= OnComponentChanged;
    }

    /// <summary>Re-evaluates everything now (benchmarks; the snapshot after a long pause).</summary>
    public async Task<long> EvaluateAllAsync(CancellationToken ct)
    {
        await PrepareAsync(ct).ConfigureAwait(false);
        lock (_gate)
        {
            lock (_pendingGate)
            {
                _rebuild = true;
            }

            var before = Evaluations;
            CatchUp();
            return Evaluations - before;
        }
    }

    /// <summary>Catches up with pending changes only (benchmarks measure one change's cost with it); returns evaluations made.</summary>
    public async Task<long> CatchUpAsync(CancellationToken ct)
    {
        await PrepareAsync(ct).ConfigureAwait(false);
        lock (_gate)
        {
            var before = Evaluations;
            CatchUp();
            return Evaluations - before;
        }
    }

    private async Task PrepareAsync(CancellationToken ct)
    {
        await _index.EnsureReadyAsync(_time, ct).ConfigureAwait(false);
        if (await _deliveries.EnsureFreshAsync(ct).ConfigureAwait(false))
        {
            lock (_pendingGate)
            {
                _deliveryRulesStale = true;
            }
        }
    }

    private void OnCatalogChanged(IReadOnlyCollection<string> refs)
    {
        lock (_pendingGate)
        {
            if (_rebuild)
            {
                return;
            }

            if (_pending.Count + refs.Count > RebuildThreshold)
            {
                _rebuild = true;
                _pending = new HashSet<string>(StringComparer.Ordinal);
                return;
            }

            _pending.UnionWith(refs);
        }
    }

    private void OnComponentChanged(string componentRef)
    {
        lock (_pendingGate)
        {
            _pendingComponents.Add(componentRef);
        }
    }

    private ScorecardContext Context() => new(_index, _deliveries, _deploymentOptions.Value, _time.GetUtcNow());

    /// <summary>Applies what changed since the last read; under <see cref="_gate"/>.</summary>
    private void CatchUp()
    {
        HashSet<string> pending, components;
        bool rebuild, deliveriesStale;
        lock (_pendingGate)
        {
            (pending, components, rebuild, deliveriesStale) = (_pending, _pendingComponents, _rebuild, _deliveryRulesStale);
            _pending = new HashSet<string>(StringComparer.Ordinal);
            _pendingComponents = new HashSet<string>(StringComparer.Ordinal);
            _rebuild = false;
            _deliveryRulesStale = false;
        }

        var context = Context();
        if (rebuild)
        {
            RebuildAll(context);
            return;
        }

        var reloaded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var refKey in pending.Where(r => r.StartsWith("scorecard:", StringComparison.Ordinal)))
        {
            _cards.Remove(refKey);
            if (_index.Get(refKey) is { Kind: ScorecardParser.Kind } record && ParseCard(record) is { } card)
            {
                EvaluateCard(card, context);
                _cards[refKey] = card;
                reloaded.Add(refKey);
            }
        }

        foreach (var card in _cards.Values)
        {
            if (reloaded.Contains(card.Definition.Ref))
            {
                continue;
            }

            if (deliveriesStale && card.Definition.ReadsDeliveries)
            {
                EvaluateCard(card, context);
                continue;
            }

            foreach (var refKey in card.Definition.ReadsDeliveries ? pending.Concat(components) : pending)
            {
                if (_index.Get(refKey) is { } entity && ScorecardEngine.AppliesTo(card.Definition, entity))
                {
                    card.Results[refKey] = ScorecardEngine.Evaluate(card.Definition, entity, context);
                    Evaluations++;
                }
                else
                {
                    card.Results.Remove(refKey);
                }
            }
        }
    }

    private void RebuildAll(ScorecardContext context)
    {
        _cards.Clear();
        foreach (var record in _index.Where(r => r.Kind == ScorecardParser.Kind))
        {
            if (ParseCard(record) is { } card)
            {
                _cards[card.Definition.Ref] = card;
            }
        }

        if (_cards.Count == 0)
        {
            return;
        }

        var cards = _cards.Values.ToArray();
        var entities = _index.Where(r => r.Kind != ScorecardParser.Kind);
        var results = new EntityScore?[entities.Count, cards.Length];
        Parallel.For(0, entities.Count, i =>
        {
            for (var c = 0; c < cards.Length; c++)
            {
                if (ScorecardEngine.AppliesTo(cards[c].Definition, entities[i]))
                {
                    results[i, c] = ScorecardEngine.Evaluate(cards[c].Definition, entities[i], context);
                }
            }
        });
        for (var c = 0; c < cards.Length; c++)
        {
            for (var i = 0; i < entities.Count; i++)
            {
                if (results[i, c] is { } r)
                {
                    cards[c].Results[r.Entity] = r;
                    Evaluations++;
                }
            }
        }
    }

    private void EvaluateCard(CardState card, ScorecardContext context)
    {
        card.Results.Clear();
        var entities = _index.Where(r => ScorecardEngine.AppliesTo(card.Definition, r));
        var results = new EntityScore[entities.Count];
        Parallel.For(0, entities.Count, i => results[i] = ScorecardEngine.Evaluate(card.Definition, entities[i], context));
        foreach (var r in results)
        {
            card.Results[r.Entity] = r;
        }

        Evaluations += results.Length;
    }

    private static CardState? ParseCard(EntityRecord record)
    {
        var problems = new List<EntityProblem>();
        return ScorecardParser.Parse(record.Stored.Body, record.RefKey, problems) is { } definition ? new CardState(definition) : null;
    }

    private sealed class CardState(ScorecardDefinition definition)
    {
        public ScorecardDefinition Definition { get; } = definition;

        public Dictionary<string, EntityScore> Results { get; } = new(StringComparer.Ordinal);
    }
}
