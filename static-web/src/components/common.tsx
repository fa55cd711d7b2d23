import type { ReactNode } from "react";
import { Link } from "react-router";
import { ApiError } from "../api";
import { entityPath } from "../api/query";
import { shortRef } from "../format";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <p className="empty" data-testid={testId ?? "empty-state"}>
      {children}
    </p>
  );
}

/** Shows any error; ApiErrors as their ProblemDetails title, detail and per-field errors. */
export function ProblemView({ error, onRetry, context }: { error: unknown; onRetry?: () => void; context?: string }) {
  let title = "Something went wrong";
  let detail: string | undefined;
  let fieldErrors: Record<string, string[]> = {};
  let status: number | undefined;
  if (error instanceof ApiError) {
    status = error.status;
    title = error.problem.title;
    detail = error.problem.detail;
    fieldErrors = error.fieldErrors;
    if (error.isForbidden) {
      title = "You do not have permission";
      detail = error.problem.detail ?? `The server refused this${context ? ` (${context})` : ""}: your roles do not grant it.`;
    }
  } else if (error instanceof Error) {
    detail = error.message;
  }
  const fields = Object.entries(fieldErrors);
  return (
    <div className={`problem${status === 403 ? " problem-forbidden" : ""}`} role="alert" data-testid="problem">
      <p className="problem-title">
        <strong>{title}</strong>
        {status ? <span className="problem-status"> (HTTP {status})</span> : null}
      </p>
      {detail ? <p className="problem-detail">{detail}</p> : null}
      {fields.length ? (
        <ul className="problem-fields">
          {fields.map(([field, messages]) => (
            <li key={field}>
              {field ? <code>{field}</code> : null} {messages.join(" ")}
            </li>
          ))}
        </ul>
      ) : null}
      {onRetry ? (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

const statusTone: Record<string, string> = {
  succeeded: "ok", healthy: "ok", completed: "ok", success: "ok", successful: "ok", firing: "bad",
  running: "info", processing: "info", pending: "muted", open: "muted", waitingforapproval: "warn", paused: "warn",
  degraded: "warn", inconclusive: "warn", denied: "warn", warning: "warn",
  failed: "bad", unreachable: "bad", rolledback: "bad", aborted: "bad", cancelled: "muted", critical: "bad", error: "bad",
};

export function StatusBadge({ status, testId }: { status: string | null | undefined; testId?: string }) {
  const s = status ?? "unknown";
  const tone = statusTone[s.toLowerCase()] ?? "muted";
  return (
    <span className={`badge badge-${tone}`} data-testid={testId}>
      {s.replace(/([a-z])([A-Z])/g, "$1 $2")}
    </span>
  );
}

export function EntityRefLink({ entityRef, impliedKind }: { entityRef: string | null | undefined; impliedKind?: string }) {
  if (!entityRef) return <>—</>;
  if (!/^[^:]+:[^/]+\/.+$/.test(entityRef)) return <>{entityRef}</>;
  return <Link to={entityPath(entityRef)}>{shortRef(entityRef, impliedKind)}</Link>;
}

export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p className="subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

/** A button that, when not allowed, stays visible but disabled and says why next to it. */
export function GuardedButton({
  allowed, reason, testId, onClick, children, variant = "primary", busy,
}: {
  allowed: boolean; reason: string; testId: string; onClick: () => void; children: ReactNode;
  variant?: "primary" | "secondary" | "danger"; busy?: boolean;
}) {
  const reasonId = `${testId}-reason-${Math.abs(hash(reason))}`;
  return (
    <span className="guarded">
      <button
        type="button"
        className={`btn btn-${variant}`}
        data-testid={testId}
        disabled={!allowed || busy}
        aria-describedby={allowed ? undefined : reasonId}
        title={allowed ? undefined : reason}
        onClick={onClick}
      >
        {children}
      </button>
      {!allowed ? (
        <span id={reasonId} className="disabled-reason" data-testid={testId.replace(/-button$/, "") + "-disabled-reason"}>
          {reason}
        </span>
      ) : null}
    </span>
  );
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}
