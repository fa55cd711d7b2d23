// Builds Backstage-style catalog query strings: /entities/by-query and /entity-facets.

/** One filter set: its keys are ANDed, array values of one key are ORed. Several sets are ORed by the server. */
export type EntityFilter = Record<string, string | string[] | undefined | null>;

export interface EntityQuery {
  filters?: EntityFilter[];
  fullTextFilterTerm?: string;
  fullTextFilterFields?: string[];
  orderField?: { field: string; order: "asc" | "desc" }[];
  fields?: string[];
  limit?: number;
  cursor?: string | null;
}

/** `{kind: "component", "spec.type": ["service","website"]}` → `kind=component,spec.type=service,spec.type=website`. */
export function filterToString(filter: EntityFilter): string {
  const parts: string[] = [];
  for (const [key, raw] of Object.entries(filter)) {
    if (raw === undefined || raw === null) continue;
    const values = (Array.isArray(raw) ? raw : [raw]).map((v) => v.trim()).filter((v) => v !== "");
    for (const value of values) {
      if (value.includes(",")) {
        // Backstage splits filter sets on commas and has no escape; a comma would silently change the query.
        throw new Error(`Filter value for "${key}" cannot contain a comma: ${value}`);
      }
      parts.push(`${key}=${value}`);
    }
  }
  return parts.join(",");
}

export function buildEntityQuery(query: EntityQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.cursor) {
    // A cursor encodes the original filters, term and order; Backstage ignores them next to a cursor.
    params.set("cursor", query.cursor);
  } else {
    for (const filter of query.filters ?? []) {
      const value = filterToString(filter);
      if (value) params.append("filter", value);
    }
    const term = query.fullTextFilterTerm?.trim();
    if (term) {
      params.set("fullTextFilterTerm", term);
      if (query.fullTextFilterFields?.length) params.set("fullTextFilterFields", query.fullTextFilterFields.join(","));
    }
    for (const order of query.orderField ?? []) params.append("orderField", `${order.field},${order.order}`);
  }
  if (query.limit !== undefined) params.set("limit", String(query.limit));
  if (query.fields?.length) params.set("fields", query.fields.join(","));
  return params;
}

export function buildFacetsQuery(facets: string[], filters: EntityFilter[] = []): URLSearchParams {
  const params = new URLSearchParams();
  for (const facet of facets) params.append("facet", facet);
  for (const filter of filters) {
    const value = filterToString(filter);
    if (value) params.append("filter", value);
  }
  return params;
}

export interface EntityRefParts {
  kind: string;
  namespace: string;
  name: string;
}

/** Parses `kind:namespace/name` (namespace and kind optional, as Backstage allows with defaults). */
export function parseEntityRef(ref: string, defaults: { kind?: string; namespace?: string } = {}): EntityRefParts {
  const colon = ref.indexOf(":");
  const kind = colon > 0 ? ref.slice(0, colon) : defaults.kind ?? "";
  const rest = colon > 0 ? ref.slice(colon + 1) : ref;
  const slash = rest.indexOf("/");
  const namespace = slash > 0 ? rest.slice(0, slash) : defaults.namespace ?? "default";
  const name = slash > 0 ? rest.slice(slash + 1) : rest;
  return { kind: kind.toLowerCase(), namespace, name };
}

export function stringifyEntityRef(parts: { kind: string; namespace?: string; name: string }): string {
  return `${parts.kind.toLowerCase()}:${parts.namespace || "default"}/${parts.name}`;
}

/** The entity page's address in Backstage's form, `/catalog/{namespace}/{kind}/{name}` (kind lowercased). */
export function entityPath(refOrParts: string | EntityRefParts): string {
  const p = typeof refOrParts === "string" ? parseEntityRef(refOrParts) : refOrParts;
  return `/catalog/${encodeURIComponent(p.namespace)}/${encodeURIComponent(p.kind.toLowerCase())}/${encodeURIComponent(p.name)}`;
}
