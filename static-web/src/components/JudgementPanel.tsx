import type { Judgement, MetricVerdict } from "../api";

const outcomeTone: Record<string, string> = { pass: "ok", marginal: "warn", nodata: "warn", fail: "bad" };

const outcomeText: Record<string, string> = {
  pass: "at or above the pass mark: the release goes on",
  marginal: "between the marginal and pass marks: waiting for a human to promote or abort",
  nodata: "no metric had data: waiting for a human to promote or abort",
  fail: "below the marginal mark: rolled back",
};

function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : a >= 0.0001 ? v.toPrecision(2) : v.toExponential(1);
}

/** Scores, marks and weights: whole numbers as such, else one decimal. */
function plain(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** Why one metric passed or failed, in words. */
export function explainVerdict(m: MetricVerdict): string {
  if (m.verdict === "nodata") return m.message ?? "not enough data";
  if (m.verdict === "pass") return "canary and baseline are not told apart";
  const way = m.verdict === "high" ? "higher" : "lower";
  return m.passed
    ? `canary is ${way} than baseline, which is fine for a metric whose ${m.direction === "decrease" ? "decrease" : "increase"} is bad`
    : `canary is significantly ${way} than baseline`;
}

/** A canary-versus-baseline judgement: the score against its marks and each metric's verdict with p-value and medians. */
export function JudgementPanel({ judgement }: { judgement: Judgement }) {
  const j = judgement;
  const tone = outcomeTone[j.outcome] ?? "muted";
  const score = j.score === null || j.score === undefined ? null : j.score;
  return (
    <div className="judgement" data-testid="judgement-panel">
      <h3>Judgement: canary against baseline</h3>
      <p>
        <span className={`badge badge-${tone}`} data-testid="judgement-score">
          {score === null ? "no score" : `score ${plain(score)}`}
        </span>{" "}
        <span className="small muted">
          pass {plain(j.pass)} · marginal {plain(j.marginal)} — <span data-testid="judgement-outcome">{outcomeText[j.outcome] ?? j.outcome}</span>
        </span>
      </p>
      {score !== null ? <meter min={0} max={100} low={j.marginal} high={j.pass} optimum={100} value={score} aria-label={`Judgement score ${plain(score)} of 100`} /> : null}
      <table className="table" data-testid="judgement-metrics">
        <thead>
          <tr>
            <th>Metric</th>
            <th>Verdict</th>
            <th>p-value</th>
            <th>Canary median</th>
            <th>Baseline median</th>
            <th>Samples</th>
            <th>Why</th>
          </tr>
        </thead>
        <tbody>
          {j.metrics.map((m) => (
            <tr key={m.metric} data-testid={`verdict-${m.metric}`}>
              <td>
                <strong>{m.metric}</strong>
                {m.critical ? <span className="badge badge-info"> critical</span> : null}
                <span className="small muted"> weight {plain(m.weight)}</span>
              </td>
              <td>
                <span className={`badge badge-${m.verdict === "nodata" ? "muted" : m.passed ? "ok" : "bad"}`}>{m.verdict}</span>
              </td>
              <td>{num(m.pValue)}</td>
              <td>{num(m.canaryMedian)}</td>
              <td>{num(m.baselineMedian)}</td>
              <td>
                {m.canarySamples} / {m.baselineSamples}
              </td>
              <td className="small">{explainVerdict(m)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
