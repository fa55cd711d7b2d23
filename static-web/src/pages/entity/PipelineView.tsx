import { useState } from "react";
import { Link } from "react-router";
import { api, hasPipeline, type Entity, type Me, type PipelineStage } from "../../api";
import { checkPermission, Permission } from "../../auth/permissions";
import { EntityRefLink, GuardedButton, ProblemView, StatusBadge } from "../../components/common";
import { formatDateTime } from "../../format";
import { useAsync } from "../../hooks";

/** Plain-language rules of a stage: where versions come from, verification, approvals, freezes. */
function rules(stage: PipelineStage): string[] {
  const out: string[] = [];
  const p = stage.promotion;
  if (p) {
    const verify = [p.soak ? `soak ${p.soak}` : null, p.analysis.length ? `analysis ${p.analysis.join(", ")}` : null].filter(Boolean).join(", ");
    out.push(`${p.auto ? "auto-promoted" : "promoted by hand"} from ${p.from}${verify ? ` after ${verify}` : ""}`);
  }
  if (stage.approvals) {
    const who = stage.approvals.from.length ? stage.approvals.from.join(", ") : "anyone allowed to approve";
    out.push(`${stage.approvals.required} approval${stage.approvals.required === 1 ? "" : "s"} from ${who}`);
  }
  if (stage.freeze.length) out.push(`${stage.freeze.length} freeze window${stage.freeze.length === 1 ? "" : "s"}`);
  return out;
}

function Stage({ entity, me, stage, onChanged }: { entity: Entity; me: Me; stage: PipelineStage; onChanged: () => void }) {
  const ns = entity.metadata.namespace ?? "default";
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const approve = checkPermission(me, Permission.approve, { entity, environment: stage.name });
  const unpin = checkPermission(me, Permission.deploy, { entity, environment: stage.name });
  const w = stage.waiting;

  async function act(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="card pipeline-stage" data-testid={`pipeline-stage-${stage.name}`}>
      <h4>
        {stage.name} {stage.frozenNow ? <span className="chip chip-warn" data-testid="frozen-chip">frozen</span> : null}
        {stage.pin ? <span className="chip chip-warn" data-testid="pinned-chip">pinned</span> : null}
      </h4>
      <p className="small">
        Runs <strong data-testid="stage-version">{stage.currentVersion ?? "nothing yet"}</strong>
      </p>
      {rules(stage).map((r) => <p key={r} className="small muted">{r}</p>)}
      {stage.frozenNow ? (
        <p className="small" data-testid="frozen-until">
          Frozen until <time dateTime={stage.frozenNow.until}>{formatDateTime(stage.frozenNow.until)}</time> ({stage.frozenNow.reason})
        </p>
      ) : null}
      {w ? (
        <div className="notice" role="status" data-testid="stage-waiting">
          <p>
            <strong>{w.version}</strong> waits: <StatusBadge status={w.state} testId="waiting-state" />
          </p>
          <p className="small" data-testid="waiting-reason">
            {w.reason}
            {w.until ? <> (until <time dateTime={w.until}>{formatDateTime(w.until)}</time>)</> : null}
          </p>
          {w.deploymentId ? <Link className="small" to={`/deployments/${encodeURIComponent(w.deploymentId)}`}>deployment {w.deploymentId}</Link> : null}
          {w.state === "AwaitingApproval" ? (
            <GuardedButton testId={`approve-stage-${stage.name}`} allowed={approve.allowed} reason={approve.reason} busy={busy}
              onClick={() => act(() => api().deployments.approveStage(ns, entity.metadata.name, stage.name))}>
              Approve
            </GuardedButton>
          ) : null}
        </div>
      ) : null}
      {stage.pin ? (
        <div className="small" data-testid="stage-pin">
          Pinned after rollback from {stage.pin.version} by <EntityRefLink entityRef={stage.pin.by} impliedKind="user" />
          <GuardedButton testId={`unpin-stage-${stage.name}`} variant="secondary" allowed={unpin.allowed} reason={unpin.reason} busy={busy}
            onClick={() => act(() => api().deployments.unpinStage(ns, entity.metadata.name, stage.name))}>
            Unpin
          </GuardedButton>
        </div>
      ) : null}
      {error ? <ProblemView error={error} context={`Stage ${stage.name}`} /> : null}
    </li>
  );
}

/**
 * A component's promotion pipeline: each stage in order with what runs there and which version waits to enter it and
 * why (soak, analysis, freeze, approvals, pin, failed verification). Shows nothing for components without pipeline
 * rules, and stays out of the way when the pipeline cannot be read (the environments table still works).
 */
export function PipelineView({ entity, me }: { entity: Entity; me: Me }) {
  const ns = entity.metadata.namespace ?? "default";
  const pipeline = useAsync((signal) => api().deployments.pipeline(ns, entity.metadata.name, { signal }), [ns, entity.metadata.name]);
  if (!hasPipeline(pipeline.data)) return null;
  const stages = [...pipeline.data!.stages].sort((a, b) => a.order - b.order);
  return (
    <section aria-label="Promotion pipeline" data-testid="pipeline-view">
      <h3>Promotion pipeline</h3>
      <ol className="pipeline-stages">
        {stages.map((s) => <Stage key={s.name} entity={entity} me={me} stage={s} onChanged={pipeline.reload} />)}
      </ol>
    </section>
  );
}
