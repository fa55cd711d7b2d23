/** One measurement as the deployment record keeps it (Argo Rollouts' semantics add dryRun, values, condition and analysis). */
export interface AnalysisMeasurement {
  at: string;
  metric: string;
  value?: number | null;
  threshold?: number;
  result: "Successful" | "Failed" | "Inconclusive" | "Error" | string;
  message?: string | null;
  dryRun?: boolean;
  values?: number[] | null;
  condition?: string | null;
  analysis?: string | null;
}

export interface MetricSummary {
  name: string;
  phase: string;
  dryRun: boolean;
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  message?: string | null;
}

export interface AnalysisRunSummary {
  name: string;
  phase: string;
  message?: string | null;
  startedAt: string;
  finishedAt?: string | null;
  metrics: MetricSummary[];
}

const PHASE_CLASS: Record<string, string> = {
  Successful: "ok",
  Failed: "bad",
  Error: "bad",
  Inconclusive: "warn",
  Running: "muted",
};

function formatValue(m: AnalysisMeasurement): string {
  if (m.values && m.values.length > 1) return `[${m.values.map((v) => +v.toFixed(4)).join(", ")}]`;
  return m.value == null ? "no data" : String(+m.value.toFixed(4));
}

/**
 * Each analysis of a release: why it ended (its phase and message), and per metric its counts and every measurement,
 * dry-run metrics marked as such (measured and shown, never decisive).
 */
export function AnalysisRuns({ runs, measurements }: { runs?: AnalysisRunSummary[] | null; measurements?: AnalysisMeasurement[] | null }) {
  if (!runs || runs.length === 0) return null;
  return (
    <div className="analysis-runs" data-testid="analysis-runs">
      {runs.map((run, i) => (
        <section key={`${run.name}-${i}`} className="analysis-run" data-testid="analysis-run" aria-label={`Analysis ${run.name}`}>
          <h4>
            Analysis {run.name}: <span className={PHASE_CLASS[run.phase] ?? ""} data-testid="analysis-phase">{run.phase}</span>
          </h4>
          {run.message ? <p data-testid="analysis-why">{run.message}</p> : null}
          {run.metrics.map((m) => {
            const own = (measurements ?? []).filter((x) => x.metric === m.name && (x.analysis == null || x.analysis === run.name));
            return (
              <div key={m.name} className="analysis-metric" data-testid="analysis-metric">
                <strong>{m.name}</strong>
                {m.dryRun ? <span className="badge" data-testid="dry-run"> dry run (never decisive)</span> : null}{" "}
                <span className={PHASE_CLASS[m.phase] ?? ""}>{m.phase}</span>{" "}
                <span className="muted">
                  {m.count} measured · {m.successful} successful · {m.failed} failed · {m.inconclusive} inconclusive · {m.error} errors
                </span>
                {m.message ? <div className="muted">{m.message}</div> : null}
                <table>
                  <thead>
                    <tr><th>At</th><th>Result</th><th>Value</th><th>Condition / note</th></tr>
                  </thead>
                  <tbody>
                    {own.map((x, k) => (
                      <tr key={k} data-testid="measurement">
                        <td>{new Date(x.at).toLocaleTimeString()}</td>
                        <td className={PHASE_CLASS[x.result] ?? ""}>{x.result}{x.dryRun ? " (dry run)" : ""}</td>
                        <td>{formatValue(x)}</td>
                        <td>{[x.condition, x.message].filter(Boolean).join(" — ")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            );
          })}
        </section>
      ))}
    </div>
  );
}
