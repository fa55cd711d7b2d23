// What the catalog and entity pages ask the backend for first. It lives outside the pages' lazy chunks so that
// main.tsx can start those calls at once, beside sign-in, and the pages then ask for exactly the same URLs.
import { api } from "./api";
import { entityPath, type EntityFilter, type EntityQuery } from "./api/query";

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

/** The kinds Backstage's catalog knows; entity URLs use them to tell their two forms apart. */
export const ENTITY_KINDS = ["component", "api", "system", "domain", "resource", "group", "user", "template", "location"] as const;

const isKind = (s: string) => (ENTITY_KINDS as readonly string[]).includes(s.toLowerCase());

export interface EntityRoute {
  kind: string;
  namespace: string;
  name: string;
  /** The address used our former form, `/catalog/{kind}/{namespace}/{name}`: redirect it to `canonical`. */
  legacy: boolean;
  /** Backstage's form, `/catalog/{namespace}/{kind}/{name}`, which every link the app makes uses. */
  canonical: string;
  /** Both segments are kinds (`/catalog/api/component/x`): read as Backstage's form; this is the other reading. */
  otherReading?: { kind: string; namespace: string; name: string; canonical: string };
}

const entityRoutePath = (kind: string, namespace: string, name: string) => entityPath({ kind, namespace, name });

/**
 * Reads the three decoded segments after `/catalog/`. Backstage's form (namespace, kind, name) wins whenever its
 * second segment is a kind, because that is what links from Backstage, docs and chat use; our former form (kind,
 * namespace, name) is recognised only when the first segment is a kind and the second is not. Kinds are compared
 * without case and given lowercased; neither segment a kind is not an entity address (null).
 */
export function parseEntityRoute(segments: readonly string[]): EntityRoute | null {
  if (segments.length !== 3 || segments.some((s) => !s)) return null;
  const [first, second, name] = segments;
  if (isKind(second)) {
    const kind = second.toLowerCase();
    const route: EntityRoute = { kind, namespace: first, name, legacy: false, canonical: entityRoutePath(kind, first, name) };
    if (isKind(first)) {
      route.otherReading = { kind: first.toLowerCase(), namespace: second, name, canonical: entityRoutePath(first, second, name) };
    }
    return route;
  }
  if (isKind(first)) {
    const kind = first.toLowerCase();
    return { kind, namespace: second, name, legacy: true, canonical: entityRoutePath(kind, second, name) };
  }
  return null;
}

/** The segments after `/catalog/` of a pathname, decoded; null when one is not valid %-encoding. */
export function entitySegments(pathname: string): string[] | null {
  const seg = pathname.split("/").filter(Boolean);
  if (seg[0] !== "catalog") return null;
  try {
    return seg.slice(1).map(decodeURIComponent);
  } catch {
    return null;
  }
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
    // Either form: a former-form address is redirected to the same entity, whose page then asks for this very URL.
    const route = parseEntityRoute(entitySegments(location.pathname) ?? []);
    if (route) void api().catalog.byName(route.kind, route.namespace, route.name, { prefetch: true }).catch(() => undefined);
  }
}
