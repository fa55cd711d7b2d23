import { useRef, type KeyboardEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ApiError, type Entity } from "../api";
import { stringifyEntityRef } from "../api/query";
import { useMe } from "../auth/AuthProvider";
import { EntityRefLink, Loading, PageHeader, ProblemView } from "../components/common";
import { RelationsGraph } from "../components/RelationsGraph";
import { useAsync, useDocumentTitle } from "../hooks";
import { DeploymentsTab } from "./entity/DeploymentsTab";
import { AlertsTab, DocsTab, WorkloadsTab } from "./entity/OtherTabs";
import { ScorecardsTab } from "./entity/ScorecardsTab";

function ownerRef(entity: Entity): string | undefined {
  const owner = entity.spec?.owner;
  if (typeof owner !== "string") return undefined;
  return owner.includes(":") ? owner : `group:${owner.includes("/") ? owner : `${entity.metadata.namespace ?? "default"}/${owner}`}`;
}

function relatedRef(entity: Entity, specKey: string, kind: string): string | undefined {
  const v = entity.spec?.[specKey];
  if (typeof v !== "string" || !v) return undefined;
  return v.includes(":") ? v : `${kind}:${v.includes("/") ? v : `${entity.metadata.namespace ?? "default"}/${v}`}`;
}

function apisFrom(entity: Entity, relationType: string, specKey: string): string[] {
  const fromRelations = (entity.relations ?? []).filter((r) => r.type === relationType).map((r) => r.targetRef);
  if (fromRelations.length) return fromRelations;
  const spec = entity.spec?.[specKey];
  return Array.isArray(spec) ? spec.map((s) => (String(s).includes(":") ? String(s) : `api:${entity.metadata.namespace ?? "default"}/${s}`)) : [];
}

function Overview({ entity, entityRef }: { entity: Entity; entityRef: string }) {
  const spec = entity.spec ?? {};
  const provided = apisFrom(entity, "providesApi", "providesApis");
  const consumed = apisFrom(entity, "consumesApi", "consumesApis");
  return (
    <div className="overview">
      <dl className="facts" data-testid="entity-facts">
        <div><dt>Owner</dt><dd data-testid="entity-owner"><EntityRefLink entityRef={ownerRef(entity)} impliedKind="group" /></dd></div>
        <div><dt>System</dt><dd><EntityRefLink entityRef={relatedRef(entity, "system", "system")} impliedKind="system" /></dd></div>
        <div><dt>Type</dt><dd>{String(spec.type ?? "—")}</dd></div>
        <div><dt>Lifecycle</dt><dd data-testid="entity-lifecycle">{String(spec.lifecycle ?? "—")}</dd></div>
        <div>
          <dt>Tags</dt>
          <dd>{entity.metadata.tags?.length ? entity.metadata.tags.map((t) => <Link key={t} className="chip" to={`/catalog?tag=${encodeURIComponent(t)}`}>{t}</Link>) : "—"}</dd>
        </div>
      </dl>
      {entity.metadata.links?.length ? (
        <section>
          <h2>Links</h2>
          <ul className="links" data-testid="entity-links">
            {entity.metadata.links.map((l) => (
              <li key={l.url}><a href={l.url} target="_blank" rel="noopener noreferrer">{l.title || l.url}</a></li>
            ))}
          </ul>
        </section>
      ) : null}
      <section>
        <h2>Relations</h2>
        <RelationsGraph centerRef={entityRef} relations={entity.relations ?? []} />
        {entity.relations?.length ? (
          <details className="relations-list">
            <summary>All {entity.relations.length} relations as a list</summary>
            <ul>
              {entity.relations.map((r) => (
                <li key={`${r.type}-${r.targetRef}`}><span className="muted">{r.type}</span> <EntityRefLink entityRef={r.targetRef} /></li>
              ))}
            </ul>
          </details>
        ) : null}
      </section>
      {entity.kind.toLowerCase() === "component" || provided.length || consumed.length ? (
        <section className="apis">
          <div>
            <h2>Provided APIs</h2>
            {provided.length ? <ul data-testid="provided-apis">{provided.map((a) => <li key={a}><EntityRefLink entityRef={a} impliedKind="api" /></li>)}</ul> : <p className="muted">None</p>}
          </div>
          <div>
            <h2>Consumed APIs</h2>
            {consumed.length ? <ul data-testid="consumed-apis">{consumed.map((a) => <li key={a}><EntityRefLink entityRef={a} impliedKind="api" /></li>)}</ul> : <p className="muted">None</p>}
          </div>
        </section>
      ) : null}
    </div>
  );
}

const ALL_TABS = [
  { id: "overview", label: "Overview" },
  { id: "docs", label: "Docs" },
  { id: "deployments", label: "Deployments", componentOnly: true },
  { id: "workloads", label: "Workloads", componentOnly: true },
  { id: "alerts", label: "Alerts", componentOnly: true },
  { id: "scorecards", label: "Scorecards" },
];

export interface EntityPageProps {
  kind: string;
  namespace: string;
  name: string;
  /** The other reading of an address whose first two segments are both kinds (offered when this one is not found). */
  otherReading?: { kind: string; namespace: string; name: string; canonical: string };
}

export default function EntityPage({ kind, namespace, name, otherReading }: EntityPageProps) {
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const entity = useAsync((signal) => api().catalog.byName(kind, namespace, name, { signal }), [kind, namespace, name]);
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  useDocumentTitle(entity.data?.metadata.title ?? name);

  if (entity.loading && !entity.data) return <Loading label="Loading entity…" />;
  if (entity.error) {
    if (entity.error instanceof ApiError && entity.error.isNotFound) {
      return (
        <section data-testid="entity-not-found">
          <h1>Entity not found</h1>
          <p>There is no {kind} called <code>{namespace}/{name}</code> in the catalog. <Link to="/catalog">Back to the catalog</Link></p>
          {otherReading ? (
            <p data-testid="entity-other-reading">
              Read the other way round, this address names the {otherReading.kind} <code>{otherReading.namespace}/{otherReading.name}</code>:{" "}
              <Link to={otherReading.canonical}>open it</Link>.
            </p>
          ) : null}
        </section>
      );
    }
    return <ProblemView error={entity.error} onRetry={entity.reload} />;
  }
  const e = entity.data!;
  const entityRef = stringifyEntityRef({ kind: e.kind, namespace: e.metadata.namespace, name: e.metadata.name });
  const isComponent = e.kind.toLowerCase() === "component";
  const tabs = ALL_TABS.filter((t) => !t.componentOnly || isComponent);
  const requested = params.get("tab");
  const tab = tabs.find((t) => t.id === requested)?.id ?? "overview";

  const select = (id: string) =>
    setParams((p) => {
      const n = new URLSearchParams();
      if (id !== "overview") n.set("tab", id);
      if (id === "docs" && p.get("doc")) n.set("doc", p.get("doc")!);
      return n;
    }, { replace: true });

  const onKeyDown = (ev: KeyboardEvent, index: number) => {
    const delta = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
    if (ev.key === "Home" || ev.key === "End" || delta) {
      ev.preventDefault();
      const nextIndex = ev.key === "Home" ? 0 : ev.key === "End" ? tabs.length - 1 : (index + delta + tabs.length) % tabs.length;
      select(tabs[nextIndex].id);
      tabRefs.current[nextIndex]?.focus();
    }
  };

  return (
    <section data-testid="entity-page">
      <p className="breadcrumb"><Link to="/catalog">Catalog</Link> / {e.kind}</p>
      <PageHeader
        title={<span data-testid="entity-title">{e.metadata.title || e.metadata.name}</span>}
        subtitle={<span data-testid="entity-description">{e.metadata.description ?? "No description."}</span>}
      />
      <div role="tablist" aria-label="Entity sections" className="tabs">
        {tabs.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => { tabRefs.current[i] = el; }}
            role="tab"
            type="button"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            data-testid={`tab-${t.id}`}
            onClick={() => select(t.id)}
            onKeyDown={(ev) => onKeyDown(ev, i)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel" tabIndex={0}>
        {tab === "overview" ? <Overview entity={e} entityRef={entityRef} /> : null}
        {tab === "docs" ? <DocsTab entity={e} /> : null}
        {tab === "deployments" ? <DeploymentsTab entity={e} me={me} /> : null}
        {tab === "workloads" ? <WorkloadsTab entity={e} /> : null}
        {tab === "alerts" ? <AlertsTab entity={e} /> : null}
        {tab === "scorecards" ? <ScorecardsTab entity={e} /> : null}
      </div>
    </section>
  );
}
