import type { AnalysisResult } from "../api";
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
