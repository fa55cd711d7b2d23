import { Link, useParams, useSearchParams } from "react-router";
import { api, ApiError, type ScorecardInfo } from "../../api";
import { EntityRefLink, Loading, PageHeader, ProblemView } from "../../components/common";
import { LevelBar, LineChart } from "../../components/charts";
import { shortRef } from "../../format";
import { useAsync, useDocumentTitle } from "../../hooks";
import { formatScore, levelSegments, teamPath } from "../../insights";
import { InsightsNav } from "./shared";

const PAGE = 25;

export default function ScorecardPage() {
  const { namespace = "", name = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const team = params.get("team") ?? "";
  const level = params.get("level") ?? "";
  const failing = params.get("failing") ?? "";
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  const detail = useAsync((signal) => api().insights.scorecard(namespace, name, { signal }), [namespace, name]);
  const entities = useAsync(
    (signal) => api().insights.scorecardEntities(namespace, name, { team: team || undefined, level: level || undefined, failing: failing || undefined, offset, limit: PAGE }, { signal }),
    [namespace, name, team, level, failing, offset],
  );
  const history = useAsync((signal) => api().insights.scorecardHistory(namespace, name, { days: 90 }, { signal }), [namespace, name]);
  useDocumentTitle(detail.data?.scorecard.title ?? name);

  const setFilter = (key: string, value: string) =>
    setParams((p) => {
      const n = new URLSearchParams(p);
      if (value) n.set(key, value);
      else n.delete(key);
      n.delete("offset");
      return n;
    });
  const setOffset = (o: number) =>
    setParams((p) => {
      const n = new URLSearchParams(p);
      if (o > 0) n.set("offset", String(o));
      else n.delete("offset");
      return n;
    });

  if (detail.loading && !detail.data) return <Loading label="Loading scorecard…" />;
  if (detail.error) {
    if (detail.error instanceof ApiError && detail.error.isNotFound) {
      return (
        <section data-testid="scorecard-not-found">
          <h1>Scorecard not found</h1>
          <p>There is no scorecard <code>{namespace}/{name}</code>. <Link to="/insights/scorecards">All scorecards</Link></p>
        </section>
      );
    }
    return <ProblemView error={detail.error} onRetry={detail.reload} />;
  }
  const card = detail.data!.scorecard;
  const teams = detail.data!.teams;
  const ruleTitle = (id: string) => card.summary.rules.find((r) => r.id === id)?.title ?? id;
  const items = entities.data?.items ?? [];
  const total = entities.data?.total ?? 0;
  const points = history.data?.points ?? [];

  return (
    <section data-testid="scorecard-page">
      <p className="breadcrumb"><Link to="/insights/scorecards">Scorecards</Link> / {card.title}</p>
      <PageHeader
        title={<span data-testid="scorecard-title">{card.title}</span>}
        subtitle={card.description ?? undefined}
      />
      <InsightsNav />
      <p>
        <span data-testid="scorecard-entities">{card.summary.entities}</span> entities · average score{" "}
        <strong data-testid="scorecard-average">{formatScore(card.summary.averageScore)}</strong> / 100
        {card.owner ? <> · owned by <EntityRefLink entityRef={card.owner} impliedKind="group" /></> : null}
      </p>
      <LevelBar segments={levelSegments(card.levels, card.summary)} testId="scorecard-levels" />

      <h2>Levels and rules</h2>
      <LevelsAndRules card={card} />

      <h2>Trend</h2>
      {history.error ? <ProblemView error={history.error} onRetry={history.reload} /> : null}
      {history.data && points.length === 0 ? (
        <p className="empty" data-testid="scorecard-history-empty">
          No history yet: the organisation's levels are recorded once an hour, so the first point appears within the hour.
        </p>
      ) : null}
      {points.length ? (
        <div className="charts" data-testid="scorecard-trend">
          <LineChart title="Average score" points={points.map((p) => ({ at: p.at, value: p.averageScore }))} format={(v) => formatScore(v)} testId="trend-average" />
          {card.levels.map((l) => (
            <LineChart
              key={l.name}
              title={`At ${l.name} or above`}
              points={points.map((p) => ({ at: p.at, value: atOrAbove(card, l.name, p.levels) }))}
              format={(v) => `${Math.round(v)}`}
              testId={`trend-level-${l.name}`}
            />
          ))}
        </div>
      ) : null}

      <h2>Teams</h2>
      {teams.length === 0 ? (
        <p className="empty" data-testid="scorecard-teams-empty">No team owns an entity this scorecard applies to.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="scorecard-teams">
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col">Entities</th>
                <th scope="col">Average score</th>
                <th scope="col">Levels</th>
                <th scope="col"><span className="sr-only">Filter</span></th>
              </tr>
            </thead>
            <tbody>
              {teams.map((t) => (
                <tr key={t.team} data-testid={`scorecard-team-${shortRef(t.team, "group")}`}>
                  <td><Link to={teamPath(t.team)} data-testid="team-link">{t.title || shortRef(t.team, "group")}</Link></td>
                  <td>{t.summary.entities}</td>
                  <td>{formatScore(t.summary.averageScore)}</td>
                  <td>
                    <LevelBar segments={levelSegments(card.levels, t.summary)} compact />
                    <span className="small muted">{levelSegments(card.levels, t.summary).map((s) => `${s.label} ${s.count}`).join(" · ")}</span>
                  </td>
                  <td><button type="button" className="btn btn-small btn-secondary" onClick={() => setFilter("team", t.team)}>Show entities</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="entities">Entities</h2>
      <form className="filters" aria-label="Filter entities" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="sc-team">Team</label>
          <select id="sc-team" data-testid="scorecard-filter-team" value={team} onChange={(e) => setFilter("team", e.target.value)}>
            <option value="">Every team</option>
            {teams.map((t) => <option key={t.team} value={t.team}>{t.title || shortRef(t.team, "group")}</option>)}
            {team && !teams.some((t) => t.team === team) ? <option value={team}>{shortRef(team, "group")}</option> : null}
          </select>
        </div>
        <div className="field">
          <label htmlFor="sc-level">Level</label>
          <select id="sc-level" data-testid="scorecard-filter-level" value={level} onChange={(e) => setFilter("level", e.target.value)}>
            <option value="">Every level</option>
            <option value="none">No level</option>
            {card.levels.map((l) => <option key={l.name} value={l.name}>{l.name}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="sc-failing">Failing rule</label>
          <select id="sc-failing" data-testid="scorecard-filter-failing" value={failing} onChange={(e) => setFilter("failing", e.target.value)}>
            <option value="">Any</option>
            {card.summary.rules.map((r) => <option key={r.id} value={r.id}>{r.title}</option>)}
          </select>
        </div>
      </form>
      {entities.error ? <ProblemView error={entities.error} onRetry={entities.reload} /> : null}
      {entities.loading && !entities.data ? <Loading /> : null}
      {entities.data ? (
        <p className="result-count" data-testid="scorecard-entity-count" aria-live="polite">
          {total} entit{total === 1 ? "y" : "ies"}{entities.data.hidden ? ` (${entities.data.hidden} on this page you may not read are left out)` : ""}
        </p>
      ) : null}
      {entities.data && items.length === 0 ? <p className="empty" data-testid="scorecard-entities-empty">No entities match.</p> : null}
      {items.length ? (
        <div className="table-wrap" aria-busy={entities.loading}>
          <table className="table" data-testid="scorecard-entity-table">
            <thead>
              <tr>
                <th scope="col">Entity</th>
                <th scope="col">Level</th>
                <th scope="col">Score</th>
                <th scope="col">Failing rules</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => {
                const failed = r.outcomes.filter((o) => !o.passed);
                return (
                  <tr key={r.entity} data-testid={`scorecard-entity-${r.entity}`}>
                    <td><EntityRefLink entityRef={r.entity} /></td>
                    <td data-testid="entity-level">{r.level ?? <span className="muted">No level</span>}</td>
                    <td>{formatScore(r.score)}</td>
                    <td>{failed.length ? failed.map((o) => <span key={o.rule} className="chip chip-warn" title={o.detail ?? undefined}>{ruleTitle(o.rule)}</span>) : <span className="rule-passed">All pass</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="pager" aria-label="Pages">
        {offset > 0 ? <button type="button" className="btn btn-secondary" data-testid="page-prev" onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button> : null}
        {total > PAGE ? <span className="small muted">{offset + 1}–{Math.min(total, offset + PAGE)} of {total}</span> : null}
        {offset + PAGE < total ? <button type="button" className="btn btn-secondary" data-testid="page-next" onClick={() => setOffset(offset + PAGE)}>Next</button> : null}
      </nav>
    </section>
  );
}

/** Entities at a level or any higher one, from a point's per-level counts. */
function atOrAbove(card: ScorecardInfo, levelName: string, levels: { level: string; entities: number }[]): number {
  const from = card.levels.findIndex((l) => l.name === levelName);
  const names = new Set(card.levels.slice(from).map((l) => l.name));
  return levels.filter((l) => names.has(l.level)).reduce((s, l) => s + l.entities, 0);
}

function LevelsAndRules({ card }: { card: ScorecardInfo }) {
  const rule = (id: string) => card.summary.rules.find((r) => r.id === id);
  const inLevel = new Set(card.levels.flatMap((l) => l.rules));
  const extra = card.summary.rules.filter((r) => !inLevel.has(r.id));
  const row = (id: string) => {
    const r = rule(id);
    const total = r ? r.passed + r.failed : 0;
    return (
      <tr key={id} data-testid={`rule-${id}`}>
        <td>{r?.title ?? id} <span className="small muted">({r?.type ?? "rule"}{r && r.weight !== 1 ? `, weight ${r.weight}` : ""})</span></td>
        <td className="rule-passed" data-testid="rule-passed">{r?.passed ?? 0}</td>
        <td className="rule-failed" data-testid="rule-failed">{r?.failed ?? 0}</td>
        <td>{total ? `${Math.round(((r?.passed ?? 0) / total) * 100)} %` : "—"}</td>
      </tr>
    );
  };
  return (
    <div className="table-wrap">
      <table className="table" data-testid="scorecard-rules">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Passed</th>
            <th scope="col">Failed</th>
            <th scope="col">Pass rate</th>
          </tr>
        </thead>
        {card.levels.map((l) => (
          <tbody key={l.name} data-testid={`scorecard-level-${l.name}`}>
            <tr><th scope="rowgroup" colSpan={4}>{l.name} <span className="small muted">(and every level below)</span></th></tr>
            {l.rules.map(row)}
          </tbody>
        ))}
        {extra.length ? (
          <tbody>
            <tr><th scope="rowgroup" colSpan={4}>Scored, in no level</th></tr>
            {extra.map((r) => row(r.id))}
          </tbody>
        ) : null}
      </table>
    </div>
  );
}
