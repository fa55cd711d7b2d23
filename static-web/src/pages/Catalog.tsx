import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, type FacetValue } from "../api";
import { entityPath, stringifyEntityRef } from "../api/query";
import { EntityRefLink, Loading, PageHeader, ProblemView } from "../components/common";
import { useAsync, useDebounced, useDocumentTitle } from "../hooks";
import { CATALOG_FACETS as FACETS, catalogFacets, catalogQuery, filterFromParams, type CatalogFacet } from "../routeData";

function FacetGroup({ facet, values, selected, onToggle }: {
  facet: CatalogFacet; values: FacetValue[]; selected: string[]; onToggle: (value: string) => void;
}) {
  const [expanded, setExpanded] = useState(false);
  const merged = useMemo(() => {
    const list = [...values].sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    for (const s of selected) if (!list.some((v) => v.value.toLowerCase() === s.toLowerCase())) list.unshift({ value: s, count: 0 });
    return list;
  }, [values, selected]);
  const shown = expanded ? merged : merged.slice(0, 8);
  return (
    <fieldset className="facet" data-testid={`facet-group-${facet.param}`}>
      <legend>{facet.label}</legend>
      {merged.length === 0 ? <p className="muted small">No values</p> : null}
      {shown.map((v) => {
        const id = `facet-${facet.param}-${v.value}`;
        const checked = selected.some((s) => s.toLowerCase() === v.value.toLowerCase());
        return (
          <label key={v.value} className="facet-option">
            <input type="checkbox" id={id} data-testid={id} checked={checked} onChange={() => onToggle(v.value)} />
            <span className="facet-value">{facet.param === "owner" ? <>{v.value.replace(/^group:default\//, "")}</> : v.value}</span>
            <span className="facet-count" aria-label={`${v.count} entities`}>{v.count}</span>
          </label>
        );
      })}
      {merged.length > 8 ? (
        <button type="button" className="linklike small" aria-expanded={expanded} onClick={() => setExpanded((e) => !e)}>
          {expanded ? "Show fewer" : `Show all ${merged.length}`}
        </button>
      ) : null}
    </fieldset>
  );
}

export default function Catalog() {
  useDocumentTitle("Catalog");
  const [params, setParams] = useSearchParams();
  const urlTerm = params.get("q") ?? "";
  const [term, setTerm] = useState(urlTerm);
  const debounced = useDebounced(term, 150);
  const pushed = useRef(urlTerm);

  // Typing updates the URL (replace, so history is not flooded); Back/Forward updates the box.
  useEffect(() => {
    if (debounced.trim() === (params.get("q") ?? "")) return;
    pushed.current = debounced.trim();
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (debounced.trim()) next.set("q", debounced.trim());
      else next.delete("q");
      next.delete("cursor");
      return next;
    }, { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debounced]);
  useEffect(() => {
    if (urlTerm !== pushed.current) {
      pushed.current = urlTerm;
      setTerm(urlTerm);
    }
  }, [urlTerm]);

  const filter = filterFromParams(params);
  const filterKey = JSON.stringify(filter);
  const cursor = params.get("cursor");

  // The same calls routeData's prefetch makes at start-up, so a cold load takes those answers.
  const results = useAsync((signal) => api().catalog.query(catalogQuery(params), { signal }), [filterKey, urlTerm, cursor]);
  const facets = useAsync((signal) => api().catalog.facets(...catalogFacets(params), { signal }), [filterKey]);

  function toggle(param: string, value: string) {
    setParams((p) => {
      const next = new URLSearchParams(p);
      const current = next.getAll(param);
      next.delete(param);
      const exists = current.some((c) => c.toLowerCase() === value.toLowerCase());
      for (const c of current) if (c.toLowerCase() !== value.toLowerCase()) next.append(param, c);
      if (!exists) next.append(param, value);
      next.delete("cursor");
      return next;
    });
  }

  function goTo(c: string | null | undefined) {
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (c) next.set("cursor", c);
      else next.delete("cursor");
      return next;
    });
  }

  const anyFilter = Object.keys(filter).length > 0 || !!urlTerm;
  const data = results.data;

  return (
    <section>
      <PageHeader title="Software catalog" subtitle="Everything that exists, who owns it, and how it fits together." />
      <div className="catalog-layout">
        <aside className="facets" aria-label="Filters">
          {facets.error ? <ProblemView error={facets.error} onRetry={facets.reload} /> : null}
          {FACETS.map((f) => (
            <FacetGroup
              key={f.param}
              facet={f}
              values={facets.data?.facets[f.field] ?? []}
              selected={params.getAll(f.param)}
              onToggle={(v) => toggle(f.param, v)}
            />
          ))}
          {anyFilter ? (
            <button type="button" className="btn btn-secondary btn-small" data-testid="clear-filters" onClick={() => { setTerm(""); setParams(new URLSearchParams()); }}>
              Clear all filters
            </button>
          ) : null}
        </aside>
        <div className="results">
          <div className="search-box">
            <label htmlFor="catalog-search">Search the catalog</label>
            <input
              id="catalog-search"
              type="search"
              data-testid="search-input"
              placeholder="Name, title or description"
              value={term}
              autoComplete="off"
              onChange={(e) => setTerm(e.target.value)}
            />
          </div>
          <p className="result-count" aria-live="polite" data-testid="result-count">
            {results.loading ? "Searching…" : data ? `${data.totalItems} ${data.totalItems === 1 ? "entity" : "entities"}` : ""}
          </p>
          {results.error ? <ProblemView error={results.error} onRetry={results.reload} /> : null}
          {!data && results.loading ? <Loading /> : null}
          {data && data.items.length === 0 ? (
            <p className="empty" data-testid="empty-state">
              No entities match{urlTerm ? <> “{urlTerm}”</> : null}.{anyFilter ? " Try removing a filter." : " The catalog is empty."}
            </p>
          ) : null}
          {data && data.items.length > 0 ? (
            <div className="table-wrap" aria-busy={results.loading}>
              <table className="table" data-testid="catalog-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Type</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Lifecycle</th>
                    <th scope="col" className="hide-narrow">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((e) => {
                    const ref = stringifyEntityRef({ kind: e.kind, namespace: e.metadata.namespace, name: e.metadata.name });
                    const spec = e.spec ?? {};
                    return (
                      <tr key={ref} data-testid={`entity-row-${e.metadata.name}`}>
                        <td>
                          <Link to={entityPath(ref)}>{e.metadata.title || e.metadata.name}</Link>
                          {e.metadata.tags?.length ? (
                            <div className="tags">{e.metadata.tags.map((t) => <span key={t} className="chip">{t}</span>)}</div>
                          ) : null}
                        </td>
                        <td>{e.kind}</td>
                        <td>{String(spec.type ?? "—")}</td>
                        <td>{typeof spec.owner === "string" ? <EntityRefLink entityRef={spec.owner.includes(":") ? spec.owner : `group:${e.metadata.namespace ?? "default"}/${spec.owner}`} impliedKind="group" /> : "—"}</td>
                        <td>{String(spec.lifecycle ?? "—")}</td>
                        <td className="hide-narrow description">{e.metadata.description ?? ""}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ) : null}
          {data && (data.pageInfo.prevCursor || data.pageInfo.nextCursor) ? (
            <nav className="pager" aria-label="Pages">
              <button type="button" className="btn btn-secondary" data-testid="page-prev" disabled={!data.pageInfo.prevCursor} onClick={() => goTo(data.pageInfo.prevCursor)}>
                Previous
              </button>
              <button type="button" className="btn btn-secondary" data-testid="page-next" disabled={!data.pageInfo.nextCursor} onClick={() => goTo(data.pageInfo.nextCursor)}>
                Next
              </button>
            </nav>
          ) : null}
        </div>
      </div>
    </section>
  );
}
