import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../api";
import { EntityRefLink, Loading, PageHeader, ProblemView, StatusBadge } from "../components/common";
import { formatDateTime, formatRelative, shortDeploymentId } from "../format";
import { useAsync, useDocumentTitle } from "../hooks";

export default function Deployments() {
  useDocumentTitle("Deployments");
  const [params, setParams] = useSearchParams();
  const component = params.get("component") ?? "";
  const environment = params.get("environment") ?? "";
  const cursor = params.get("cursor");
  const [draft, setDraft] = useState({ component, environment });
  const list = useAsync(
    (signal) => api().deployments.list({ component: component || undefined, environment: environment || undefined, limit: 25, cursor }, { signal }),
    [component, environment, cursor],
  );

  function apply(e: FormEvent) {
    e.preventDefault();
    const next = new URLSearchParams();
    if (draft.component.trim()) next.set("component", draft.component.trim());
    if (draft.environment.trim()) next.set("environment", draft.environment.trim());
    setParams(next);
  }

  const items = list.data?.items ?? [];
  return (
    <section>
      <PageHeader title="Deployments" subtitle="Every release, newest first." />
      <form className="filters" onSubmit={apply} aria-label="Filter deployments">
        <div className="field">
          <label htmlFor="dep-component">Component</label>
          <input id="dep-component" data-testid="deployments-filter-component" placeholder="component:default/payments-api" value={draft.component} onChange={(e) => setDraft({ ...draft, component: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="dep-env">Environment</label>
          <input id="dep-env" data-testid="deployments-filter-environment" placeholder="staging" value={draft.environment} onChange={(e) => setDraft({ ...draft, environment: e.target.value })} />
        </div>
        <button type="submit" className="btn btn-secondary">Apply</button>
      </form>
      {list.error ? <ProblemView error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && items.length === 0 ? <p className="empty" data-testid="empty-state">No deployments match.</p> : null}
      {items.length ? (
        <div className="table-wrap" aria-busy={list.loading}>
          <table className="table" data-testid="deployments-table">
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Component</th>
                <th scope="col">Environment</th>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">By</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} data-testid={`deployment-row-${d.id}`}>
                  <td>
                    <Link to={`/deployments/${encodeURIComponent(d.id)}`} title={d.id} aria-label={`Deployment ${d.id}`} data-testid="deployment-id">
                      <code>{shortDeploymentId(d.id)}</code>
                    </Link>
                  </td>
                  <td><EntityRefLink entityRef={d.component} impliedKind="component" /></td>
                  <td>{d.environment}</td>
                  <td>{d.previousVersion ? <span className="muted">{d.previousVersion} → </span> : null}{d.version}</td>
                  <td><StatusBadge status={d.status} /></td>
                  <td><EntityRefLink entityRef={d.requestedBy} impliedKind="user" /></td>
                  <td><time dateTime={d.createdAt} title={formatDateTime(d.createdAt)}>{formatRelative(d.createdAt)}</time></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="pager" aria-label="Pages">
        {cursor ? <button type="button" className="btn btn-secondary" data-testid="page-first" onClick={() => setParams((p) => { const n = new URLSearchParams(p); n.delete("cursor"); return n; })}>Newest</button> : null}
        {list.data?.pageInfo.nextCursor ? (
          <button type="button" className="btn btn-secondary" data-testid="page-next" onClick={() => setParams((p) => { const n = new URLSearchParams(p); n.set("cursor", list.data!.pageInfo.nextCursor!); return n; })}>
            Older
          </button>
        ) : null}
      </nav>
    </section>
  );
}
