import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, ApiError, type Entity, type Environment, type Me } from "../../api";
import { checkPermission, Permission } from "../../auth/permissions";
import { EntityRefLink, GuardedButton, Loading, ProblemView, StatusBadge } from "../../components/common";
import { formatDateTime, formatRelative } from "../../format";
import { useAsync } from "../../hooks";
import { PipelineView } from "./PipelineView";

type Pending = { env: string; action: "deploy" | "rollback" | "promote" } | null;

function ActionForm({ entity, env, next, action, onCancel }: {
  entity: Entity; env: Environment; next?: Environment; action: "deploy" | "rollback" | "promote"; onCancel: () => void;
}) {
  const navigate = useNavigate();
  const ns = entity.metadata.namespace ?? "default";
  const ref = `component:${ns}/${entity.metadata.name}`;
  const [version, setVersion] = useState(action === "promote" ? env.current?.version ?? "" : "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const history = useAsync(
    (signal) => (action === "rollback" ? api().deployments.list({ component: ref, environment: env.name, limit: 20 }, { signal }) : Promise.resolve(null)),
    [action, ref, env.name],
  );
  const previous = [...new Set((history.data?.items ?? []).filter((d) => d.status === "Succeeded" && d.version !== env.current?.version).map((d) => d.version))];

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!version.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const accepted =
        action === "deploy"
          ? await api().deployments.create(ref, env.name, version.trim())
          : action === "rollback"
            ? await api().deployments.rollback(env.current!.deploymentId, version.trim())
            : await api().deployments.promote(ns, entity.metadata.name, env.name, next!.name, version.trim());
      navigate(`/deployments/${encodeURIComponent(accepted.id)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  const inputId = `${action}-version-${env.name}`;
  const verb = action === "deploy" ? `Deploy to ${env.name}` : action === "rollback" ? `Roll back ${env.name}` : `Promote ${env.name} → ${next?.name}`;
  return (
    <form className="inline-form" onSubmit={submit} data-testid={`${action}-form`} aria-label={verb}>
      <label htmlFor={inputId}>{action === "rollback" ? "Roll back to version" : "Version"}</label>
      <input
        id={inputId}
        data-testid={`${action}-version-input`}
        value={version}
        required
        readOnly={action === "promote"}
        list={action === "rollback" ? `${inputId}-options` : undefined}
        placeholder={action === "deploy" ? "e.g. 1.5.0" : undefined}
        onChange={(e) => setVersion(e.target.value)}
        autoFocus
      />
      {action === "rollback" ? (
        <datalist id={`${inputId}-options`}>{previous.map((v) => <option key={v} value={v} />)}</datalist>
      ) : null}
      {env.protected || (action === "promote" && next?.protected) ? (
        <p className="small muted">This environment is protected: the deployment waits for an approval.</p>
      ) : null}
      <div className="row">
        <button type="submit" className="btn btn-primary" data-testid={`${action}-submit`} disabled={busy || !version.trim()}>
          {busy ? "Sending…" : verb}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>Cancel</button>
      </div>
      {error ? <ProblemView error={error} context={verb} /> : null}
    </form>
  );
}

export function DeploymentsTab({ entity, me }: { entity: Entity; me: Me }) {
  const ns = entity.metadata.namespace ?? "default";
  const envs = useAsync((signal) => api().deployments.environments(ns, entity.metadata.name, { signal }), [ns, entity.metadata.name]);
  const [pending, setPending] = useState<Pending>(null);

  if (envs.loading && !envs.data) return <Loading label="Loading environments…" />;
  if (envs.error instanceof ApiError && envs.error.isForbidden) return <RestrictedDeployments entity={entity} me={me} error={envs.error} />;
  if (envs.error) return <ProblemView error={envs.error} onRetry={envs.reload} />;
  const list = [...(envs.data ?? [])].sort((a, b) => a.order - b.order);
  if (list.length === 0) return <p className="empty" data-testid="empty-state">This component has no environments configured.</p>;

  return (
    <>
    <PipelineView entity={entity} me={me} />
    <div className="table-wrap">
      <table className="table table-stack" data-testid="environments-table">
        <thead>
          <tr>
            <th scope="col">Environment</th>
            <th scope="col">Version</th>
            <th scope="col">Status</th>
            <th scope="col">By</th>
            <th scope="col">When</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {list.map((env, i) => {
            const next = list[i + 1];
            const cur = env.current;
            const deploy = checkPermission(me, Permission.deploy, { entity, environment: env.name });
            const rollbackPerm = checkPermission(me, Permission.rollback, { entity, environment: env.name });
            const rollback = !rollbackPerm.allowed ? rollbackPerm : !cur ? { allowed: false, reason: "Nothing is deployed here yet" } : rollbackPerm;
            const promotePerm = next ? checkPermission(me, Permission.promote, { entity, environment: next.name }) : { allowed: false, reason: "This is the last environment" };
            const promote = !promotePerm.allowed
              ? promotePerm
              : !cur ? { allowed: false, reason: "Nothing is deployed here yet" }
              : cur.status !== "Succeeded" ? { allowed: false, reason: `The current deployment is ${cur.status}` }
              : promotePerm;
            return (
              <tr key={env.name} data-testid={`env-row-${env.name}`}>
                <th scope="row">
                  {env.name} {env.protected ? <span className="chip chip-warn">protected</span> : null}
                  <div className="small muted">
                    {env.strategy?.type ?? "rolling"} · {env.clusters.map((c) => `${c.name}/${c.namespace}`).join(", ") || "no clusters"}
                  </div>
                </th>
                <td data-label="Version" data-testid="env-version">{cur?.version ?? "—"}</td>
                <td data-label="Status">{cur ? <Link to={`/deployments/${encodeURIComponent(cur.deploymentId)}`}><StatusBadge status={cur.status} testId="env-status" /></Link> : <span className="muted">never deployed</span>}</td>
                <td data-label="By">{cur ? <EntityRefLink entityRef={cur.by} impliedKind="user" /> : "—"}</td>
                <td data-label="When">{cur ? <time dateTime={cur.at} title={formatDateTime(cur.at)}>{formatRelative(cur.at)}</time> : "—"}</td>
                <td className="actions-cell" data-label="Actions">
                  <div className="actions">
                    <GuardedButton testId="deploy-button" allowed={deploy.allowed} reason={deploy.reason} onClick={() => setPending({ env: env.name, action: "deploy" })}>
                      Deploy
                    </GuardedButton>
                    <GuardedButton testId="rollback-button" variant="secondary" allowed={rollback.allowed} reason={rollback.reason} onClick={() => setPending({ env: env.name, action: "rollback" })}>
                      Rollback
                    </GuardedButton>
                    {next ? (
                      <GuardedButton testId="promote-button" variant="secondary" allowed={promote.allowed} reason={promote.reason} onClick={() => setPending({ env: env.name, action: "promote" })}>
                        Promote to {next.name}
                      </GuardedButton>
                    ) : null}
                  </div>
                  {pending?.env === env.name ? (
                    <ActionForm entity={entity} env={env} next={next} action={pending.action} onCancel={() => setPending(null)} />
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
    </>
  );
}

/**
 * What someone who may not read this component's deployments (a viewer) sees: why, and the actions they would need,
 * shown disabled with the missing permission — rather than a bare error.
 */
function RestrictedDeployments({ entity, me, error }: { entity: Entity; me: Me; error: ApiError }) {
  const read = checkPermission(me, "deployment.read", { entity });
  const deploy = checkPermission(me, Permission.deploy, { entity });
  const rollback = checkPermission(me, Permission.rollback, { entity });
  const because = read.allowed ? error.problem.detail ?? error.problem.title : read.reason;
  return (
    <section data-testid="deployments-restricted">
      <p className="notice" role="status">
        You cannot see this component&apos;s deployments: {because}. Ask the owning team or a platform-admin for a role.
      </p>
      <div className="actions">
        <GuardedButton testId="deploy-button" allowed={false} reason={deploy.allowed ? because : deploy.reason} onClick={() => undefined}>
          Deploy
        </GuardedButton>
        <GuardedButton testId="rollback-button" variant="secondary" allowed={false} reason={rollback.allowed ? because : rollback.reason} onClick={() => undefined}>
          Rollback
        </GuardedButton>
      </div>
    </section>
  );
}
