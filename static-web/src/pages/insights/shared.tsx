import { NavLink, useSearchParams } from "react-router";
import { ApiError, type DoraScopeReport } from "../../api";
import { EntityRefLink, Loading, ProblemView } from "../../components/common";
import { LineChart } from "../../components/charts";
import { formatDateTime } from "../../format";
import type { AsyncState } from "../../hooks";
import { DORA_METRICS, formatMinutes, formatPerDay, formatRate } from "../../insights";

/** The Insights section's own navigation. */
export function InsightsNav() {
  return (
    <nav className="subnav" aria-label="Insights">
      <NavLink to="/insights/scorecards" data-testid="insights-nav-scorecards">Scorecards</NavLink>
      <NavLink to="/insights/dora" data-testid="insights-nav-dora">DORA</NavLink>
      <NavLink to="/insights/ownership" data-testid="insights-nav-ownership">Ownership health</NavLink>
    </nav>
  );
}

export const DORA_DAYS = [7, 30, 90] as const;

/** 7/30/90 days, as a group of toggle buttons. */
export function DaysSelector({ days, onChange, testId = "dora-days" }: { days: number; onChange: (d: number) => void; testId?: string }) {
  return (
    <div className="chips" role="group" aria-label="Window" data-testid={testId}>
      {DORA_DAYS.map((d) => (
        <button key={d} type="button" className="chip chip-button" aria-pressed={days === d} data-testid={`${testId}-${d}`} onClick={() => onChange(d)}>
          {d} days
        </button>
      ))}
    </div>
  );
}

/** DORA's five for a scope (a team or the organisation): figures, one trend line each, and the per-component table. */
export function DoraSection({ report, days, onDays, scopeLabel, team }: {
  report: AsyncState<DoraScopeReport>; days: number; onDays: (d: number) => void; scopeLabel: string;
  /** A team's figures (a 403 means the caller is not in it); else the organisation's (a 403 means no metrics.read). */
  team?: boolean;
}) {
  return (
    <section data-testid="dora-section">
      <div className="section-header">
        <h2>DORA: {scopeLabel}</h2>
        <DaysSelector days={days} onChange={onDays} />
      </div>
      {report.error ? <DoraProblem error={report.error} onRetry={report.reload} team={team} /> : null}
      {report.loading && !report.data ? <Loading label="Computing delivery figures…" /> : null}
      {report.data && !report.error ? <DoraBody report={report.data} /> : null}
    </section>
  );
}

function DoraProblem({ error, onRetry, team }: { error: unknown; onRetry: () => void; team?: boolean }) {
  if (error instanceof ApiError && error.isForbidden && !team) {
    return (
      <div className="problem problem-forbidden" role="alert" data-testid="dora-forbidden">
        <p className="problem-title"><strong>Delivery figures need metrics.read</strong></p>
        <p className="problem-detail">Your roles do not include reading delivery metrics.{error.problem.detail ? ` (${error.problem.detail})` : ""}</p>
      </div>
    );
  }
  if (error instanceof ApiError && error.isForbidden) {
    return (
      <div className="problem problem-forbidden" role="alert" data-testid="dora-forbidden">
        <p className="problem-title"><strong>Delivery figures are for the team</strong></p>
        <p className="problem-detail">
          Only the team's members, members of a group above it, and platform admins can read its DORA figures.
          {error.problem.detail ? ` (${error.problem.detail})` : ""}
        </p>
      </div>
    );
  }
  return <ProblemView error={error} onRetry={onRetry} />;
}

function DoraBody({ report }: { report: DoraScopeReport }) {
  const f = report.figures;
  const none = f.deployments === 0;
  return (
    <div data-testid="dora-body">
      <p className="small muted">
        {formatDateTime(report.from)} – {formatDateTime(report.to)} · {report.components} component{report.components === 1 ? "" : "s"} ·{" "}
        {report.environment ? `environment ${report.environment}` : "every production environment"} · {f.deployments} deployment{f.deployments === 1 ? "" : "s"}
      </p>
      {none ? (
        <p className="empty" data-testid="dora-empty">
          No production deployments in the last {report.days} days, so there is nothing to measure yet.
        </p>
      ) : null}
      <ul className="figures" data-testid="dora-figures">
        {DORA_METRICS.map((m) => (
          <li key={m.id} className="figure" data-testid={`dora-figure-${m.id}`} title={m.help}>
            <span className="figure-value" data-testid={`dora-value-${m.id}`}>{m.format(m.value(f))}</span>
            <span className="figure-label">{m.label}</span>
          </li>
        ))}
      </ul>
      <div className="charts" data-testid="dora-trends">
        {DORA_METRICS.map((m) => (
          <LineChart
            key={m.id}
            testId={`dora-trend-${m.id}`}
            title={m.label}
            subtitle={m.help}
            points={report.trend.map((b) => ({ at: b.from, value: m.value(b.figures) }))}
            format={(v) => m.format(v)}
            tick={m.tick}
            empty="No deployments in this window."
          />
        ))}
      </div>
      <h3>By component</h3>
      {report.byComponent.length === 0 ? (
        <p className="empty" data-testid="dora-components-empty">
          {report.scope === "organisation" ? "The organisation view does not break figures down by component; open a team for that." : "No components with production deployments in this window."}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="dora-components">
            <thead>
              <tr>
                <th scope="col">Component</th>
                <th scope="col">Deployments</th>
                <th scope="col">Frequency</th>
                <th scope="col">Lead time</th>
                <th scope="col">Change fail rate</th>
                <th scope="col">Recovery time</th>
                <th scope="col">Rework rate</th>
              </tr>
            </thead>
            <tbody>
              {report.byComponent.map((c) => (
                <tr key={c.component} data-testid={`dora-component-${c.component}`}>
                  <td><EntityRefLink entityRef={c.component} impliedKind="component" /></td>
                  <td>{c.figures.deployments}</td>
                  <td>{formatPerDay(c.figures.deploymentsPerDay)}</td>
                  <td>{formatMinutes(c.figures.changeLeadTimeMinutes)}</td>
                  <td>{formatRate(c.figures.changeFailRate)}</td>
                  <td>{formatMinutes(c.figures.failedDeploymentRecoveryTimeMinutes)}</td>
                  <td>{formatRate(c.figures.deploymentReworkRate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** The DORA window kept in the URL (`?days=`): the current value, the other query values, and a setter that keeps them. */
export function useDaysParam(): { days: number; params: URLSearchParams; setDays: (d: number) => void } {
  const [params, setParams] = useSearchParams();
  const setDays = (d: number) =>
    setParams((p) => {
      const n = new URLSearchParams(p);
      n.set("days", String(d));
      return n;
    }, { replace: true });
  return { days: daysFrom(params), params, setDays };
}

/** Reads `days` from the URL, allowing only the selector's values (default 30). */
export function daysFrom(params: URLSearchParams, fallback = 30): number {
  const d = Number(params.get("days"));
  return (DORA_DAYS as readonly number[]).includes(d) ? d : fallback;
}
