import { useSearchParams } from "react-router";
import { api, type Entity } from "../../api";
import { Empty, Loading, ProblemView, StatusBadge } from "../../components/common";
import { formatDateTime, formatRelative } from "../../format";
import { useAsync } from "../../hooks";
import { sanitizeHtml } from "../../sanitize";

function parts(entity: Entity) {
  return [entity.kind.toLowerCase(), entity.metadata.namespace ?? "default", entity.metadata.name] as const;
}

export function DocsTab({ entity }: { entity: Entity }) {
  const [kind, ns, name] = parts(entity);
  const [params, setParams] = useSearchParams();
  const pages = useAsync((signal) => api().docs.pages(kind, ns, name, { signal }), [kind, ns, name]);
  const list = pages.data?.pages ?? [];
  const selected = params.get("doc") ?? list[0]?.path;
  const page = useAsync(
    (signal) => (selected ? api().docs.page(kind, ns, name, selected, { signal }) : Promise.resolve(null)),
    [kind, ns, name, selected],
  );

  if (pages.loading && !pages.data) return <Loading label="Loading docs…" />;
  if (pages.error) {
    if ((pages.error as { status?: number }).status === 404) return <Empty>This entity has no TechDocs.</Empty>;
    return <ProblemView error={pages.error} onRetry={pages.reload} />;
  }
  if (list.length === 0) return <Empty>This entity has no TechDocs.</Empty>;
  return (
    <div className="docs-layout">
      <nav aria-label="Documentation pages" className="docs-nav">
        <ul>
          {list.map((p) => (
            <li key={p.path}>
              <button
                type="button"
                className={`linklike${p.path === selected ? " active" : ""}`}
                aria-current={p.path === selected ? "page" : undefined}
                data-testid={`doc-page-${p.path}`}
                onClick={() => setParams((q) => { const n = new URLSearchParams(q); n.set("doc", p.path); return n; }, { replace: true })}
              >
                {p.title || p.path}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <article className="docs-content" data-testid="doc-content" aria-busy={page.loading}>
        {page.error ? <ProblemView error={page.error} onRetry={page.reload} /> : null}
        {page.loading && !page.data ? <Loading /> : null}
        {page.data ? (
          <>
            <h2>{page.data.title}</h2>
            <div className="prose" dangerouslySetInnerHTML={{ __html: sanitizeHtml(page.data.html) }} />
          </>
        ) : null}
      </article>
    </div>
  );
}

export function WorkloadsTab({ entity }: { entity: Entity }) {
  const [, ns, name] = parts(entity);
  const workloads = useAsync((signal) => api().clusters.workloads(ns, name, { signal }), [ns, name]);
  if (workloads.loading && !workloads.data) return <Loading label="Loading workloads…" />;
  if (workloads.error) return <ProblemView error={workloads.error} onRetry={workloads.reload} />;
  const list = workloads.data ?? [];
  if (list.length === 0) return <Empty>No workloads of this component run on any cluster.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="workloads-table">
        <thead>
          <tr>
            <th scope="col">Cluster</th>
            <th scope="col">Namespace / name</th>
            <th scope="col">Version</th>
            <th scope="col">Replicas (ready / updated / desired)</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {list.map((w) => (
            <tr key={`${w.cluster}/${w.namespace}/${w.name}`} data-testid={`workload-row-${w.cluster}`}>
              <th scope="row">{w.cluster}</th>
              <td>{w.namespace}/{w.name}</td>
              <td>{w.version}</td>
              <td>
                <meter min={0} max={Math.max(1, w.replicas.desired)} value={w.replicas.ready} aria-label="Ready replicas" />{" "}
                {w.replicas.ready} / {w.replicas.updated} / {w.replicas.desired}
              </td>
              <td><StatusBadge status={w.status} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AlertsTab({ entity }: { entity: Entity }) {
  const [, ns, name] = parts(entity);
  const alerts = useAsync((signal) => api().clusters.alerts(ns, name, { signal }), [ns, name]);
  if (alerts.loading && !alerts.data) return <Loading label="Loading alerts…" />;
  if (alerts.error) return <ProblemView error={alerts.error} onRetry={alerts.reload} />;
  const list = alerts.data ?? [];
  if (list.length === 0) return <Empty testId="alerts-empty">No alerts. All quiet.</Empty>;
  return (
    <ul className="alert-list" data-testid="alerts-list">
      {list.map((a) => (
        <li key={`${a.name}-${a.since}`} className={`alert-item severity-${a.severity.toLowerCase()}`}>
          <div className="row">
            <strong>{a.name}</strong> <StatusBadge status={a.severity} /> <StatusBadge status={a.state} />
          </div>
          <p>{a.summary}</p>
          <p className="small muted">since <time dateTime={a.since} title={formatDateTime(a.since)}>{formatRelative(a.since)}</time></p>
        </li>
      ))}
    </ul>
  );
}
