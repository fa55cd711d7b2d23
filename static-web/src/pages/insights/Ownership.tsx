import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { api } from "../../api";
import { EntityRefLink, Loading, PageHeader, ProblemView } from "../../components/common";
import { useAsync, useDocumentTitle } from "../../hooks";
import { csvFileName, OWNERSHIP_PROBLEMS, problemLabel } from "../../insights";
import { InsightsNav } from "./shared";

const PAGE = 50;

export default function Ownership() {
  useDocumentTitle("Ownership health");
  const [params, setParams] = useSearchParams();
  const problem = params.get("problem") ?? "";
  const kind = params.get("kind") ?? "";
  const owner = params.get("owner") ?? "";
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  const [draft, setDraft] = useState({ kind, owner });
  const [exportState, setExportState] = useState<{ busy: boolean; error?: unknown; done?: string }>({ busy: false });
  const report = useAsync(
    (signal) => api().insights.ownership({ problem: problem || undefined, kind: kind || undefined, owner: owner || undefined, offset, limit: PAGE }, { signal }),
    [problem, kind, owner, offset],
  );

  const update = (changes: Record<string, string>) =>
    setParams((p) => {
      const n = new URLSearchParams(p);
      for (const [k, v] of Object.entries(changes)) {
        if (v) n.set(k, v);
        else n.delete(k);
      }
      if (!("offset" in changes)) n.delete("offset");
      return n;
    });

  function apply(e: FormEvent) {
    e.preventDefault();
    update({ kind: draft.kind.trim(), owner: draft.owner.trim() });
  }

  async function exportCsv() {
    setExportState({ busy: true });
    try {
      const filters = { problem: problem || undefined, kind: kind || undefined, owner: owner || undefined };
      const blob = await api().insights.ownershipCsv(filters);
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = csvFileName(filters);
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setExportState({ busy: false, done: a.download });
    } catch (error) {
      setExportState({ busy: false, error });
    }
  }

  const counts = report.data?.counts ?? {};
  const all = OWNERSHIP_PROBLEMS.reduce((s, p) => s + (counts[p.id] ?? 0), 0);
  const items = report.data?.items ?? [];
  const total = report.data?.total ?? 0;
  return (
    <section data-testid="ownership-page">
      <PageHeader
        title="Insights"
        subtitle="Ownership health: entities nobody clearly owns, and teams that may have gone quiet."
        actions={
          <button type="button" className="btn btn-secondary" data-testid="ownership-export" disabled={exportState.busy} onClick={() => void exportCsv()}>
            {exportState.busy ? "Exporting…" : "Export CSV"}
          </button>
        }
      />
      <InsightsNav />
      {exportState.error ? <ProblemView error={exportState.error} context="CSV export" /> : null}
      {exportState.done ? <p className="notice small" role="status" data-testid="ownership-export-done">Saved {exportState.done}.</p> : null}
      <div className="chips" role="group" aria-label="Problem" data-testid="ownership-problems">
        <button type="button" className="chip chip-button" aria-pressed={!problem} data-testid="ownership-problem-all" onClick={() => update({ problem: "" })}>
          Every problem <strong>{report.data ? all : "…"}</strong>
        </button>
        {OWNERSHIP_PROBLEMS.map((p) => (
          <button key={p.id} type="button" className="chip chip-button" title={p.help} aria-pressed={problem === p.id} data-testid={`ownership-problem-${p.id}`} onClick={() => update({ problem: p.id })}>
            {p.label} <strong data-testid="ownership-count">{report.data ? (counts[p.id] ?? 0) : "…"}</strong>
          </button>
        ))}
      </div>
      <form className="filters" onSubmit={apply} aria-label="Filter ownership issues">
        <div className="field">
          <label htmlFor="own-kind">Kind</label>
          <input id="own-kind" data-testid="ownership-filter-kind" placeholder="component" value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="own-owner">Owner</label>
          <input id="own-owner" data-testid="ownership-filter-owner" placeholder="group:default/payments-team" value={draft.owner} onChange={(e) => setDraft({ ...draft, owner: e.target.value })} />
        </div>
        <button type="submit" className="btn btn-secondary" data-testid="ownership-apply">Apply</button>
      </form>
      {report.error ? <ProblemView error={report.error} onRetry={report.reload} /> : null}
      {report.loading && !report.data ? <Loading /> : null}
      {report.data ? (
        <p className="result-count" data-testid="ownership-total" aria-live="polite">
          {total} issue{total === 1 ? "" : "s"} · inactive means no deployment in {report.data.inactiveDays} days
        </p>
      ) : null}
      {report.data && items.length === 0 ? <p className="empty" data-testid="ownership-empty">No ownership problems match. Every entity here has an owner who exists.</p> : null}
      {items.length ? (
        <div className="table-wrap" aria-busy={report.loading}>
          <table className="table" data-testid="ownership-table">
            <thead>
              <tr>
                <th scope="col">Problem</th>
                <th scope="col">Entity</th>
                <th scope="col">Kind</th>
                <th scope="col">Owner</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={`${i.problem}-${i.entity}`} data-testid={`ownership-row-${i.entity}`}>
                  <td><span className="chip chip-warn">{problemLabel(i.problem)}</span></td>
                  <td><EntityRefLink entityRef={i.entity} />{i.title ? <span className="small muted"> {i.title}</span> : null}</td>
                  <td>{i.kind}</td>
                  <td>{i.owner ? <EntityRefLink entityRef={i.owner} impliedKind="group" /> : <span className="muted">none</span>}</td>
                  <td>{i.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="pager" aria-label="Pages">
        {offset > 0 ? <button type="button" className="btn btn-secondary" data-testid="page-prev" onClick={() => update({ offset: String(Math.max(0, offset - PAGE)) })}>Previous</button> : null}
        {offset + PAGE < total ? <button type="button" className="btn btn-secondary" data-testid="page-next" onClick={() => update({ offset: String(offset + PAGE) })}>Next</button> : null}
      </nav>
    </section>
  );
}
