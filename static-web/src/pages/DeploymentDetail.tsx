import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, type Deployment, type DeploymentAction, type Entity } from "../api";
import { isAbort } from "../api/client";
import { parseEntityRef } from "../api/query";
import { useAuth, useMe } from "../auth/AuthProvider";
import { checkPermission, Permission } from "../auth/permissions";
import { AnalysisRuns, type AnalysisMeasurement, type AnalysisRunSummary } from "../components/AnalysisRuns";
import { AnalysisChart, WeightsBar } from "../components/charts";
import { JudgementPanel } from "../components/JudgementPanel";
import { EntityRefLink, GuardedButton, Loading, PageHeader, ProblemView, StatusBadge } from "../components/common";
import { WaveClusters } from "../components/WaveClusters";
import { formatDateTime, formatDuration } from "../format";
import { useDocumentTitle, usePageVisible } from "../hooks";

export const FINISHED = new Set(["Succeeded", "Failed", "RolledBack", "Aborted"]);

type ActionSpec = { action: DeploymentAction | "rollback"; label: string; permission: string; variant?: "primary" | "secondary" | "danger" };

/** Which controls make sense for a deployment in its current state. */
export function availableActions(d: Deployment): ActionSpec[] {
  const kind = d.release?.type ?? (typeof d.strategy === "string" ? d.strategy : d.strategy?.type);
  const canary = kind === "canary";
  const blueGreen = kind === "blueGreen";
  const list: ActionSpec[] = [];
  switch (d.status) {
    case "WaitingForApproval":
      list.push({ action: "approve", label: "Approve", permission: Permission.approve, variant: "primary" });
      list.push({ action: "reject", label: "Reject", permission: Permission.approve, variant: "danger" });
      break;
    case "Running":
    case "Paused":
      if (d.status === "Paused") list.push({ action: "resume", label: "Resume", permission: Permission.control, variant: "primary" });
      else if (canary || blueGreen) list.push({ action: "pause", label: "Pause", permission: Permission.control, variant: "secondary" });
      if (canary) {
        list.push({ action: "promote", label: "Promote to next step", permission: Permission.control, variant: "secondary" });
        list.push({ action: "promote-full", label: "Promote fully", permission: Permission.control, variant: "secondary" });
      }
      if (blueGreen) list.push({ action: "promote", label: `Switch traffic to ${d.release?.previewColor ?? "preview"}`, permission: Permission.control, variant: "primary" });
      list.push({ action: "abort", label: "Abort", permission: Permission.control, variant: "danger" });
      break;
    case "Pending":
      list.push({ action: "abort", label: "Abort", permission: Permission.control, variant: "danger" });
      break;
    default:
      break;
  }
  if (FINISHED.has(d.status) && d.previousVersion) {
    list.push({ action: "rollback", label: `Roll back to ${d.previousVersion}`, permission: Permission.rollback, variant: "secondary" });
  }
  return list;
}

function CanaryPanel({ d }: { d: Deployment }) {
  const r = d.release!;
  const byMetric = new Map<string, NonNullable<typeof r.analysis>>();
  for (const a of r.analysis ?? []) byMetric.set(a.metric, [...(byMetric.get(a.metric) ?? []), a]);
  return (
    <section className="panel" data-testid="canary-panel">
      <h2>Canary</h2>
      <p>
        <span data-testid="canary-step">Step {r.currentStep ?? 0} of {r.totalSteps ?? "?"}</span> ·{" "}
        stable <strong>{r.stableVersion ?? d.previousVersion ?? "—"}</strong>, canary <strong>{r.canaryVersion ?? d.version}</strong>
      </p>
      {r.totalSteps ? <progress max={r.totalSteps} value={r.currentStep ?? 0} aria-label="Canary steps completed" /> : null}
      {r.weights ? <WeightsBar stable={r.weights.stable} canary={r.weights.canary} /> : null}
      <h3>Analysis</h3>
      {byMetric.size === 0 ? <p className="muted">No analysis has run yet.</p> : null}
      <div className="charts">
        {[...byMetric.entries()].map(([metric, results]) => <AnalysisChart key={metric} metric={metric} results={results} />)}
      </div>
      <AnalysisRuns runs={(r as { analysisRuns?: AnalysisRunSummary[] }).analysisRuns} measurements={r.analysis as AnalysisMeasurement[] | undefined} />
      {r.judgement ? <JudgementPanel judgement={r.judgement} /> : null}
    </section>
  );
}

function BlueGreenPanel({ d }: { d: Deployment }) {
  const r = d.release!;
  return (
    <section className="panel" data-testid="bluegreen-panel">
      <h2>Blue / green</h2>
      <div className="colors">
        <div className={`color-box color-${r.activeColor ?? "none"}`} data-testid="bluegreen-active">
          <span className="label">Active (serving traffic)</span>
          <strong>{r.activeColor ?? "—"}</strong>
          <span>{r.stableVersion ?? d.previousVersion ?? ""}</span>
        </div>
        <div className={`color-box color-${r.previewColor ?? "none"}`} data-testid="bluegreen-preview">
          <span className="label">Preview</span>
          <strong>{r.previewColor ?? "—"}</strong>
          <span>{r.canaryVersion ?? d.version}</span>
        </div>
      </div>
    </section>
  );
}

export default function DeploymentDetail() {
  const { id = "" } = useParams();
  const me = useMe();
  const { config } = useAuth();
  const navigate = useNavigate();
  const visible = usePageVisible();
  const [d, setD] = useState<Deployment | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [entity, setEntity] = useState<Entity | null>(null);
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const [tick, setTick] = useState(0);
  const finished = d ? FINISHED.has(d.status) : false;
  const dRef = useRef(d);
  dRef.current = d;
  useDocumentTitle(d ? `${d.component.split("/").pop()} → ${d.environment}` : "Deployment");

  const refresh = useCallback(() => setTick((t) => t + 1), []);

  // Poll once a second while the deployment is live and the tab is visible.
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    api().deployments.get(id, { signal: controller.signal }).then(
      (next) => {
        setD(next);
        setError(null);
        if (!FINISHED.has(next.status) && visible) timer = setTimeout(() => setTick((t) => t + 1), config.pollIntervalMs);
      },
      (e) => {
        if (isAbort(e)) return;
        setError(e);
        // Transient errors keep polling more slowly; the error stays visible.
        if (dRef.current && !FINISHED.has(dRef.current.status) && visible) timer = setTimeout(() => setTick((t) => t + 1), config.pollIntervalMs * 3);
      },
    );
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [id, tick, visible, config.pollIntervalMs]);

  const component = d?.component;
  useEffect(() => {
    if (!component) return;
    const controller = new AbortController();
    const p = parseEntityRef(component, { kind: "component" });
    api().catalog.byName(p.kind, p.namespace, p.name, { signal: controller.signal }).then(setEntity, () => setEntity(null));
    return () => controller.abort();
  }, [component]);

  if (!d && error) return <ProblemView error={error} onRetry={refresh} />;
  if (!d) return <Loading label="Loading deployment…" />;

  async function run(spec: ActionSpec) {
    if (!d) return;
    setBusy(spec.action);
    setActionError(null);
    setNotice("");
    try {
      if (spec.action === "rollback") {
        const accepted = await api().deployments.rollback(d.id, d.previousVersion!);
        setNotice(`Rollback to ${d.previousVersion} requested.`);
        if (accepted?.id && accepted.id !== d.id) navigate(`/deployments/${encodeURIComponent(accepted.id)}`);
      } else {
        await api().deployments.act(d.id, spec.action, comment.trim() || undefined);
        setNotice(`${spec.label}: request accepted.`);
        setComment("");
      }
      refresh();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  }

  const actions = availableActions(d);
  const scope = { entity, entityRef: d.component, environment: d.environment };
  return (
    <section data-testid="deployment-detail">
      <p className="breadcrumb"><Link to="/deployments">Deployments</Link> / <code>{d.id}</code></p>
      <PageHeader
        title={<><EntityRefLink entityRef={d.component} impliedKind="component" /> → {d.environment}</>}
        subtitle={<>Version <strong data-testid="deployment-version">{d.version}</strong>{d.previousVersion ? <> (was {d.previousVersion})</> : null} · requested by <EntityRefLink entityRef={d.requestedBy} impliedKind="user" /> · {formatDateTime(d.createdAt)}</>}
        actions={<StatusBadge status={d.status} testId="deployment-status" />}
      />
      <p className="sr-only" aria-live="polite">Status {d.status}</p>
      {error ? <ProblemView error={error} /> : null}
      {!finished && !visible ? <p className="notice">Live updates are paused while this tab is hidden.</p> : null}

      {actions.length ? (
        <section className="panel controls" aria-label="Controls">
          <div className="field">
            <label htmlFor="action-comment">Comment (optional, recorded in the audit log)</label>
            <input id="action-comment" data-testid="action-comment" value={comment} onChange={(e) => setComment(e.target.value)} />
          </div>
          <div className="actions">
            {actions.map((a) => {
              const decision = checkPermission(me, a.permission, scope);
              return (
                <GuardedButton key={a.action} testId={`${a.action}-button`} variant={a.variant} allowed={decision.allowed} reason={decision.reason} busy={busy !== null} onClick={() => void run(a)}>
                  {busy === a.action ? "Sending…" : a.label}
                </GuardedButton>
              );
            })}
          </div>
          <p role="status" aria-live="polite" className="small" data-testid="action-notice">{notice}</p>
          {actionError ? <ProblemView error={actionError} /> : null}
        </section>
      ) : null}

      {d.release?.type === "canary" ? <CanaryPanel d={d} /> : null}
      {d.release?.type === "blueGreen" ? <BlueGreenPanel d={d} /> : null}
      {d.clusters?.length ? <WaveClusters clusters={d.clusters} /> : null}

      <section className="panel">
        <h2>Steps</h2>
        <ol className="timeline" data-testid="deployment-steps">
          {d.steps.map((s, i) => (
            <li key={`${s.name}-${i}`} className={`timeline-item timeline-${s.status.toLowerCase()}`} data-testid={`step-${i}`}>
              <div className="row">
                <strong>{s.name}</strong> <StatusBadge status={s.status} />
                <span className="small muted">{formatDuration(s.startedAt, s.finishedAt)}</span>
              </div>
              {s.message ? <p className="small">{s.message}</p> : null}
            </li>
          ))}
          {d.steps.length === 0 ? <li className="muted">No steps have started yet.</li> : null}
        </ol>
      </section>
    </section>
  );
}
