import type { AnalysisResult } from "../api";
import type { LevelSegment } from "../insights";
import { formatDateTime } from "../format";

/** Stable vs canary traffic as one horizontal bar. */
export function WeightsBar({ stable, canary }: { stable: number; canary: number }) {
  const total = Math.max(1, stable + canary);
  const c = Math.round((canary / total) * 100);
  return (
    <div className="weights" role="img" aria-label={`Traffic: stable ${stable}%, canary ${canary}%`} data-testid="canary-weights">
      <div className="weights-bar" aria-hidden="true">
        <div className="weights-stable" style={{ width: `${100 - c}%` }} />
        <div className="weights-canary" style={{ width: `${c}%` }} />
      </div>
      <div className="weights-legend">
        <span><span className="swatch swatch-stable" aria-hidden="true" /> stable <strong data-testid="canary-weight-stable">{stable}%</strong></span>
        <span><span className="swatch swatch-canary" aria-hidden="true" /> canary <strong data-testid="canary-weight-canary">{canary}%</strong></span>
      </div>
    </div>
  );
}

export function CapacityBar({ label, used, capacity, unit, testId }: { label: string; used: number; capacity: number; unit?: string; testId?: string }) {
  const pct = capacity > 0 ? Math.min(100, Math.round((used / capacity) * 100)) : 0;
  const tone = pct >= 90 ? "bad" : pct >= 75 ? "warn" : "ok";
  return (
    <div className="capacity" data-testid={testId}>
      <div className="capacity-label">
        <span>{label}</span>
        <span>{used}{unit ? ` ${unit}` : ""} / {capacity}{unit ? ` ${unit}` : ""} ({pct}%)</span>
      </div>
      <div className="capacity-track" role="meter" aria-label={`${label} used`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div className={`capacity-fill capacity-${tone}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

const W = 360;
const H = 150;
const PAD = { l: 44, r: 12, t: 12, b: 22 };

/** One metric's analysis runs as points against its threshold line. */
export function AnalysisChart({ metric, results }: { metric: string; results: AnalysisResult[] }) {
  const sorted = [...results].sort((a, b) => a.at.localeCompare(b.at));
  const threshold = sorted[sorted.length - 1]?.threshold ?? 0;
  const values = sorted.map((r) => r.value).concat(threshold);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const span = hi - lo;
  lo -= span * 0.1;
  hi += span * 0.1;
  const x = (i: number) => PAD.l + (sorted.length <= 1 ? (W - PAD.l - PAD.r) / 2 : (i * (W - PAD.l - PAD.r)) / (sorted.length - 1));
  const y = (v: number) => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));
  const failed = sorted.filter((r) => r.result === "Failed").length;
  return (
    <figure className="chart" data-testid={`analysis-chart-${metric}`}>
      <figcaption>
        <strong>{metric}</strong> <span className="small muted">threshold {fmt(threshold)} · {sorted.length} runs{failed ? `, ${failed} failed` : ""}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${metric}: ${sorted.map((r) => `${fmt(r.value)} ${r.result}`).join(", ")}; threshold ${fmt(threshold)}`}>
        <line x1={PAD.l} x2={W - PAD.r} y1={H - PAD.b} y2={H - PAD.b} className="axis" />
        <line x1={PAD.l} x2={PAD.l} y1={PAD.t} y2={H - PAD.b} className="axis" />
        <text x={PAD.l - 4} y={y(hi) + 10} textAnchor="end" className="tick">{fmt(hi)}</text>
        <text x={PAD.l - 4} y={y(lo)} textAnchor="end" className="tick">{fmt(lo)}</text>
        <line x1={PAD.l} x2={W - PAD.r} y1={y(threshold)} y2={y(threshold)} className="threshold" />
        <text x={W - PAD.r} y={y(threshold) - 4} textAnchor="end" className="tick">threshold</text>
        {sorted.length > 1 ? <polyline className="series" points={sorted.map((r, i) => `${x(i)},${y(r.value)}`).join(" ")} /> : null}
        {sorted.map((r, i) => (
          <circle key={`${r.at}-${i}`} cx={x(i)} cy={y(r.value)} r={4.5} className={`point point-${r.result.toLowerCase()}`}>
            <title>{`${formatDateTime(r.at)}: ${fmt(r.value)} (${r.result})`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}

/** A scorecard's level distribution as one stacked bar, "No level" first, with a legend of counts. */
export function LevelBar({ segments, testId, compact }: { segments: LevelSegment[]; testId?: string; compact?: boolean }) {
  const total = segments.reduce((s, x) => s + x.count, 0);
  const label = total
    ? `Levels: ${segments.map((s) => `${s.label} ${s.count}`).join(", ")}`
    : "No entities";
  return (
    <div className={`levels${compact ? " levels-compact" : ""}`} data-testid={testId}>
      <div className="levels-bar" role="img" aria-label={label}>
        {total ? segments.filter((s) => s.count > 0).map((s) => (
          <div key={s.label} className={`level-seg level-rank-${Math.min(s.rank, 5)}`} style={{ width: `${s.percent}%` }} title={`${s.label}: ${s.count}`} />
        )) : null}
      </div>
      {compact ? null : (
        <ul className="levels-legend">
          {segments.map((s) => (
            <li key={s.label} data-testid={`level-count-${s.level ?? "none"}`}>
              <span className={`swatch level-rank-${Math.min(s.rank, 5)}`} aria-hidden="true" /> {s.label} <strong>{s.count}</strong>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const LW = 300;
const LH = 110;
const LPAD = { l: 46, r: 10, t: 10, b: 20 };

/**
 * One series over time as a small line chart: points with no value (null) leave a gap. `format` labels the axis and
 * each point's tooltip; an empty or all-null series shows `empty` instead of a chart.
 */
export function LineChart({
  title, points, format, tick = format, testId, empty = "No data yet.", subtitle, minZero = true,
}: {
  title: string; points: { at: string; value: number | null }[]; format: (v: number) => string;
  /** The axis labels' shorter form (defaults to `format`). */
  tick?: (v: number) => string;
  testId?: string; empty?: string; subtitle?: string; minZero?: boolean;
}) {
  const values = points.map((p) => p.value).filter((v): v is number => v !== null && !Number.isNaN(v));
  if (!values.length) {
    return (
      <figure className="chart" data-testid={testId}>
        <figcaption><strong>{title}</strong>{subtitle ? <> <span className="small muted">{subtitle}</span></> : null}</figcaption>
        <p className="empty small" data-testid={testId ? `${testId}-empty` : undefined}>{empty}</p>
      </figure>
    );
  }
  let lo = minZero ? Math.min(0, ...values) : Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1);
  if (!minZero) lo -= (hi - lo) * 0.1;
  const x = (i: number) => LPAD.l + (points.length <= 1 ? (LW - LPAD.l - LPAD.r) / 2 : (i * (LW - LPAD.l - LPAD.r)) / (points.length - 1));
  const y = (v: number) => LPAD.t + (1 - (v - lo) / (hi - lo)) * (LH - LPAD.t - LPAD.b);
  // Runs of consecutive values, so a bucket without data breaks the line instead of bridging it.
  const runs: string[] = [];
  let run: string[] = [];
  points.forEach((p, i) => {
    if (p.value === null || Number.isNaN(p.value)) {
      if (run.length) runs.push(run.join(" "));
      run = [];
    } else run.push(`${x(i)},${y(p.value)}`);
  });
  if (run.length) runs.push(run.join(" "));
  const first = points[0]?.at;
  const last = points[points.length - 1]?.at;
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption><strong>{title}</strong>{subtitle ? <> <span className="small muted">{subtitle}</span></> : null}</figcaption>
      <svg viewBox={`0 0 ${LW} ${LH}`} role="img" aria-label={`${title}: ${points.map((p) => `${formatDateTime(p.at)} ${p.value === null ? "no data" : format(p.value)}`).join("; ")}`}>
        <line x1={LPAD.l} x2={LW - LPAD.r} y1={LH - LPAD.b} y2={LH - LPAD.b} className="axis" />
        <line x1={LPAD.l} x2={LPAD.l} y1={LPAD.t} y2={LH - LPAD.b} className="axis" />
        <text x={LPAD.l - 4} y={y(hi) + 8} textAnchor="end" className="tick">{tick(hi)}</text>
        <text x={LPAD.l - 4} y={y(lo)} textAnchor="end" className="tick">{tick(lo)}</text>
        {first ? <text x={LPAD.l} y={LH - 4} className="tick">{shortDate(first)}</text> : null}
        {last && points.length > 1 ? <text x={LW - LPAD.r} y={LH - 4} textAnchor="end" className="tick">{shortDate(last)}</text> : null}
        {runs.map((r, i) => (r.includes(" ") ? <polyline key={i} className="series series-main" points={r} /> : null))}
        {points.map((p, i) => (p.value === null || Number.isNaN(p.value) ? null : (
          <circle key={`${p.at}-${i}`} cx={x(i)} cy={y(p.value)} r={points.length > 40 ? 1.5 : 3} className="point point-main">
            <title>{`${formatDateTime(p.at)}: ${format(p.value)}`}</title>
          </circle>
        )))}
      </svg>
    </figure>
  );
}

const dayMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
function shortDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dayMonth.format(d);
}
