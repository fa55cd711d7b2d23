// Every backend call the app makes lives here, so a contract change is a change in one file.
import { createClient, type ApiClient, type ClientOptions } from "./client";
import { buildEntityQuery, buildFacetsQuery, type EntityFilter, type EntityQuery } from "./query";
import type { Pipeline } from "./pipeline";
import type {
  Alert, AuditEntry, Cluster, Deployment, DeploymentAccepted, DeploymentAction, DevToken, DevUser, DocPage,
  DocPageRef, DoraScopeReport, DryRunResult, Entity, EntityQueryResult, EntityScorecard, Environment, FacetsResult, Me,
  OwnershipReport, Paged, ScorecardDetail, ScorecardEntities, ScorecardInfo, ScorecardTrend, Task, TaskEvent, TeamScorecard,
  TemplateParameterSchema, Workload,
} from "./types";

export * from "./types";
export * from "./pipeline";
export { ApiError } from "./client";

const seg = encodeURIComponent;
/** Per call: an abort signal, or (GETs) `prefetch: true` to start it for a page that will ask for it shortly. */
type Sig = { signal?: AbortSignal; prefetch?: boolean };

export function createApi(client: ApiClient) {
  const get = <T>(path: string, query?: ConstructorParameters<typeof URLSearchParams>[0] | Record<string, unknown>, o: Sig = {}) =>
    client.request<T>("GET", path, { query: query as never, signal: o.signal, prefetch: o.prefetch });
  const post = <T>(path: string, body?: unknown, o: Sig = {}) => client.request<T>("POST", path, { body, signal: o.signal });

  return {
    client,
    auth: {
      devUsers: (o?: Sig) => get<DevUser[]>("/api/auth/dev-users", undefined, o),
      devToken: (user: string) => post<DevToken>("/api/auth/dev-token", { user }),
      me: (o?: Sig) => get<Me>("/api/me", undefined, o),
    },
    catalog: {
      query: (q: EntityQuery, o?: Sig) => get<EntityQueryResult>("/api/catalog/entities/by-query", buildEntityQuery(q), o),
      facets: (facets: string[], filters: EntityFilter[] = [], o?: Sig) =>
        get<FacetsResult>("/api/catalog/entity-facets", buildFacetsQuery(facets, filters), o),
      byName: (kind: string, namespace: string, name: string, o?: Sig) =>
        get<Entity>(`/api/catalog/entities/by-name/${seg(kind)}/${seg(namespace)}/${seg(name)}`, undefined, o),
      byRefs: (entityRefs: string[], o?: Sig) =>
        post<{ items: (Entity | null)[] }>("/api/catalog/entities/by-refs", { entityRefs }, o),
    },
    docs: {
      pages: (kind: string, namespace: string, name: string, o?: Sig) =>
        get<{ pages: DocPageRef[] }>(`/api/docs/${seg(kind)}/${seg(namespace)}/${seg(name)}`, undefined, o),
      page: (kind: string, namespace: string, name: string, path: string, o?: Sig) =>
        get<DocPage>(`/api/docs/${seg(kind)}/${seg(namespace)}/${seg(name)}/page`, { path }, o),
    },
    scaffolder: {
      parameterSchema: (namespace: string, name: string, o?: Sig) =>
        get<TemplateParameterSchema>(`/api/scaffolder/v2/templates/${seg(namespace)}/template/${seg(name)}/parameter-schema`, undefined, o),
      createTask: (templateRef: string, values: Record<string, unknown>) =>
        post<{ id: string }>("/api/scaffolder/v2/tasks", { templateRef, values }),
      task: (id: string, o?: Sig) => get<Task>(`/api/scaffolder/v2/tasks/${seg(id)}`, undefined, o),
      eventStreamUrl: (id: string) => client.url(`/api/scaffolder/v2/tasks/${seg(id)}/eventstream`),
      events: (id: string, after?: string | number, o?: Sig) =>
        get<TaskEvent[]>(`/api/scaffolder/v2/tasks/${seg(id)}/events`, after !== undefined ? { after: String(after) } : undefined, o),
      dryRun: (body: { templateRef: string; values: Record<string, unknown>; [k: string]: unknown }) =>
        post<DryRunResult>("/api/scaffolder/v2/dry-run", body),
    },
    deployments: {
      environments: (namespace: string, name: string, o?: Sig) =>
        get<Environment[]>(`/api/components/${seg(namespace)}/${seg(name)}/environments`, undefined, o),
      create: (component: string, environment: string, version: string) =>
        post<DeploymentAccepted>("/api/deployments", { component, environment, version }),
      list: (q: { component?: string; environment?: string; limit?: number; cursor?: string | null }, o?: Sig) =>
        get<Paged<Deployment>>("/api/deployments", q, o),
      get: (id: string, o?: Sig) => get<Deployment>(`/api/deployments/${seg(id)}`, undefined, o),
      act: (id: string, action: DeploymentAction, comment?: string) =>
        post<unknown>(`/api/deployments/${seg(id)}/${action}`, comment ? { comment } : undefined),
      rollback: (id: string, toVersion: string) => post<DeploymentAccepted>(`/api/deployments/${seg(id)}/rollback`, { toVersion }),
      promote: (namespace: string, name: string, from: string, to: string, version: string) =>
        post<DeploymentAccepted>(`/api/components/${seg(namespace)}/${seg(name)}/promote`, { from, to, version }),
      pipeline: (namespace: string, name: string, o?: Sig) =>
        get<Pipeline>(`/api/components/${seg(namespace)}/${seg(name)}/pipeline`, undefined, o),
      approveStage: (namespace: string, name: string, stage: string, comment?: string) =>
        post<unknown>(`/api/components/${seg(namespace)}/${seg(name)}/pipeline/${seg(stage)}/approve`, comment ? { comment } : {}),
      unpinStage: (namespace: string, name: string, stage: string) =>
        post<{ stage: string; wasPinned: boolean }>(`/api/components/${seg(namespace)}/${seg(name)}/pipeline/${seg(stage)}/unpin`),
    },
    clusters: {
      list: (o?: Sig) => get<Cluster[]>("/api/clusters", undefined, o),
      workloads: (namespace: string, name: string, o?: Sig) =>
        get<Workload[]>(`/api/components/${seg(namespace)}/${seg(name)}/workloads`, undefined, o),
      alerts: (namespace: string, name: string, o?: Sig) =>
        get<Alert[]>(`/api/components/${seg(namespace)}/${seg(name)}/alerts`, undefined, o),
    },
    insights: {
      scorecards: (o?: Sig) => get<ScorecardInfo[]>("/api/insights/scorecards", undefined, o),
      scorecard: (namespace: string, name: string, o?: Sig) =>
        get<ScorecardDetail>(`/api/insights/scorecards/${seg(namespace)}/${seg(name)}`, undefined, o),
      scorecardEntities: (namespace: string, name: string, q: { team?: string; level?: string; failing?: string; offset?: number; limit?: number }, o?: Sig) =>
        get<ScorecardEntities>(`/api/insights/scorecards/${seg(namespace)}/${seg(name)}/entities`, q, o),
      scorecardHistory: (namespace: string, name: string, q: { scope?: string; days?: number }, o?: Sig) =>
        get<ScorecardTrend>(`/api/insights/scorecards/${seg(namespace)}/${seg(name)}/history`, q, o),
      entityScorecards: (kind: string, namespace: string, name: string, o?: Sig) =>
        get<EntityScorecard[]>(`/api/insights/entities/${seg(kind)}/${seg(namespace)}/${seg(name)}/scorecards`, undefined, o),
      teamScorecards: (namespace: string, name: string, days?: number, o?: Sig) =>
        get<TeamScorecard[]>(`/api/insights/teams/${seg(namespace)}/${seg(name)}/scorecards`, { days }, o),
      organisationDora: (q: { days?: number; environment?: string }, o?: Sig) =>
        get<DoraScopeReport>("/api/insights/dora/organisation", q, o),
      teamDora: (namespace: string, name: string, q: { days?: number; environment?: string }, o?: Sig) =>
        get<DoraScopeReport>(`/api/insights/dora/teams/${seg(namespace)}/${seg(name)}`, q, o),
      ownership: (q: { problem?: string; kind?: string; owner?: string; inactiveDays?: number; offset?: number; limit?: number }, o?: Sig) =>
        get<OwnershipReport>("/api/insights/ownership", q, o),
      /** The report as CSV, fetched with the session's credentials (a plain link would carry no bearer token). */
      ownershipCsv: (q: { problem?: string; kind?: string; owner?: string; inactiveDays?: number }) =>
        client.download("/api/insights/ownership", { ...q, format: "csv" }, "text/csv"),
    },
    audit: {
      list: (q: { actor?: string; target?: string; action?: string; from?: string; to?: string; limit?: number; cursor?: string | null }, o?: Sig) =>
        get<Paged<AuditEntry>>("/api/audit", q, o),
    },
  };
}

export type Api = ReturnType<typeof createApi>;

let current: Api | null = null;

/** Set once at start-up (and by tests) from config.json and the auth session. */
export function configureApi(options: ClientOptions): Api {
  current = createApi(createClient(options));
  return current;
}

export function setApi(api: Api) {
  current = api;
}

export function api(): Api {
  if (!current) throw new Error("API not configured: configureApi() runs at start-up");
  return current;
}
