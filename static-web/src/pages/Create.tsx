import { Link } from "react-router";
import { api } from "../api";
import { Empty, Loading, PageHeader, ProblemView } from "../components/common";
import { useAsync, useDocumentTitle } from "../hooks";

export default function Create() {
  useDocumentTitle("Create");
  const templates = useAsync(
    (signal) =>
      api().catalog.query(
        { filters: [{ kind: "template" }], orderField: [{ field: "metadata.title", order: "asc" }], limit: 100 },
        { signal },
      ),
    [],
  );
  return (
    <section>
      <PageHeader title="Create something new" subtitle="Golden-path templates: fill in a form, get a repository, a pipeline and an environment." />
      {templates.loading && !templates.data ? <Loading label="Loading templates…" /> : null}
      {templates.error ? <ProblemView error={templates.error} onRetry={templates.reload} /> : null}
      {templates.data && templates.data.items.length === 0 ? <Empty>No templates are registered in the catalog.</Empty> : null}
      <ul className="cards" aria-label="Templates">
        {(templates.data?.items ?? []).map((t) => {
          const ns = t.metadata.namespace ?? "default";
          const type = typeof t.spec?.type === "string" ? t.spec.type : undefined;
          return (
            <li key={`${ns}/${t.metadata.name}`} className="card" data-testid={`template-card-${t.metadata.name}`}>
              <h2>{t.metadata.title || t.metadata.name}</h2>
              {type ? <p className="small muted">{type}</p> : null}
              <p>{t.metadata.description ?? ""}</p>
              {t.metadata.tags?.length ? <div className="tags">{t.metadata.tags.map((tag) => <span key={tag} className="chip">{tag}</span>)}</div> : null}
              <Link className="btn btn-primary" data-testid={`choose-template-${t.metadata.name}`} to={`/create/templates/${encodeURIComponent(ns)}/${encodeURIComponent(t.metadata.name)}`}>
                Choose
              </Link>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
