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

/// <summary>An entity's result on one scorecard.</summary>
public sealed record EntityCard(string Scorecard, string Title, IReadOnlyList<ScorecardLevel> Levels, EntityScore Result);
