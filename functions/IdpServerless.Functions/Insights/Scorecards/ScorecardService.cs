using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Index;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Functions.Deployments;
using IdpServerless.Hosting.Problems;
using Microsoft.Extensions.Options;

namespace IdpServerless.Functions.Insights.Scorecards;

/// <summary>How many entities reached a level (exactly that level: the highest they passed).</summary>
public sealed record LevelCount(string Level, int Entities);

/// <summary>How many entities pass and fail one rule.</summary>
public sealed record RuleSummary(string Id, string Title, string Type, double Weight, int Passed, int Failed);

/// <summary>A scorecard's results over a set of entities (the organisation, or a team's).</summary>
public sealed record ScorecardSummary(int Entities, IReadOnlyList<LevelCount> Levels, int NoLevel, double AverageScore, IReadOnlyList<RuleSummary> Rules);

/// <summary>A scorecard as the API lists it, with the organisation's summary.</summary>
public sealed record ScorecardInfo(string Ref, string Name, string Title, string? Description, string? Owner, IReadOnlyList<ScorecardLevel> Levels, ScorecardSummary Summary);

/// <summary>One team's (group's, with its child groups') summary of a scorecard.</summary>
public sealed record TeamSummary(string Team, string? Title, ScorecardSummary Summary);

/// <summary>One scorecard with the organisation's and every owning team's summary.</summary>
public sealed record ScorecardDetail(ScorecardInfo Scorecard, IReadOnlyList<TeamSummary> Teams);

/// <summary>A page of entity results.</summary>
public sealed record EntityScorePage(IReadOnlyList<EntityScore> Items, int Total, int Offset, int Hidden);

/// <summary>An entity's result on one scorecard.</summary>
public sealed record EntityCard(string Scorecard, string Title, IReadOnlyList<ScorecardLevel> Levels, EntityScore Result);

/// <summary>
/// Current scorecard results on this instance, derived from its catalog index and the delivery history (so every
/// instance answers alike without a shared results store). The first read evaluates everything; afterwards a catalog
/// change (<see cref="CatalogIndex.Changed"/>) re-evaluates only the entities it touched, a changed Scorecard only
/// itself, and a finished deployment only its component's delivery rules. Reads catch up before answering, so they
/// never see results older than the index they answer from. History is written by <see cref="ScorecardSnapshotFunction"/>.
/// </summary>
public sealed class ScorecardService : IDisposable
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

    /// <summary>Every scorecard with the organisation's summary, by title.</summary>
    public async Task<IReadOnlyList<ScorecardInfo>> ListAsync(CancellationToken ct)
    {
        await PrepareAsync(ct).ConfigureAwait(false);
        lock (_gate)
        {
            CatchUp();
            return _cards.Values.OrderBy(c => c.Definition.Title, StringComparer.OrdinalIgnoreCase).Select(c => Info(c, c.Results.Values)).ToList();
        }
    }

    /// <summary>One scorecard with every team that owns an entity it applies to; 404 when there is no such scorecard.</summary>
    public async Task<ScorecardDetail> GetAsync(string scorecardRef, CancellationToken ct)
    {
        await PrepareAsync(ct).ConfigureAwait(false);
        lock (_gate)
        {
            CatchUp();
            var card = Find(scorecardRef);
            var teams = new Dictionary<string, List<EntityScore>>(StringComparer.Ordinal);
            var above = new Dictionary<string, List<string>>(StringComparer.Ordinal); // owner group -> it and its ancestors
            var entityTeams = new HashSet<string>(StringComparer.Ordinal);
            foreach (var result in card.Results.Values)
            {
                if (_index.Get(result.Entity) is not { } entity)
                {
                    continue;
                }

                entityTeams.Clear();
                foreach (var owner in entity.Relations)
                {
                    if (owner.Type != RelationTypes.OwnedBy || !owner.TargetRef.StartsWith("group:", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (!above.TryGetValue(owner.TargetRef, out var groups))
                    {
                        above[owner.TargetRef] = groups = Teams.WithAncestors(_index, owner.TargetRef);
                    }

                    entityTeams.UnionWith(groups);
                }

                foreach (var team in entityTeams)
                {
                    if (!teams.TryGetValue(team, out var list))
                    {
                        teams[team] = list = [];
                    }

                    list.Add(result);
                }
            }

            var summaries = teams.OrderBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => new TeamSummary(t.Key, _index.Get(t.Key)?.Title, Summarize(card.Definition, t.Value)))
                .ToList();
            return new ScorecardDetail(Info(card, card.Results.Values), summaries);
        }
    }

    /// <summary>
    /// Entity results of a scorecard, optionally only a team's (with its child groups), one level (<c>none</c>: no
    /// level reached) or those failing one rule; lowest score first, then by ref.
    /// </summary>
    public async Task<(IReadOnlyList<EntityScore> Items, int Total)> ListEntitiesAsync(string scorecardRef, string? team, string? level, string? failing, int offset, int limit, CancellationToken ct)
    {
        await PrepareAsync(ct).ConfigureAwait(false);
        lock (_gate)
        {
            CatchUp();
            var card = Find(scorecardRef);
            IEnumerable<EntityScore> results = card.Results.Values;
            if (team is not null)
            {
                if (_index.Get(team) is not { Kind: "Group" })
                {
                    throw ProblemException.NotFound($"No group named {team} exists in the catalog.");
                }

                var owned = Teams.Owned(_index, team).ToHashSet(StringComparer.Ordinal);
                results = results.Where(r => owned.Contains(r.Entity));
            }

            if (level is not null)
            {
                if (!level.Equals("none", StringComparison.OrdinalIgnoreCase) && !card.Definition.Levels.Any(l => l.Name.Equals(level, StringComparison.OrdinalIgnoreCase)))
                {
                    throw ProblemException.Validation("level", $"is not a level of {card.Definition.Ref}; one of none, {string.Join(", ", card.Definition.Levels.Select(l => l.Name))}");
                }

                results = level.Equals("none", StringComparison.OrdinalIgnoreCase)
                    ? results.Where(r => r.Level is null)
                    : results.Where(r => string.Equals(r.Level, level, StringComparison.OrdinalIgnoreCase));
            }

            if (failing is not null)
            {
                if (!card.Definition.Rules.Any(r => r.Id == failing))
                {
                    throw ProblemException.Validation("failing", $"is not a rule of {card.Definition.Ref}; one of {string.Join(", ", card.Definition.Rules.Select(r => r.Id))}");
                }

                results = results.Where(r => r.Outcomes.Any(o => o.Rule == failing && !o.Passed));
            }

            var all = results.OrderBy(r => r.Score).ThenBy(r => r.Entity, StringComparer.Ordinal).ToList();
            return (all.Skip(offset).Take(limit).ToList(), all.Count);
        }
    }

    /// <summary>The entity's result on every scorecard that applies to it; 404 when the catalog does not hold it.</summary>
    public async Task<IReadOnlyList<EntityCard>> ForEntityAsync(string entityRef, CancellationToken ct)
    {
        await PrepareAsync(ct).ConfigureAwait(false);
        lock (_gate)
        {
            CatchUp();
            if (_index.Get(entityRef) is null)
            {
                throw ProblemException.NotFound($"No entity named {entityRef} exists in the catalog.");
            }

            return _cards.Values
                .Where(c => c.Results.ContainsKey(entityRef))
                .OrderBy(c => c.Definition.Title, StringComparer.OrdinalIgnoreCase)
                .Select(c => new EntityCard(c.Definition.Ref, c.Definition.Title, c.Definition.Levels, c.Results[entityRef]))
                .ToList();
        }
    }

    /// <summary>A team's (group and child groups') summary of every scorecard that applies to something it owns.</summary>
    public async Task<IReadOnlyList<ScorecardInfo>> ForTeamAsync(string groupRef, CancellationToken ct)
    {
        await PrepareAsync(ct).ConfigureAwait(false);
        lock (_gate)
        {
            CatchUp();
            if (_index.Get(groupRef) is not { Kind: "Group" })
            {
                throw ProblemException.NotFound($"No group named {groupRef} exists in the catalog.");
            }

            var owned = Teams.Owned(_index, groupRef);
            var list = new List<ScorecardInfo>();
            foreach (var card in _cards.Values.OrderBy(c => c.Definition.Title, StringComparer.OrdinalIgnoreCase))
            {
                var results = owned.Select(r => card.Results.GetValueOrDefault(r)).OfType<EntityScore>().ToList();
                if (results.Count > 0)
                {
                    list.Add(Info(card, results));
                }
            }

            return list;
        }
    }

    /// <summary>What the history snapshot records: per scorecard the organisation's summary, every team's, and every entity's result.</summary>
    public async Task<IReadOnlyList<(ScorecardDetail Detail, IReadOnlyList<EntityScore> Results)>> SnapshotAsync(CancellationToken ct)
    {
        await PrepareAsync(ct).ConfigureAwait(false);
        List<string> refs;
        lock (_gate)
        {
            CatchUp();
            refs = [.. _cards.Keys];
        }

        var list = new List<(ScorecardDetail, IReadOnlyList<EntityScore>)>();
        foreach (var r in refs)
        {
            try
            {
                var detail = await GetAsync(r, ct).ConfigureAwait(false);
                lock (_gate)
                {
                    list.Add((detail, _cards.TryGetValue(r, out var card) ? [.. card.Results.Values] : []));
                }
            }
            catch (ProblemException e) when (e.Status == 404)
            {
                // Deleted meanwhile.
            }
        }

        return list;
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

    private CardState Find(string scorecardRef) =>
        _cards.TryGetValue(scorecardRef, out var card) ? card : throw ProblemException.NotFound($"No scorecard named {scorecardRef} exists in the catalog.");

    private static ScorecardInfo Info(CardState card, IEnumerable<EntityScore> results)
    {
        var d = card.Definition;
        return new ScorecardInfo(d.Ref, d.Name, d.Title, d.Description, d.Owner, d.Levels, Summarize(d, results));
    }

    internal static ScorecardSummary Summarize(ScorecardDefinition d, IEnumerable<EntityScore> results)
    {
        var levels = new int[d.Levels.Count];
        var passed = new int[d.Rules.Count];
        int count = 0, none = 0;
        double score = 0;
        foreach (var r in results)
        {
            count++;
            score += r.Score;
            if (r.LevelRank < 0)
            {
                none++;
            }
            else
            {
                levels[r.LevelRank]++;
            }

            for (var i = 0; i < r.Outcomes.Count && i < passed.Length; i++)
            {
                if (r.Outcomes[i].Passed)
                {
                    passed[i]++;
                }
            }
        }

        return new ScorecardSummary(
            count,
            d.Levels.Select((l, i) => new LevelCount(l.Name, levels[i])).ToList(),
            none,
            count == 0 ? 0 : Math.Round(score / count, 1),
            d.Rules.Select((r, i) => new RuleSummary(r.Id, r.Title, r.Type, r.Weight, passed[i], count - passed[i])).ToList());
    }

    private sealed class CardState(ScorecardDefinition definition)
    {
        public ScorecardDefinition Definition { get; } = definition;

        public Dictionary<string, EntityScore> Results { get; } = new(StringComparer.Ordinal);
    }
}
