// What the catalog and entity pages ask the backend for first. It lives outside the pages' lazy chunks so that
// main.tsx can start those calls at once, beside sign-in, and the pages then ask for exactly the same URLs.
import { api } from "./api";
import type { EntityFilter, EntityQuery } from "./api/query";

export const CATALOG_FACETS = [
  { param: "kind", field: "kind", label: "Kind" },
  { param: "type", field: "spec.type", label: "Type" },
  { param: "owner", field: "spec.owner", label: "Owner" },
  { param: "lifecycle", field: "spec.lifecycle", label: "Lifecycle" },
  { param: "tag", field: "metadata.tags", label: "Tags" },
] as const;

export type CatalogFacet = (typeof CATALOG_FACETS)[number];

const PAGE_SIZE = 20;
const FIELDS = [
  "kind", "metadata.name", "metadata.namespace", "metadata.title", "metadata.description", "metadata.tags",
  "spec.type", "spec.owner", "spec.lifecycle",
];

/** The catalog filter the URL describes: selected facet values (ORed within a facet, ANDed across). */
export function filterFromParams(params: URLSearchParams): EntityFilter {
  const filter: EntityFilter = {};
  for (const f of CATALOG_FACETS) {
    const values = params.getAll(f.param).filter(Boolean);
    if (values.length) filter[f.field] = values;
  }
  return filter;
}

/** The page of results the catalog shows for its URL's filters, search term (`q`) and cursor. */
export function catalogQuery(params: URLSearchParams): EntityQuery {
  const filter = filterFromParams(params);
  const term = params.get("q") ?? "";
  return {
    filters: Object.keys(filter).length ? [filter] : [],
    fullTextFilterTerm: term,
    orderField: term ? [] : [{ field: "metadata.name", order: "asc" }],
    fields: FIELDS,
    limit: PAGE_SIZE,
    cursor: params.get("cursor"),
  };
}

/** The facet counts the catalog shows beside its results: every facet, under the URL's filters. */
export function catalogFacets(params: URLSearchParams): [fields: string[], filters: EntityFilter[]] {
  const filter = filterFromParams(params);
  return [CATALOG_FACETS.map((f) => f.field), Object.keys(filter).length ? [filter] : []];
}

/**
 * Starts the first calls of the page being opened (the catalog's results and facets, or an entity), so they run
 * beside `/api/me` instead of after it and after the page's chunk. The page's own identical GETs take the answers;
 * a failed prefetch is dropped and the page asks again, so this never changes what the page shows, only when.
 */
export function prefetchRoute(location: { pathname: string; search: string }) {
  const seg = location.pathname.split("/").filter(Boolean);
  if (seg[0] !== "catalog") return;
  if (seg.length === 1) {
    const params = new URLSearchParams(location.search);
    try {
      void api().catalog.query(catalogQuery(params), { prefetch: true }).catch(() => undefined);
      void api().catalog.facets(...catalogFacets(params), { prefetch: true }).catch(() => undefined);
    } catch {
      // a filter the query builder refuses (a comma in a value): the page reports it itself
    }
  } else if (seg.length === 4) {
    let parts: string[];
    try {
      parts = seg.slice(1).map(decodeURIComponent);
    } catch {
      return; // malformed %-escape: the router will show its own answer
    }
    const [kind, namespace, name] = parts;
    void api().catalog.byName(kind, namespace, name, { prefetch: true }).catch(() => undefined);
  }
}
