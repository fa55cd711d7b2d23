import { api } from "../api";
import { CapacityBar } from "../components/charts";
import { Empty, Loading, PageHeader, ProblemView, StatusBadge } from "../components/common";
import { useAsync, useDocumentTitle } from "../hooks";

export default function Clusters() {
  useDocumentTitle("Clusters");
  const clusters = useAsync((signal) => api().clusters.list({ signal }), []);
  const list = clusters.data ?? [];
  return (
    <section>
      <PageHeader
        title="Clusters"
        subtitle="Health and capacity of every cluster the portal deploys to."
        actions={<button type="button" className="btn btn-secondary" onClick={clusters.reload} data-testid="clusters-refresh">Refresh</button>}
      />
      {clusters.error ? <ProblemView error={clusters.error} onRetry={clusters.reload} /> : null}
      {clusters.loading && !clusters.data ? <Loading /> : null}
      {clusters.data && list.length === 0 ? <Empty>No clusters are registered.</Empty> : null}
      <ul className="cards" aria-label="Clusters" aria-busy={clusters.loading}>
        {list.map((c) => (
          <li key={c.name} className={`card cluster cluster-${c.status.toLowerCase()}`} data-testid={`cluster-card-${c.name}`}>
            <div className="row spread">
              <h2>{c.name}</h2>
              <StatusBadge status={c.status} testId={`cluster-status-${c.name}`} />
            </div>
            <p className="small muted">{c.provider} · {c.region} · {c.nodes} {c.nodes === 1 ? "node" : "nodes"}</p>
            <CapacityBar label="CPU" used={c.cpu.used} capacity={c.cpu.capacity} unit="cores" testId={`cluster-cpu-${c.name}`} />
            <CapacityBar label="Memory" used={c.memory.used} capacity={c.memory.capacity} unit="GiB" testId={`cluster-memory-${c.name}`} />
            {c.grafanaUrl ? <a href={c.grafanaUrl} target="_blank" rel="noopener noreferrer">Open in Grafana</a> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
