import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { api, type TaskEvent } from "../api";
import { fetchEventSource, followTaskLog, type LogMode } from "../api/taskLog";
import { useAuth } from "../auth/AuthProvider";
import { Loading, PageHeader, ProblemView, StatusBadge } from "../components/common";
import { entityPath } from "../api/query";
import { formatDateTime } from "../format";
import { useAsync, useDocumentTitle } from "../hooks";

export default function TaskPage() {
  const { taskId = "" } = useParams();
  const { config } = useAuth();
  useDocumentTitle("Task");
  const [events, setEvents] = useState<TaskEvent[]>([]);
  const [mode, setMode] = useState<LogMode>("stream");
  const [logError, setLogError] = useState<unknown>(null);
  const [finishedAt, setFinishedAt] = useState(0);
  const task = useAsync((signal) => api().scaffolder.task(taskId, { signal }), [taskId, finishedAt]);
  const logRef = useRef<HTMLOListElement>(null);

  useEffect(() => {
    setEvents([]);
    const client = api().client;
    const headers = client.authHeaders();
    const handle = followTaskLog({
      streamUrl: api().scaffolder.eventStreamUrl(taskId),
      fetchEvents: (after, signal) => api().scaffolder.events(taskId, after, { signal }),
      // Bearer sessions need headers, which the native EventSource cannot send.
      openEventSource: headers.Authorization
        ? (url) => fetchEventSource(url, headers)
        : typeof EventSource !== "undefined" ? (url) => new EventSource(url, { withCredentials: true }) : null,
      pollIntervalMs: config.pollIntervalMs,
      onEvent: (e) => {
        setEvents((list) => [...list, e]);
        if (e.type === "completion") setFinishedAt(Date.now());
      },
      onModeChange: setMode,
      onError: setLogError,
    });
    return () => handle.close();
  }, [taskId, config.pollIntervalMs]);

  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [events.length]);

  const t = task.data;
  const completion = events.find((e) => e.type === "completion");
  const status = completion?.body.status ?? t?.status;
  const links = t?.output?.links ?? [];
  return (
    <section>
      <p className="breadcrumb"><Link to="/create">Create</Link> / task</p>
      <PageHeader title={<>Task <code>{taskId}</code></>} subtitle={t ? `Started ${formatDateTime(t.createdAt)}` : undefined} actions={status ? <StatusBadge status={status} testId="task-status" /> : null} />
      {task.error ? <ProblemView error={task.error} onRetry={task.reload} /> : null}
      {task.loading && !t ? <Loading /> : null}
      <h2>Log <span className="small muted">({mode === "stream" ? "live" : mode === "polling" ? "polling" : "finished"})</span></h2>
      <ol className="log" ref={logRef} data-testid="task-log" aria-live="polite" aria-relevant="additions" tabIndex={0} aria-label="Task log">
        {events.filter((e) => e.body?.message).map((e) => (
          <li key={String(e.id)} className={e.type === "completion" ? "log-completion" : undefined}>
            <time dateTime={e.createdAt}>{new Date(e.createdAt).toLocaleTimeString()}</time>
            {e.body.stepId ? <span className="log-step">[{e.body.stepId}]</span> : null}
            <span>{e.body.message}</span>
          </li>
        ))}
        {events.length === 0 ? <li className="muted">Waiting for the first log line…</li> : null}
      </ol>
      {logError && mode !== "done" ? <p className="small muted" role="status">Reconnecting to the log…</p> : null}
      {links.length ? (
        <section data-testid="task-output">
          <h2>Output</h2>
          <ul className="links">
            {links.map((l, i) => (
              <li key={`${l.url ?? l.entityRef}-${i}`}>
                {l.entityRef ? (
                  <Link to={entityPath(l.entityRef)} data-testid="task-output-entity">{l.title ?? l.entityRef}</Link>
                ) : l.url ? (
                  <a href={l.url} target="_blank" rel="noopener noreferrer">{l.title ?? l.url}</a>
                ) : (
                  l.title
                )}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </section>
  );
}
