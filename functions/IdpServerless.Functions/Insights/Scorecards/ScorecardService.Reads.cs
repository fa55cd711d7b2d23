using IdpServerless.Functions.Catalog;
using IdpServerless.Functions.Catalog.Model;
using IdpServerless.Hosting.Problems;

namespace IdpServerless.Functions.Insights.Scorecards;

/// <summary>The reads: summaries, a scorecard's teams and entities, an entity's and a team's results, the snapshot.</summary>
public sealed partial class ScorecardService
{
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
}
