import { Link, useParams } from "react-router";
import { api, ApiError } from "../../api";
import { entityPath } from "../../api/query";
import { Loading, PageHeader, ProblemView } from "../../components/common";
import { LevelBar, LineChart } from "../../components/charts";
import { useAsync, useDocumentTitle } from "../../hooks";
import { formatScore, levelSegments, scorecardPath } from "../../insights";
import { DoraSection, InsightsNav, useDaysParam } from "./shared";

export default function TeamPage() {
  const { namespace = "", name = "" } = useParams();
  const { days, setDays } = useDaysParam();
  const teamRef = `group:${namespace}/${name}`;
  useDocumentTitle(`${name} · Insights`);
  const cards = useAsync((signal) => api().insights.teamScorecards(namespace, name, 90, { signal }), [namespace, name]);
  const dora = useAsync((signal) => api().insights.teamDora(namespace, name, { days }, { signal }), [namespace, name, days]);

  return (
    <section data-testid="team-page">
      <p className="breadcrumb"><Link to="/insights/scorecards">Insights</Link> / Teams</p>
      <PageHeader
        title={<span data-testid="team-title">{name}</span>}
        subtitle={<>Scorecards and delivery of the team's entities (its child teams' included). <Link to={entityPath(teamRef)}>Catalog page</Link></>}
      />
      <InsightsNav />
      <h2>Scorecards</h2>
      {cards.error ? (
        cards.error instanceof ApiError && cards.error.isNotFound
          ? <p className="empty" data-testid="team-not-found">There is no group <code>{namespace}/{name}</code> in the catalog.</p>
          : <ProblemView error={cards.error} onRetry={cards.reload} />
      ) : null}
      {cards.loading && !cards.data ? <Loading /> : null}
      {cards.data && cards.data.length === 0 ? (
        <p className="empty" data-testid="team-scorecards-empty">No scorecard applies to an entity this team owns.</p>
      ) : null}
      <div className="cards" data-testid="team-scorecards">
        {cards.data?.map(({ scorecard: c, trend }) => (
          <article key={c.ref} className="card" data-testid={`team-scorecard-${c.name}`}>
            <h3><Link to={`${scorecardPath(c.ref)}?team=${encodeURIComponent(teamRef)}`}>{c.title}</Link></h3>
            <p className="small">
              {c.summary.entities} entities · average score <strong data-testid="team-scorecard-average">{formatScore(c.summary.averageScore)}</strong> / 100
            </p>
            <LevelBar segments={levelSegments(c.levels, c.summary)} testId="team-scorecard-levels" />
            <LineChart
              title="Average score"
              subtitle="last 90 days"
              points={trend.map((p) => ({ at: p.at, value: p.averageScore }))}
              format={(v) => formatScore(v)}
              testId={`team-trend-${c.name}`}
              empty="No history yet: levels are recorded once an hour."
            />
          </article>
        ))}
      </div>
      <DoraSection report={dora} days={days} onDays={setDays} scopeLabel={name} team />
    </section>
  );
}
