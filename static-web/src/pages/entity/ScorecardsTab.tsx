import { Link } from "react-router";
import { api, type Entity } from "../../api";
import { Loading, ProblemView, StatusBadge } from "../../components/common";
import { formatDateTime } from "../../format";
import { useAsync } from "../../hooks";
import { formatScore, scorecardPath } from "../../insights";

/** The entity's result on every scorecard that applies to it: level, score, each rule with its detail, and changes. */
export function ScorecardsTab({ entity }: { entity: Entity }) {
  const ns = entity.metadata.namespace ?? "default";
  const cards = useAsync(
    (signal) => api().insights.entityScorecards(entity.kind.toLowerCase(), ns, entity.metadata.name, { signal }),
    [entity.kind, ns, entity.metadata.name],
  );
  // Rule titles live on the scorecards (an entity's result names rules by id); the ids show until they arrive.
  const infos = useAsync((signal) => api().insights.scorecards({ signal }).catch(() => []), []);
  const titleOf = (card: string, rule: string) => infos.data?.find((i) => i.ref === card)?.summary.rules.find((r) => r.id === rule)?.title ?? rule;
  if (cards.loading && !cards.data) return <Loading label="Loading scorecards…" />;
  if (cards.error) return <ProblemView error={cards.error} onRetry={cards.reload} />;
  const list = cards.data ?? [];
  if (!list.length) return <p className="empty" data-testid="entity-scorecards-empty">No scorecard applies to this {entity.kind.toLowerCase()}.</p>;
  return (
    <div data-testid="entity-scorecards">
      {list.map((c) => {
        const ruleLevel = new Map(c.levels.flatMap((l) => l.rules.map((r) => [r, l.name] as const)));
        const passed = c.result.outcomes.filter((o) => o.passed).length;
        const next = c.levels[c.result.levelRank + 1] as (typeof c.levels)[number] | undefined;
        return (
          <section key={c.scorecard} className="scorecard-panel" data-testid={`entity-scorecard-${c.scorecard}`}>
            <h2><Link to={scorecardPath(c.scorecard)}>{c.title}</Link></h2>
            <p>
              Level <strong data-testid="entity-scorecard-level">{c.result.level ?? "none yet"}</strong> · score{" "}
              <strong data-testid="entity-scorecard-score">{formatScore(c.result.score)}</strong> / 100 · {passed} of {c.result.outcomes.length} rules pass
              {next ? <span className="muted"> · next: {next.name}</span> : null}
            </p>
            <ul className="rules-list" data-testid="entity-scorecard-rules">
              {c.result.outcomes.map((o) => (
                <li key={o.rule} data-testid={`entity-rule-${o.rule}`} data-passed={o.passed}>
                  <span className={o.passed ? "rule-passed" : "rule-failed"} aria-hidden="true">{o.passed ? "✓" : "✗"}</span>{" "}
                  <StatusBadge status={o.passed ? "Succeeded" : "Failed"} />{" "}
                  <strong>{titleOf(c.scorecard, o.rule)}</strong>
                  {ruleLevel.get(o.rule) ? <span className="small muted"> ({ruleLevel.get(o.rule)})</span> : null}
                  {o.detail ? <span className="small" data-testid="entity-rule-detail"> — {o.detail}</span> : null}
                </li>
              ))}
            </ul>
            <details data-testid="entity-scorecard-history">
              <summary>Changes ({c.history.length})</summary>
              {c.history.length === 0 ? (
                <p className="empty small">No changes recorded yet: they are recorded once an hour when the level, score or failing rules change.</p>
              ) : (
                <table className="table">
                  <thead><tr><th scope="col">When</th><th scope="col">Level</th><th scope="col">Score</th><th scope="col">Failing</th></tr></thead>
                  <tbody>
                    {c.history.map((h) => (
                      <tr key={h.at}>
                        <td>{formatDateTime(h.at)}</td>
                        <td>{h.level ?? "—"}</td>
                        <td>{formatScore(h.score)}</td>
                        <td>{h.failed.length ? h.failed.map((r) => titleOf(c.scorecard, r)).join(", ") : "none"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </details>
          </section>
        );
      })}
    </div>
  );
}
