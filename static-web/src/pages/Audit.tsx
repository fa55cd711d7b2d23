import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { api } from "../api";
import { EntityRefLink, Loading, PageHeader, ProblemView, StatusBadge } from "../components/common";
import { formatDateTime } from "../format";
import { useAsync, useDocumentTitle } from "../hooks";

const FILTERS = ["actor", "target", "action", "from", "to"] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

function toLocalInput(iso: string) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export default function Audit() {
  useDocumentTitle("Audit log");
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""])) as Filters;
  const cursor = params.get("cursor");
  // Cursors only go forward; remember the ones we came through so "Previous" works.
  const [trail, setTrail] = useState<string[]>([]);
  const [draft, setDraft] = useState<Filters>({ ...applied, from: toLocalInput(applied.from), to: toLocalInput(applied.to) });
  const entries = useAsync(
    (signal) => api().audit.list({ ...Object.fromEntries(FILTERS.map((f) => [f, applied[f] || undefined])), limit: 50, cursor }, { signal }),
    [params.toString()],
  );

  function apply(e: FormEvent) {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const v = draft[f].trim();
      if (!v) continue;
      next.set(f, f === "from" || f === "to" ? new Date(v).toISOString() : v);
    }
    setTrail([]);
    setParams(next);
  }

  function page(to: string | null, back: boolean) {
    setTrail((t) => (back ? t.slice(0, -1) : [...t, cursor ?? ""]));
    setParams((p) => {
      const n = new URLSearchParams(p);
      if (to) n.set("cursor", to);
      else n.delete("cursor");
      return n;
    });
  }

  const items = entries.data?.items ?? [];
  return (
    <section>
      <PageHeader title="Audit log" subtitle="Who did what, through which channel, and whether it was allowed." />
      <form className="filters" onSubmit={apply} aria-label="Filter audit entries">
        {FILTERS.map((f) => (
          <div className="field" key={f}>
            <label htmlFor={`audit-${f}`}>{f === "from" ? "From" : f === "to" ? "To" : f[0].toUpperCase() + f.slice(1)}</label>
            <input
              id={`audit-${f}`}
              data-testid={`audit-filter-${f}`}
              type={f === "from" || f === "to" ? "datetime-local" : "text"}
              placeholder={f === "actor" ? "user:default/jane" : f === "action" ? "deployment.create" : f === "target" ? "component:default/payments-api" : undefined}
              value={draft[f]}
              onChange={(e) => setDraft({ ...draft, [f]: e.target.value })}
            />
          </div>
        ))}
        <button type="submit" className="btn btn-secondary" data-testid="audit-apply">Apply</button>
      </form>
      {entries.error ? <ProblemView error={entries.error} onRetry={entries.reload} context="reading the audit log" /> : null}
      {entries.loading && !entries.data ? <Loading /> : null}
      {entries.data && items.length === 0 ? <p className="empty" data-testid="empty-state">No audit entries match.</p> : null}
      {items.length ? (
        <div className="table-wrap" aria-busy={entries.loading}>
          <table className="table" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Channel</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col" className="hide-narrow">Correlation</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-testid={`audit-row-${a.id}`}>
                  <td><time dateTime={a.at}>{formatDateTime(a.at)}</time></td>
                  <td><EntityRefLink entityRef={a.actor} impliedKind="user" /></td>
                  <td>{a.channel}</td>
                  <td><code>{a.action}</code>{a.detail ? <div className="small muted">{a.detail}</div> : null}</td>
                  <td><EntityRefLink entityRef={a.target} /></td>
                  <td><StatusBadge status={a.outcome} /></td>
                  <td className="hide-narrow small"><code>{a.correlationId ?? ""}</code>{a.sourceIp ? <div className="muted">{a.sourceIp}</div> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="pager" aria-label="Pages">
        <button type="button" className="btn btn-secondary" data-testid="page-prev" disabled={!cursor} onClick={() => page(trail[trail.length - 1] || null, true)}>
          Previous
        </button>
        <button type="button" className="btn btn-secondary" data-testid="page-next" disabled={!entries.data?.pageInfo.nextCursor} onClick={() => page(entries.data!.pageInfo.nextCursor!, false)}>
          Next
        </button>
      </nav>
    </section>
  );
}
