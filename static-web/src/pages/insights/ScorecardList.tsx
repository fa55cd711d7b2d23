import { Link } from "react-router";
import { api } from "../../api";
import { EntityRefLink, Loading, PageHeader, ProblemView } from "../../components/common";
import { LevelBar } from "../../components/charts";
import { useAsync, useDocumentTitle } from "../../hooks";
import { formatScore, levelSegments, scorecardPath } from "../../insights";
import { InsightsNav } from "./shared";

export default function ScorecardList() {
  useDocumentTitle("Scorecards");
  const cards = useAsync((signal) => api().insights.scorecards({ signal }), []);
  return (
    <section data-testid="scorecards-page">
      <PageHeader title="Insights" subtitle="Scorecards, delivery performance and ownership health across the catalog." />
      <InsightsNav />
      <h2>Scorecards</h2>
      {cards.error ? <ProblemView error={cards.error} onRetry={cards.reload} /> : null}
      {cards.loading && !cards.data ? <Loading /> : null}
      {cards.data && cards.data.length === 0 ? (
        <p className="empty" data-testid="scorecards-empty">
          No scorecards yet. A scorecard is a catalog entity of kind <code>Scorecard</code>; register one to see its levels here.
        </p>
      ) : null}
      <div className="cards" data-testid="scorecard-list">
        {cards.data?.map((c) => (
          <article key={c.ref} className="card" data-testid={`scorecard-card-${c.name}`}>
            <h3><Link to={scorecardPath(c.ref)} data-testid="scorecard-link">{c.title}</Link></h3>
            {c.description ? <p className="muted">{c.description}</p> : null}
            <p className="small">
              <span data-testid="scorecard-entities">{c.summary.entities}</span> entities · average score{" "}
              <strong data-testid="scorecard-average">{formatScore(c.summary.averageScore)}</strong> / 100
              {c.owner ? <> · owner <EntityRefLink entityRef={c.owner} impliedKind="group" /></> : null}
            </p>
            <LevelBar segments={levelSegments(c.levels, c.summary)} testId="scorecard-levels" />
          </article>
        ))}
      </div>
    </section>
  );
}
