// Formatting and arithmetic of the Insights pages (scorecards, DORA, ownership health); pure, so unit-tested.
import type { DoraFigures, ScorecardLevel, ScorecardSummary } from "./api/types";

/** A 0-1 rate as a percentage ("12.5 %", "0 %"); null (no data) as "—". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return "—";
  const pct = rate * 100;
  const rounded = Math.round(pct * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} %`;
}

/** A 0-100 score ("87"), rounded to a whole number. */
export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || Number.isNaN(score)) return "—";
  return `${Math.round(score)}`;
}

/** Minutes as the unit that reads best: "45 min", "3.5 h", "2.1 days"; null (no data) as "—". */
export function formatMinutes(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined || Number.isNaN(minutes)) return "—";
  const oneDecimal = (v: number) => {
    const r = Math.round(v * 10) / 10;
    return Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1);
  };
  if (minutes < 1) return `${Math.round(minutes * 60)} s`;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  if (minutes < 48 * 60) return `${oneDecimal(minutes / 60)} h`;
  return `${oneDecimal(minutes / 1440)} days`;
}

/** Deployment frequency: "2.3 per day", below one a day per week ("0.7 per week"), none "0 per day". */
export function formatPerDay(perDay: number | null | undefined): string {
  if (perDay === null || perDay === undefined || Number.isNaN(perDay)) return "—";
  if (perDay === 0) return "0 per day";
  if (perDay < 1) {
    const perWeek = Math.round(perDay * 7 * 10) / 10;
    return `${Number.isInteger(perWeek) ? perWeek.toFixed(0) : perWeek.toFixed(1)} per week`;
  }
  const r = Math.round(perDay * 10) / 10;
  return `${Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1)} per day`;
}

export interface LevelSegment {
  /** The level's name, or null for entities below the first level. */
  level: string | null;
  label: string;
  count: number;
  /** Share of all entities, 0-100. */
  percent: number;
  /** 0 for "no level", then 1.. from the lowest level up (a colour step). */
  rank: number;
}

/**
 * A summary's level distribution in the scorecard's order: "No level" first, then each level from the lowest up,
 * levels with no entities included (so bars of different scopes line up). Percentages are of all entities.
 */
export function levelSegments(levels: ScorecardLevel[], summary: Pick<ScorecardSummary, "entities" | "levels" | "noLevel">): LevelSegment[] {
  const counts = new Map(summary.levels.map((l) => [l.level, l.entities]));
  const total = summary.entities || summary.noLevel + summary.levels.reduce((s, l) => s + l.entities, 0);
  const pct = (n: number) => (total > 0 ? (n / total) * 100 : 0);
  const segments: LevelSegment[] = [{ level: null, label: "No level", count: summary.noLevel, percent: pct(summary.noLevel), rank: 0 }];
  levels.forEach((l, i) => {
    const count = counts.get(l.name) ?? 0;
    segments.push({ level: l.name, label: l.name, count, percent: pct(count), rank: i + 1 });
  });
  // A level the summary counts that the definition no longer lists (renamed since): keep it visible, at the top.
  for (const l of summary.levels) {
    if (!levels.some((d) => d.name === l.level)) {
      segments.push({ level: l.level, label: l.level, count: l.entities, percent: pct(l.entities), rank: segments.length });
    }
  }
  return segments;
}

/** "scorecard:default/production-readiness" → { namespace: "default", name: "production-readiness" }. */
export function splitRef(ref: string): { kind: string; namespace: string; name: string } {
  const m = /^([^:]+):([^/]+)\/(.+)$/.exec(ref);
  if (m) return { kind: m[1].toLowerCase(), namespace: m[2], name: m[3] };
  const slash = ref.indexOf("/");
  return slash > 0 ? { kind: "", namespace: ref.slice(0, slash), name: ref.slice(slash + 1) } : { kind: "", namespace: "default", name: ref };
}

/** The page of a scorecard: /insights/scorecards/{ns}/{name}. */
export function scorecardPath(ref: string): string {
  const { namespace, name } = splitRef(ref);
  return `/insights/scorecards/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** The Insights page of a team (a group ref, or "ns/name"): /insights/teams/{ns}/{name}. */
export function teamPath(ref: string): string {
  const { namespace, name } = splitRef(ref);
  return `/insights/teams/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

export interface DoraMetric {
  id: string;
  label: string;
  /** The figure as a number for a trend line (null: no data in that bucket). */
  value: (f: DoraFigures) => number | null;
  format: (v: number | null) => string;
  /** A chart axis label: short enough for the axis ("1.5/d", "25%", "3.5 h"). */
  tick: (v: number) => string;
  /** What the figure is, in a sentence. */
  help: string;
  /** Whether a higher value is better (for the reader; the chart does not colour by it). */
  higherIsBetter: boolean;
}

const trim1 = (v: number) => {
  const r = Math.round(v * 10) / 10;
  return Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1);
};

/** DORA's five, in DORA's order. */
export const DORA_METRICS: DoraMetric[] = [
  {
    id: "frequency", label: "Deployment frequency", value: (f) => f.deploymentsPerDay, format: formatPerDay, tick: (v) => `${trim1(v)}/d`,
    help: "Successful production deployments per day.", higherIsBetter: true,
  },
  {
    id: "lead-time", label: "Change lead time", value: (f) => f.changeLeadTimeMinutes, format: formatMinutes, tick: formatMinutes,
    help: "Median time from commit to running in production.", higherIsBetter: false,
  },
  {
    id: "change-fail-rate", label: "Change fail rate", value: (f) => f.changeFailRate, format: formatRate, tick: (v) => `${Math.round(v * 100)}%`,
    help: "Share of production deployments that failed or were rolled back.", higherIsBetter: false,
  },
  {
    id: "recovery-time", label: "Failed deployment recovery time", value: (f) => f.failedDeploymentRecoveryTimeMinutes, format: formatMinutes, tick: formatMinutes,
    help: "Median time from a failure to the next successful deployment.", higherIsBetter: false,
  },
  {
    id: "rework-rate", label: "Deployment rework rate", value: (f) => f.deploymentReworkRate, format: formatRate, tick: (v) => `${Math.round(v * 100)}%`,
    help: "Share of deployments made to fix a failure (rollbacks, hotfixes).", higherIsBetter: false,
  },
];

/** The ownership problems in the report's order, with what each means. */
export const OWNERSHIP_PROBLEMS = [
  { id: "noOwner", label: "No owner", help: "Declares no spec.owner." },
  { id: "unknownOwner", label: "Unknown owner", help: "spec.owner names a group or user the catalog does not hold." },
  { id: "orphaned", label: "Orphaned", help: "Its location no longer provides it." },
  { id: "emptyGroup", label: "Empty group", help: "A group with no members, in it or in any child group." },
  { id: "inactiveOwner", label: "Inactive owner", help: "The owning team has not deployed any of its components in the window." },
] as const;

export function problemLabel(id: string): string {
  return OWNERSHIP_PROBLEMS.find((p) => p.id === id)?.label ?? id;
}

/** The file name an ownership export is saved as: ownership-health[-problem][-kind]-yyyy-mm-dd.csv. */
export function csvFileName(filters: { problem?: string; kind?: string }, now = new Date()): string {
  const parts = ["ownership-health", filters.problem, filters.kind].filter(Boolean).map((p) => String(p).replace(/[^A-Za-z0-9_-]+/g, "-"));
  return `${parts.join("-")}-${now.toISOString().slice(0, 10)}.csv`;
}
